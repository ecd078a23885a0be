"""Browsing with the keyboard: two panes, folders, history, sorting, hidden files, search, filter."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from core.backends.local import LocalBackend
from core.model import Entry
from core.paths import Location
from tests.tui.dialogs.harness import until
from tests.tui.helpers import NOW, dialog_up, main_screen, make_app, names, settle
from tui.widgets.listing import SortKey

SIZE = (120, 36)


async def test_opens_two_panes_left_folder_right_home_when_no_remote(
    sample: Path, isolated_dirs: Path
) -> None:
    from tests.tui.helpers import fixed_clock
    from tui.app import SkypaneApp

    app = SkypaneApp(clock=fixed_clock, left=Location(None, str(sample)))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        assert screen.pane("left").location == Location(None, str(sample))
        assert screen.pane("right").location == Location(None, str(isolated_dirs))
        assert names(screen.pane("left"))[:4] == ["..", "Documents", "Music", "Projects"]
        assert ".hidden-config" not in names(screen.pane("left"))
        assert any("No remote configured" in n.message for n in app._notifications)


async def test_enter_opens_folder_and_backspace_returns_to_it(sample: Path, target: Path) -> None:
    app = make_app(sample, target)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        left = main_screen(app).pane("left")
        await pilot.press("down", "down", "enter")  # Music
        await settle(pilot)
        assert left.location.path == str(sample / "Music")
        assert names(left) == ["..", "inside-1.txt"]
        await pilot.press("backspace")
        await settle(pilot)
        assert left.location.path == str(sample)
        assert left.file_list.cursor_entry.name == "Music"


async def test_enter_on_parent_row_goes_up(sample: Path, target: Path) -> None:
    app = make_app(sample / "Projects", target)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("home", "enter")
        await settle(pilot)
        left = main_screen(app).pane("left")
        assert left.location.path == str(sample)
        assert left.file_list.cursor_entry.name == "Projects"


async def test_back_and_forward_through_history(sample: Path, target: Path) -> None:
    app = make_app(sample, target)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        left = main_screen(app).pane("left")
        await pilot.press("down", "enter")  # Documents
        await settle(pilot)
        await pilot.press("alt+left")
        await settle(pilot)
        assert left.location.path == str(sample)
        await pilot.press("alt+right")
        await settle(pilot)
        assert left.location.path == str(sample / "Documents")


async def test_cursor_is_remembered_per_folder(sample: Path, target: Path) -> None:
    app = make_app(sample, target)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        left = main_screen(app).pane("left")
        await pilot.press("end")  # last file
        last = left.file_list.cursor_entry.name
        await pilot.press("home", "down", "enter")  # into Documents
        await settle(pilot)
        await pilot.press("alt+left")
        await settle(pilot)
        assert left.file_list.cursor_entry.name == "Documents"
        await pilot.press("end")
        # Going somewhere and back by history restores where the cursor was.
        left.show(left.backend, str(target))
        await settle(pilot)
        await pilot.press("alt+left")
        await settle(pilot)
        assert left.file_list.cursor_entry.name == last


async def test_tab_switches_the_active_pane(sample: Path, target: Path) -> None:
    app = make_app(sample, target)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        assert screen.active_id == "left"
        await pilot.press("tab")
        assert screen.active_id == "right"
        assert screen.pane("right").has_class("-active")
        assert app.focused is screen.pane("right").file_list
        await pilot.press("tab")
        assert screen.active_id == "left"


async def test_hidden_files_toggle(sample: Path, target: Path) -> None:
    app = make_app(sample, target)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        left = main_screen(app).pane("left")
        bar = app.screen.query_one("StatusBar")
        state = left.query_one("PathBar")
        assert state.state == "11 of 12 items" and bar.selection_text().startswith("11 items")
        await pilot.press("alt+full_stop")
        assert ".hidden-config" in names(left)
        # the counts are those of the rows shown
        assert state.state == "hidden shown · 12 items"
        assert bar.selection_text().startswith("12 items")
        await pilot.press("full_stop")  # what tmux's Alt+. (ESC .) reaches the app as
        assert ".hidden-config" not in names(left)


async def test_sort_by_keys_and_by_clicking_column_titles(sample: Path, target: Path) -> None:
    app = make_app(sample, target)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        left = main_screen(app).pane("left")

        def files() -> list[str]:
            return [e.name for e in left.listing.rows if not e.is_dir]

        await pilot.press("ctrl+f6")  # size, smallest first
        assert files()[0] == "notes.txt" and files()[-1] == "zeta.tar.gz"
        await pilot.press("ctrl+f6")  # again: reversed
        assert left.listing.order.reverse and files()[0] == "zeta.tar.gz"
        await pilot.press("ctrl+f5")  # time, oldest first
        assert files()[0] == "report.pdf" and files()[-1] == "README.md"
        await pilot.press("ctrl+f4")  # extension: .gz before .jpg
        assert left.listing.order.key is SortKey.EXTENSION
        assert files()[:2] == ["zeta.tar.gz", "photo-001.jpg"]
        assert names(left)[:4] == ["..", "Documents", "Music", "Projects"]  # folders first
        header = left.query_one("ColumnHeader")
        await pilot.click(header, offset=(header.size.width - 4, 0))  # "Modified"
        assert left.listing.order.key is SortKey.TIME
        await pilot.click(header, offset=(2, 0))  # "Name"
        assert left.listing.order.key is SortKey.NAME


async def test_quick_search_jumps_as_you_type(sample: Path, target: Path) -> None:
    app = make_app(sample, target)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        fl = main_screen(app).pane("left").file_list
        await pilot.press("ctrl+s", "p", "h")
        assert fl.cursor_entry.name == "photo-001.jpg"
        await pilot.press("down")  # next match
        assert fl.cursor_entry.name == "photo-002.jpg"
        await pilot.press("o", "t", "o", "-", "0", "0", "1")
        assert fl.cursor_entry.name == "photo-001.jpg"
        await pilot.press("escape")
        assert app.focused is fl
        assert fl.cursor_entry.name == "photo-001.jpg"


async def test_filter_shows_matching_files_and_escape_clears_it(sample: Path, target: Path) -> None:
    app = make_app(sample, target)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        left = main_screen(app).pane("left")
        await pilot.press("ctrl+f")
        app.screen.query_one("SearchBox").value = "*.jpg"
        await pilot.press("enter")
        assert [e.name for e in left.listing.rows if not e.is_dir] == [
            "photo-001.jpg",
            "photo-002.jpg",
        ]
        assert left.query_one("PathBar").state == "filter *.jpg · 5 of 12 items"
        assert app.screen.query_one("StatusBar").selection_text() == "5 items, 4.3 MiB"
        await pilot.press("ctrl+f", "escape")
        assert "notes.txt" in names(left)


async def test_ctrl_r_refreshes_and_keeps_the_cursor(sample: Path, target: Path) -> None:
    app = make_app(sample, target)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        left = main_screen(app).pane("left")
        await pilot.press("end")
        (sample / "aaa-new.txt").write_text("new")
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert "aaa-new.txt" in names(left)
        assert left.file_list.cursor_entry.name == "zeta.tar.gz"


async def test_relative_times_move_on_with_the_clock(
    sample: Path, target: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tui.widgets.file_list import FileList

    monkeypatch.setattr(FileList, "TIME_REFRESH", 0.05)
    now = [NOW]
    app = make_app(sample, target)
    app.clock = lambda: now[0]
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        fl = main_screen(app).pane("left").file_list
        row = fl.listing.index_of("README.md")  # 5 minutes old
        assert "5 min ago" in fl.render_line(row).text
        now[0] = NOW + timedelta(minutes=10)
        await until(pilot, lambda: "15 min ago" in fl.render_line(row).text)


async def test_the_cursor_stays_on_its_row_when_its_file_moves_away(
    sample: Path, target: Path
) -> None:
    app = make_app(sample, target)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        left = main_screen(app).pane("left")
        rows = names(left)
        left.file_list.move_cursor(rows.index("notes.txt"))
        await pilot.press("f6", "enter")  # move to the other pane
        await settle(pilot)
        assert "notes.txt" not in names(left)
        assert left.file_list.cursor_entry.name == rows[rows.index("notes.txt") + 1]


async def test_location_picker_switches_a_pane_to_a_typed_path(sample: Path, target: Path) -> None:
    app = make_app(sample, target)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+g")
        await dialog_up(pilot)
        field = app.screen.query_one("#picker-path")
        field.value = str(sample / "Music")
        field.focus()
        await pilot.press("enter")
        await settle(pilot)
        assert main_screen(app).pane("left").location.path == str(sample / "Music")


async def test_location_picker_takes_typing_at_once_and_arrows_walk_the_list(
    sample: Path, target: Path
) -> None:
    app = make_app(sample, target)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+g")
        await dialog_up(pilot)
        await pilot.press(*str(sample / "Music"), "enter")  # no Tab needed first
        await settle(pilot)
        assert main_screen(app).pane("left").location.path == str(sample / "Music")
        await pilot.press("ctrl+g")
        await dialog_up(pilot)
        await pilot.press("down", "enter")  # the second entry: local /
        await settle(pilot)
        assert main_screen(app).pane("left").location.path == "/"


async def test_location_picker_lists_local_and_configured_remotes(
    sample: Path, target: Path
) -> None:
    from core.config import RemoteConfig, load_config

    config = load_config()
    config.set_remote(RemoteConfig("disk2", "local", {"root": str(target)}))
    config.save()
    app = make_app(sample, target, config=load_config())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("alt+f2")
        await dialog_up(pilot)
        options = app.screen.query_one("OptionList")
        prompts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert prompts[0].startswith("local") and prompts[2].startswith("disk2:")
        await pilot.press("down", "down", "enter")
        await settle(pilot)
        assert main_screen(app).pane("right").location == Location("disk2", "/")


class GatedBackend(LocalBackend):
    """A local backend whose listing hands out one page per ``step`` (to watch pages arrive)."""

    def __init__(self) -> None:
        super().__init__()
        self.step = asyncio.Event()

    async def list(self, path: str) -> AsyncIterator[list[Entry]]:
        async for page in super().list(path):
            await self.step.wait()
            self.step.clear()
            yield page


async def test_large_listing_paints_page_by_page(tmp_path: Path, target: Path) -> None:
    big = tmp_path / "big"
    big.mkdir()
    for i in range(2500):  # three pages of the local backend
        (big / f"f{i:05d}").touch()
    app = make_app(target, target)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        gated = GatedBackend()
        screen.backends[None] = gated
        left = screen.pane("left")
        left.show(gated, str(big))
        gated.step.set()
        await until(pilot, lambda: len(left.listing.rows) > 1)
        assert len(left.listing.rows) == 1001  # ".." and the first page, painted
        assert left.listing_busy
        assert "1,000…" in left.query_one("PathBar").state
        gated.step.set()
        while left.listing_busy:
            await pilot.pause()
            gated.step.set()
        assert len(left.listing.rows) == 2501
        assert left.listing.rows[1].name == "f00000"


async def test_keys_typed_right_after_tab_act_on_the_new_pane(sample: Path, target: Path) -> None:
    app = make_app(sample, target)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        # Both keys in one go, as a terminal delivers them from one read.
        screen.action_switch_pane()
        await screen.run_action("mkdir")
        await dialog_up(pilot)
        app.screen.query_one("Input").value = "made-on-the-right"
        await pilot.press("enter")
        await settle(pilot)
        assert (target / "made-on-the-right").is_dir()


async def test_hostile_names_are_shown_as_escapes_never_sent_to_the_terminal(
    tmp_path: Path, target: Path
) -> None:
    import os

    folder = tmp_path / "hostile"
    folder.mkdir()
    raw = {
        "clear\x1b[2Jscreen.txt": "clear\\x1b[2Jscreen.txt",
        "photo\u202egpj.exe": "photo\\u202egpj.exe",
        "c1\x9bcsi.txt": "c1\\x9bcsi.txt",
        "line\nbreak.txt": "line\\x0abreak.txt",
    }
    for name in raw:
        (folder / name).write_bytes(b"x")
    os.close(os.open(os.fsencode(folder) + b"/bytes-\xff.bin", os.O_CREAT | os.O_WRONLY, 0o600))
    app = make_app(folder, target)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        file_list = main_screen(app).pane("left").file_list
        shown = "\n".join(file_list.render_line(y).text for y in range(file_list.size.height))
        for name, escaped in raw.items():
            assert escaped in shown, escaped
            assert name not in shown
        assert "bytes-\\xff.bin" in shown
        for bad in ("\x1b", "\u202e", "\x9b", "\udcff"):
            assert bad not in shown


async def test_listing_modes_full_brief_and_long(sample: Path, target: Path) -> None:
    for i in range(40):  # more rows than two columns of the screen hold
        (sample / f"log-{i:02d}.txt").write_text("x")
    app = make_app(sample, target)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        left, right = screen.pane("left"), screen.pane("right")
        fl = left.file_list
        rows = names(left)
        # at 80 columns full mode's time column is the short one (``Jun 12``, ``09:00``)
        assert fl.mode == "full" and "Date" in left.query_one("ColumnHeader").render().plain
        await pilot.press("alt+w")  # brief: names in two columns
        assert fl.mode == "brief"
        half = -(-len(rows) // 2)
        line = fl.render_line(1).text
        assert rows[1] in line and rows[half + 1] in line  # column 2 goes on from row `half`
        assert fl.render_line(half).text.strip() == ""  # nothing under the columns
        fl.move_cursor(1)
        await pilot.press("right")
        assert fl.cursor == 1 + half
        await pilot.press("left")
        assert fl.cursor == 1
        await pilot.press("alt+w")  # long: the whole width, exact sizes, full dates
        await until(pilot, lambda: left.outer_size.width == 80)
        assert fl.mode == "long" and not right.display
        line = fl.render_line(rows.index("photo-001.jpg")).text
        assert "2,345,678" in line and "2025-05-06" in line
        await pilot.press("alt+w")
        await until(pilot, lambda: fl.mode == "full" and right.display)
