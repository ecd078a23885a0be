"""Shared pytest fixtures for the Graph emulator (import them from a conftest).

* ``emulator_flavour`` – "personal" (override with ``@pytest.mark.parametrize``).
* ``emulator`` – an in-memory :class:`Emulator` (empty drive, device-code interval 0).
* ``emulator_client`` – ``httpx.AsyncClient`` in-process, base ``https://127.0.0.1/v1.0``,
  with a valid bearer token for "me".
* ``emulator_anon`` – the same app without a token, base ``https://127.0.0.1`` (identity,
  pre-authenticated URLs, which live on ``IN_PROCESS_FILES``: another port, as on Graph).
* ``emulator_server`` – the emulator served over real TLS (``RunningServer``: ``.graph_url``,
  ``.authority``, ``.ca_bundle``, ``.base_url``).
* ``emulator_tls_client`` – ``httpx.AsyncClient`` for ``emulator_server`` that verifies its CA.
"""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from core.emulator import Emulator, EmulatorConfig, RunningServer, create_app, start_server
from core.emulator.origins import IN_PROCESS_FILES_PORT

IN_PROCESS_BASE = "https://127.0.0.1"
#: Where the in-process app's pre-authenticated URLs point (the files origin).
IN_PROCESS_FILES = f"https://127.0.0.1:{IN_PROCESS_FILES_PORT}"


def make_emulator(flavour: str = "personal", **options: object) -> Emulator:
    """An emulator configured for tests (instant device-code polling)."""
    options.setdefault("device_code_interval", 0)
    return Emulator(EmulatorConfig(flavour=flavour, **options))  # type: ignore[arg-type]


@pytest.fixture
def emulator_flavour() -> str:
    return "personal"


@pytest.fixture
def emulator(emulator_flavour: str) -> Iterator[Emulator]:
    em = make_emulator(emulator_flavour)
    yield em
    em.close()


@pytest.fixture
async def emulator_client(emulator: Emulator) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(emulator))
    async with httpx.AsyncClient(
        transport=transport,
        base_url=f"{IN_PROCESS_BASE}/v1.0",
        headers=emulator.auth_headers(),
    ) as client:
        yield client


@pytest.fixture
async def emulator_anon(emulator: Emulator) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(emulator))
    async with httpx.AsyncClient(transport=transport, base_url=IN_PROCESS_BASE) as client:
        yield client


@pytest.fixture
def emulator_server(emulator: Emulator) -> Iterator[RunningServer]:
    with start_server(emulator) as server:
        yield server


@pytest.fixture
async def emulator_tls_client(
    emulator_server: RunningServer,
) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=emulator_server.graph_url,
        verify=ssl.create_default_context(cafile=str(emulator_server.ca_bundle)),
        headers=emulator_server.emulator.auth_headers(),
    ) as client:
        yield client


#: The client id ``signed_in_remote`` signs in with.
CLI_CLIENT_ID = "12345678-abcd-4ef0-9876-0123456789ab"


@contextlib.contextmanager
def signed_in_remote(
    flavour: str, monkeypatch: pytest.MonkeyPatch, name: str = "work", *login_args: str
) -> Iterator[RunningServer]:
    """A TLS emulator and a remote ``name`` signed in to it with ``skypane login`` (device
    code, auto-approved), as a user does; msal's HTTP clients are closed at the end so the
    server can stop."""
    import io

    from core.backends.onedrive import msal_http
    from tui.cli import main

    made: list[Any] = []
    original = msal_http.MsalHttpClient.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        made.append(self)

    monkeypatch.setattr(msal_http.MsalHttpClient, "__init__", init)
    server = start_server(make_emulator(flavour, auto_approve_after=0))
    try:
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            code = main(
                ["login", name, "--client-id", CLI_CLIENT_ID, "--authority", server.authority,
                 "--graph-url", server.graph_url, "--ca-bundle", str(server.ca_bundle),
                 *login_args]
            )  # fmt: skip
        assert code == 0, out.getvalue()
        yield server
    finally:
        for client in made:
            client.close()
        server.stop()
        server.emulator.close()
