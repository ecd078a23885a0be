"""The TUI against a OneDrive remote on the TLS Graph emulator (signed in with `skypane login`)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from core.config import load_config
from core.emulator import RunningServer
from core.paths import Location
from tests.tui.helpers import REMOTE_FILES, main_screen, make_app, names, settle, until

SIZE = (120, 36)


async def test_right_pane_opens_on_the_first_remote_and_lists_it(
    onedrive: RunningServer, sample: Path
) -> None:
    from tests.tui.helpers import fixed_clock
    from tui.app import SkypaneApp

    app = SkypaneApp(clock=fixed_clock, left=Location(None, str(sample)))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        right = main_screen(app).pane("right")
        assert right.location == Location("work", "/")
        assert names(right) == ["Backup", "Documents", "Pictures", "budget.xlsx", "todo.md"]
        todo = right.listing.rows[right.listing.index_of("todo.md")]
        assert todo.size == len(REMOTE_FILES["/todo.md"][0]) and todo.modified is not None
        # Rows keep what is drawn; hashes, ids and URLs are asked for when shown (info panel).
        assert not todo.hashes and todo.id is None
        assert (await right.backend.stat(todo.path)).hashes
        await pilot.press("tab")
        await settle(pilot)
        status = app.screen.query_one("StatusBar")
        assert status.quota.startswith("work: ") and "/ 5.0 GiB" in status.quota


async def test_copy_to_the_remote_and_back(
    onedrive: RunningServer, sample: Path, target: Path
) -> None:
    app = make_app(sample, Location("work", "/Backup"), config=load_config())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        left, right = screen.pane("left"), screen.pane("right")
        left.file_list.move_cursor(left.listing.index_of("README.md"))
        await pilot.press("f5", "enter")
        await settle(pilot)
        assert onedrive.emulator.read("/Backup/README.md") == (sample / "README.md").read_bytes()
        assert "README.md" in names(right)
        # And back: from the remote's Documents into the local target folder.
        screen.show_location(left, Location(None, str(target)))
        screen.show_location(right, Location("work", "/Documents"))
        await settle(pilot)
        await pilot.press("tab")
        right.file_list.move_cursor(right.listing.index_of("minutes.txt"))
        await pilot.press("f5", "enter")
        await settle(pilot)
        assert (target / "minutes.txt").read_bytes() == REMOTE_FILES["/Documents/minutes.txt"][0]


async def test_view_a_remote_file_reads_it(onedrive: RunningServer, sample: Path) -> None:
    app = make_app(sample, Location("work", "/"), config=load_config())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        right = main_screen(app).pane("right")
        await pilot.press("tab")
        right.file_list.move_cursor(right.listing.index_of("todo.md"))
        await pilot.press("f3")
        await settle(pilot)
        assert app.screen.view.text_lines[:2] == ["- buy milk", "- sync photos"]


async def test_edit_a_remote_file_uploads_only_when_changed(
    onedrive: RunningServer, sample: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:

    script = tmp_path / "editor.sh"
    script.write_text(
        '#!/bin/sh\n[ -n "$SKYPANE_TEST_EDIT" ] && echo "- call mum" >> "$1"\nexit 0\n'
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("EDITOR", str(script))
    app = make_app(sample, Location("work", "/"), config=load_config())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        right = main_screen(app).pane("right")
        await pilot.press("tab")
        right.file_list.move_cursor(right.listing.index_of("todo.md"))
        versions = len(onedrive.emulator.item("/todo.md").versions)
        await pilot.press("f4")  # the editor changes nothing
        await settle(pilot)
        assert len(onedrive.emulator.item("/todo.md").versions) == versions
        assert any("unchanged" in n.message for n in app._notifications)
        monkeypatch.setenv("SKYPANE_TEST_EDIT", "1")
        await pilot.press("f4")
        await settle(pilot)
        assert onedrive.emulator.read("/todo.md").endswith(b"- call mum\n")


async def test_delete_on_the_remote_goes_to_the_recycle_bin(
    onedrive: RunningServer, sample: Path
) -> None:
    app = make_app(sample, Location("work", "/"), config=load_config())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        right = main_screen(app).pane("right")
        await pilot.press("tab")
        right.file_list.move_cursor(right.listing.index_of("budget.xlsx"))
        await pilot.press("f8")
        await until(
            pilot, lambda: "recycle bin" in str(app.screen.query_one("#dialog-message").render())
        )
        await pilot.press("y")
        await settle(pilot)
        assert "budget.xlsx" not in names(right)
