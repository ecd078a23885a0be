"""Keys that come while a pane's drive is still opening (in a thread, after the first frame)
act on where the pane is going, not on the local "/" it shows meanwhile."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import tui.screens.backends
from core.config import RemoteConfig, load_config
from core.paths import Location
from tests.tui.dialogs.harness import until
from tests.tui.helpers import dialog_up, main_screen, make_app, settle
from tui.widgets.path_bar import location_text

SIZE = (120, 36)


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """The remote "slow" opens in its thread only once the event is set."""
    opened = threading.Event()
    real = tui.screens.backends.open_backend

    def open_backend(remote: str | None, *args: Any) -> Any:
        if remote == "slow" and threading.current_thread() is not threading.main_thread():
            opened.wait(timeout=120)
        return real(remote, *args)

    monkeypatch.setattr(tui.screens.backends, "open_backend", open_backend)
    yield opened
    opened.set()


def slow_app(sample: Path, target: Path) -> Any:
    config = load_config()
    config.set_remote(RemoteConfig("slow", "local", {"root": "/"}))
    config.save()
    return make_app(sample, Location("slow", str(target)), config=load_config())


async def test_copy_offers_the_drive_that_is_still_opening(
    sample: Path, target: Path, gate: threading.Event
) -> None:
    app = slow_app(sample, target)
    async with app.run_test(size=SIZE) as pilot:
        screen = main_screen(app)
        left = screen.pane("left")
        await until(pilot, lambda: "notes.txt" in [e.name for e in left.listing.rows])
        assert screen.opening  # the right pane's drive is not open yet
        left.file_list.move_cursor([e.name for e in left.listing.rows].index("notes.txt"))
        await pilot.press("f5")
        dialog = await dialog_up(pilot, "InputDialog")
        offered = dialog.query_one("Input").value
        assert offered == location_text(Location("slow", str(target))), offered
        await pilot.press("escape")
        gate.set()
        await settle(pilot)
        assert screen.pane("right").location == Location("slow", str(target))


async def test_a_pane_sent_elsewhere_while_its_drive_opens_stays_there(
    sample: Path, target: Path, gate: threading.Event
) -> None:
    app = slow_app(sample, target)
    async with app.run_test(size=SIZE) as pilot:
        screen = main_screen(app)
        await until(pilot, lambda: bool(screen.pane("left").listing.rows))
        assert screen.opening
        await pilot.press("ctrl+u")  # swap: the left pane goes to the drive, the right comes here
        gate.set()
        await settle(pilot)
        assert screen.pane("left").location == Location("slow", str(target))
        assert screen.pane("right").location == Location(None, str(sample))
