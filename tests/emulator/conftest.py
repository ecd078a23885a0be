"""The emulator's own fixtures (the lead may also import them from tests/conftest.py)."""

from tests.emulator_fixtures import (  # noqa: F401
    emulator,
    emulator_anon,
    emulator_client,
    emulator_flavour,
    emulator_server,
    emulator_tls_client,
)
