"""A tiny App that shows one dialog and records what it returns, plus shared test helpers."""

from __future__ import annotations

import asyncio
import contextlib
import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from textual.app import App
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import Input

from core.emulator import RunningServer

CLIENT_ID = "12345678-abcd-4ef0-9876-0123456789ab"
NOW = datetime(2025, 6, 15, 12, 0, 0, tzinfo=UTC)
SIZE = (120, 36)
#: For tests whose behaviour differs by flavour: run them on Personal and on Business.
both = pytest.mark.parametrize("drive", ["personal", "business"], indirect=True)
business = pytest.mark.parametrize("drive", ["business"], indirect=True)


def fixed_clock() -> datetime:
    return NOW


class Harness(App[None]):
    """Pushes ``make_screen()`` (if given) at start; its results land in ``results``."""

    TITLE = "skypane"
    CSS = "Screen { background: $background; }"

    def __init__(self, make_screen: Callable[[], Screen[Any]] | None = None) -> None:
        super().__init__()
        self._make_screen = make_screen
        self.results: list[Any] = []
        self.dialog: Screen[Any] | None = None

    def on_mount(self) -> None:
        if self._make_screen is None:
            return
        self.dialog = self._make_screen()
        self.push_screen(self.dialog, self.results.append)


async def until(pilot: Any, condition: Callable[[], bool], timeout: float = 60.0) -> None:
    """Let the app run until ``condition()`` holds (workers, threads and timers included).

    A widget the condition looks for may not be composed yet (a screen is pushed before its
    children mount): ``NoMatches`` counts as "not yet".
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not _holds(condition):
        if loop.time() > deadline:
            raise AssertionError("condition not reached in time")
        await pilot.pause(0.01)


async def settled(pilot: Any, frames: int = 4, timeout: float = 30.0) -> None:
    """Wait until the screen stops changing, for a snapshot or a screenshot.

    Blinking cursors are stopped first (an Input's cursor is drawn on whichever phase the
    shot falls), then the screen is exported until ``frames`` exports in a row are the same,
    each after every widget has handled what was queued for it. ``pilot.pause()`` alone is
    no proof: it takes a process that gets no CPU (a busy machine) for an idle one.
    """
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False  # the cursor stays drawn, steadily
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    last, same = None, 0
    while same < frames:
        if loop.time() > deadline:
            raise AssertionError("the screen did not settle")
        await pilot.pause(0.02)
        shot = pilot.app.export_screenshot()
        same = same + 1 if shot == last else 0
        last = shot


def _holds(condition: Callable[[], bool]) -> bool:
    try:
        return bool(condition())
    except NoMatches:
        return False


def sign_in_with_cli(server: RunningServer, name: str) -> None:
    """``skypane login NAME`` against the emulator, as a user runs it (auto-approved)."""
    from tui.cli import main

    args = [
        "login", name, "--client-id", CLIENT_ID, "--authority", server.authority,
        "--graph-url", server.graph_url, "--ca-bundle", str(server.ca_bundle),
    ]  # fmt: skip
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = main(args)
    assert code == 0, out.getvalue()


#: /Docs/report.docx has 4 versions, /Docs/notes.txt 2, /Docs/old/plan.txt 3, /single.txt 1.
VERSIONED: dict[str, list[bytes]] = {
    "/Docs/report.docx": [b"r" * 1000, b"r" * 2000, b"r" * 3000, b"r" * 4000],
    "/Docs/notes.txt": [b"first notes", b"second notes!"],
    "/Docs/old/plan.txt": [b"p" * 100, b"p" * 200, b"p" * 300],
    "/single.txt": [b"just one"],
}


def seed_versions(server: RunningServer) -> None:
    em = server.emulator
    for path, contents in VERSIONED.items():
        for i, content in enumerate(contents):
            em.put_file(path, content, modified=NOW - timedelta(days=30 * (len(contents) - i)))


def emulator_options(server: RunningServer) -> dict[str, Any]:
    return {
        "client_id": CLIENT_ID,
        "authority": server.authority,
        "graph_url": server.graph_url,
        "ca_bundle": str(server.ca_bundle),
    }
