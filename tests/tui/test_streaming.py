"""A big folder streaming into a pane while keys are pressed: keys first, rows after."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.model import Entry
from core.paths import Location
from tests.tui.dialogs.harness import until
from tests.tui.helpers import main_screen, make_app, settle
from tui.widgets.pane import Pane, VirtualView

SIZE = (120, 36)
WHEN = datetime(2025, 1, 1, tzinfo=UTC)


def page(names: list[str]) -> list[Entry]:
    return [Entry(name, "/big/" + name, False, 1, WHEN) for name in names]


class Pages:
    """Pages handed out one per ``release``, counting how many were taken."""

    def __init__(self, pages: list[list[Entry]]) -> None:
        self.pages = pages
        self.taken = 0
        self.release = asyncio.Event()

    async def __call__(self) -> AsyncIterator[list[Entry]]:
        for one in self.pages:
            await self.release.wait()
            self.release.clear()
            self.taken += 1
            yield one


async def test_a_listing_holds_its_next_page_while_keys_arrive(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(tmp_path, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        pane = main_screen(app).pane("left")
        pages = Pages([page([f"f{p}-{i:03d}" for i in range(100)]) for p in range(5)])
        monkeypatch.setattr(Pane, "last_input", 0.0)  # no key yet (an earlier test's is shared)
        monkeypatch.setattr(Pane, "INPUT_QUIET", 3600.0)  # a key holds the listing "for ever"
        pane.show_virtual(pane.backend, VirtualView("big", pages, Location(None, str(tmp_path))))
        pages.release.set()
        await until(pilot, lambda: len(pane.listing.entries) == 100)
        await pilot.press("down")  # a key in the pane
        pages.release.set()  # the next page may come, and is shown…
        await until(pilot, lambda: len(pane.listing.entries) == 200)
        pages.release.set()  # …but none after it while keys are recent
        for _ in range(20):
            await pilot.pause()
        assert pages.taken == 2 and pane.listing_busy
        monkeypatch.setattr(Pane, "INPUT_QUIET", 0.0)  # no key for a while: the rest comes
        while pane.listing_busy:
            pages.release.set()
            await pilot.pause()
        assert len(pane.listing.entries) == 500 and pane.listing.shown_count == 500


async def test_rows_arriving_out_of_sight_leave_the_drawn_lines_alone(tmp_path: Path) -> None:
    app = make_app(tmp_path, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        pane = main_screen(app).pane("left")
        file_list = pane.file_list
        pages = Pages([page([f"m{i:03d}" for i in range(100)])])
        pane.show_virtual(pane.backend, VirtualView("big", pages, Location(None, str(tmp_path))))
        pages.release.set()
        await until(pilot, lambda: not pane.listing_busy)
        file_list.move_cursor(5)
        on_row = file_list.cursor_entry
        drawn = file_list._generation
        file_list.add_page(page([f"z{i:03d}" for i in range(50)]))  # sorted below the screen
        file_list.rebuild(merge=True)
        assert file_list._generation == drawn  # the lines on screen were not redrawn
        assert len(pane.listing) == 151 and file_list.cursor_entry == on_row
        file_list.add_page(page(["a000"]))  # sorted above the cursor: everything moves down
        file_list.rebuild(merge=True)
        assert file_list._generation > drawn
        assert file_list.cursor == 6 and file_list.cursor_entry == on_row
