"""Fixtures of the dialog tests: TLS emulators (Personal and Business), remotes signed in the way
a user does it (`skypane login`), and a tiny harness App that shows one dialog."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from core.emulator import RunningServer, start_server
from tests.emulator_fixtures import make_emulator
from tests.tui.dialogs.harness import seed_versions


@pytest.fixture
def msal_clients(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Every msal HTTP client made: msal keeps connections open and uvicorn waits for them
    when the emulator stops, so the server fixtures close them first."""
    from core.backends.onedrive import msal_http

    made: list[msal_http.MsalHttpClient] = []
    original = msal_http.MsalHttpClient.__init__

    def init(self: msal_http.MsalHttpClient, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        made.append(self)

    monkeypatch.setattr(msal_http.MsalHttpClient, "__init__", init)
    yield made


def _serve(clients: list[Any], flavour: str, **options: Any) -> Iterator[RunningServer]:
    server = start_server(make_emulator(flavour, **options))
    try:
        yield server
    finally:
        for client in clients:
            client.close()
        server.stop()
        server.emulator.close()


@pytest.fixture
def server(msal_clients: list[Any]) -> Iterator[RunningServer]:
    """A Personal emulator that waits for a person to approve each code."""
    yield from _serve(msal_clients, "personal")


@pytest.fixture
def business_server(msal_clients: list[Any]) -> Iterator[RunningServer]:
    yield from _serve(msal_clients, "business")


@pytest.fixture
def drive(request: pytest.FixtureRequest, msal_clients: list[Any]) -> Iterator[RunningServer]:
    """A remote named "work" signed in by `skypane login`, holding files with versions.

    OneDrive Personal unless a test asks for flavours with
    ``@pytest.mark.parametrize("drive", [...], indirect=True)`` (see ``harness.both``).
    """
    from tests.tui.dialogs.harness import sign_in_with_cli

    flavour = getattr(request, "param", "personal")
    for server in _serve(msal_clients, flavour, auto_approve_after=0):
        seed_versions(server)
        sign_in_with_cli(server, "work")
        server.emulator.config.auto_approve_after = None  # later codes wait for a person
        yield server
