"""Fixtures for sign-in tests: a TLS emulator per test, keyring reset, remote options."""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail

from core.emulator import RunningServer, start_server
from tests.emulator_fixtures import make_emulator

CLIENT_ID = "12345678-abcd-4ef0-9876-0123456789ab"


class MemoryKeyring(KeyringBackend):
    """A secure-looking keyring that keeps secrets in a dict (priority > 0)."""

    priority = 5  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.values.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.values[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if (service, username) not in self.values:
            raise keyring.errors.PasswordDeleteError(username)
        del self.values[(service, username)]


@pytest.fixture(autouse=True)
def reset_keyring() -> Iterator[None]:
    """Tests may install their own keyring; put the failing one back afterwards."""
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(fail.Keyring())


Serve = Callable[..., RunningServer]


@pytest.fixture
def serve() -> Iterator[Serve]:
    """Start a TLS emulator: ``serve(flavour="business", access_token_lifetime=300, ...)``
    (EmulatorConfig fields; device-code polling is instant unless an interval is given)."""
    running: list[RunningServer] = []

    def start(flavour: str = "personal", **config: Any) -> RunningServer:
        server = start_server(make_emulator(flavour, **config))
        running.append(server)
        return server

    yield start
    for server in running:
        server.stop()
        server.emulator.close()


@pytest.fixture
def server(serve: Serve) -> RunningServer:
    return serve()


def options_for(server: RunningServer, **extra: Any) -> dict[str, Any]:
    """A OneDrive remote's options pointing at ``server``."""
    return {
        "client_id": CLIENT_ID,
        "authority": server.authority,
        "graph_url": server.graph_url,
        "ca_bundle": str(server.ca_bundle),
        **extra,
    }


def decide(server: RunningServer, user_code: str, approve: bool = True) -> httpx.Response:
    """Approve or decline on the emulator's verification page, as a browser would."""
    response = httpx.post(
        server.verification_url,
        data={"code": user_code, "action": "approve" if approve else "decline"},
        verify=ssl.create_default_context(cafile=str(server.ca_bundle)),
    )
    response.raise_for_status()
    return response


@pytest.fixture(autouse=True)
def close_msal_clients(monkeypatch: pytest.MonkeyPatch, serve: Serve) -> Iterator[None]:
    """Close every msal HTTP client a test made before the emulator stops (uvicorn waits
    for open keep-alive connections). Depends on ``serve`` so it is torn down first."""
    from core.backends.onedrive import msal_http

    made: list[msal_http.MsalHttpClient] = []
    original = msal_http.MsalHttpClient.__init__

    def init(self: msal_http.MsalHttpClient, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        made.append(self)

    monkeypatch.setattr(msal_http.MsalHttpClient, "__init__", init)
    yield
    for client in made:
        client.close()
