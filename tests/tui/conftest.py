"""Fixtures of the TUI tests."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.emulator import RunningServer, start_server
from tests.emulator_fixtures import make_emulator
from tests.tui.helpers import login, make_sample_tree, seed_remote


@pytest.fixture(autouse=True)
def utc_timezone(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Local times shown in dialogs and panels come out the same on every machine."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def sample(isolated_dirs: Path) -> Path:
    """The sample folder under the (temporary) home, so panes show it as ``~/sample``."""
    return make_sample_tree(isolated_dirs / "sample")


@pytest.fixture
def target(isolated_dirs: Path) -> Path:
    """An empty folder for the other pane."""
    path = isolated_dirs / "target"
    path.mkdir()
    return path


@pytest.fixture
def onedrive(monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningServer]:
    """A OneDrive remote named "work" on the TLS emulator, signed in with ``skypane login``.

    The emulator holds a small fixed tree (fixed mtimes); the config file and the token store
    are the test's own (see tests/conftest.py), exactly what a user's login leaves behind.
    """
    from core.backends.onedrive import msal_http

    made: list[msal_http.MsalHttpClient] = []
    original = msal_http.MsalHttpClient.__init__

    def init(self: msal_http.MsalHttpClient, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        made.append(self)

    monkeypatch.setattr(msal_http.MsalHttpClient, "__init__", init)
    server = start_server(make_emulator("personal", auto_approve_after=0))
    try:
        seed_remote(server)
        login(server, "work")
        yield server
    finally:
        for client in made:  # uvicorn waits for keep-alive connections to close
            client.close()
        server.stop()
        server.emulator.close()
