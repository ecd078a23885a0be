"""File operations by key: copy, move, rename, mkdir, delete (trash and for good), view, edit."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

import pytest

from tests.tui.helpers import dialog_up, main_screen, make_app, names, settle, until

SIZE = (120, 36)


async def goto(pilot: object, name: str) -> None:
    fl = main_screen(pilot.app).active.file_list  # type: ignore[attr-defined]
    fl.move_cursor(fl.listing.index_of(name))


async def test_f5_copies_the_marked_files_to_the_other_pane(sample: Path, target: Path) -> None:
    app = make_app(sample, target)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await goto(pilot, "notes.txt")
        await pilot.press("insert")
        await goto(pilot, "Documents")
        await pilot.press("insert", "f5")
        await dialog_up(pilot)
        assert app.screen.query_one("Input").value == "~/target"
        await pilot.press("enter")
        await settle(pilot)
        assert (target / "notes.txt").read_bytes() == (sample / "notes.txt").read_bytes()
        assert (target / "Documents" / "inside-0.txt").exists()
        assert names(main_screen(app).pane("right")) == ["..", "Documents", "notes.txt"]
        assert main_screen(app).pane("left").listing.marked_count == 0
        panel = app.screen.query_one("TransferPanel")
        assert panel.display and [s.state for s in panel.jobs.values()] == ["done"]


async def test_f6_moves_the_entry_under_the_cursor(sample: Path, target: Path) -> None:
    app = make_app(sample, target)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await goto(pilot, "script.sh")
        await pilot.press("f6", "enter")
        await settle(pilot)
        assert (target / "script.sh").exists() and not (sample / "script.sh").exists()
        assert "script.sh" not in names(main_screen(app).pane("left"))
        assert "script.sh" in names(main_screen(app).pane("right"))


async def test_shift_f6_renames_in_place(sample: Path, target: Path) -> None:
    app = make_app(sample, target)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await goto(pilot, "notes.txt")
        await pilot.press("shift+f6")
        await dialog_up(pilot)
        field = app.screen.query_one("Input")
        await until(pilot, lambda: field.selected_text == "notes.txt")  # the whole name, as in mc
        await pilot.press(*"renamed.txt", "enter")  # typing the full name replaces it
        await settle(pilot)
        assert (sample / "renamed.txt").exists() and not (sample / "notes.txt").exists()
        assert main_screen(app).active.file_list.cursor_entry.name == "renamed.txt"


async def test_f7_makes_a_folder_and_refuses_bad_names(sample: Path, target: Path) -> None:
    app = make_app(sample, target)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f7")
        await dialog_up(pilot)
        await pilot.press("a", "/", "b", "enter")
        await until(
            pilot, lambda: "cannot contain" in str(app.screen.query_one("#dialog-error").render())
        )
        app.screen.query_one("Input").value = "New folder"
        await pilot.press("enter")
        await settle(pilot)
        assert (sample / "New folder").is_dir()
        assert main_screen(app).active.file_list.cursor_entry.name == "New folder"


async def test_f7_reports_an_existing_name_as_an_error(sample: Path, target: Path) -> None:
    app = make_app(sample, target)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f7")
        await dialog_up(pilot)
        app.screen.query_one("Input").value = "Music"
        await pilot.press("enter")
        await settle(pilot)
        assert app.error_log and app.error_log[-1].summary == "cannot make folder"
        assert "AlreadyExists" in app.error_log[-1].detail


async def test_f8_moves_to_the_trash_after_confirming(
    sample: Path, target: Path, isolated_dirs: Path
) -> None:
    app = make_app(sample, target)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await goto(pilot, "notes.txt")
        await pilot.press("f8")
        await until(pilot, lambda: "trash" in str(app.screen.query_one("#dialog-message").render()))
        await pilot.press("n")  # no: nothing happens
        await settle(pilot)
        assert (sample / "notes.txt").exists()
        await pilot.press("f8", "y")
        await settle(pilot)
        assert not (sample / "notes.txt").exists()
        trash = isolated_dirs / ".local/share/Trash/files"
        assert (trash / "notes.txt").exists()
        assert "notes.txt" not in names(main_screen(app).active)


async def test_shift_f8_deletes_for_good_and_defaults_to_no(sample: Path, target: Path) -> None:
    app = make_app(sample, target)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await goto(pilot, "Music")
        await pilot.press("shift+f8")
        await until(
            pilot,
            lambda: "cannot be undone" in str(app.screen.query_one("#dialog-message").render()),
        )
        await pilot.press("enter")  # the focused button is "No"
        await settle(pilot)
        assert (sample / "Music").exists()
        await pilot.press("shift+f8", "y")
        await settle(pilot)
        assert not (sample / "Music").exists()


async def test_f3_views_text_and_binary_files(sample: Path, target: Path) -> None:
    (sample / "poem.txt").write_text("line one\nline two\n")
    (sample / "blob.bin").write_bytes(b"\x00\x01ABC")
    app = make_app(sample, target)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await goto(pilot, "poem.txt")
        await pilot.press("f3")
        await settle(pilot)
        viewer = app.screen
        assert type(viewer).__name__ == "ViewerScreen"
        assert viewer.view.text_lines[:2] == ["line one", "line two"]
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is main_screen(app))  # the pop needs CPU
        await goto(pilot, "blob.bin")
        await pilot.press("enter")  # Enter on a file views it too
        await settle(pilot)
        assert app.screen.view.text_lines[0].startswith("0000000000  00 01 41 42 43")


@pytest.fixture
def editor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An $EDITOR that appends a line to the file it is given."""
    script = tmp_path / "editor.sh"
    script.write_text('#!/bin/sh\necho "edited" >> "$1"\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("EDITOR", str(script))
    monkeypatch.delenv("VISUAL", raising=False)
    return script


async def test_f4_edits_a_local_file_with_the_editor(
    sample: Path, target: Path, editor: Path
) -> None:
    app = make_app(sample, target)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await goto(pilot, "notes.txt")
        before = (sample / "notes.txt").stat().st_size
        await pilot.press("f4")
        await settle(pilot)
        assert (sample / "notes.txt").read_bytes().endswith(b"edited\n")
        assert main_screen(app).active.file_list.cursor_entry.size == before + 7


async def test_info_panel_shows_size_time_and_hash(sample: Path, target: Path) -> None:
    app = make_app(sample, target)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await goto(pilot, "notes.txt")
        await pilot.press("i")
        await settle(pilot)
        screen = main_screen(app)
        assert not screen.pane("right").display
        text = str(screen.query_one("#info-right #info-body").render())
        assert "96 bytes" in text and "2025-06-13 12:00:00" in text
        assert "Hash quickxor" in text
        await pilot.press("i")
        assert screen.pane("right").display


async def test_errors_notify_and_keep_details_for_the_log_screen(
    sample: Path, target: Path
) -> None:
    app = make_app(sample, target)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await goto(pilot, "Projects")
        shutil.rmtree(sample / "Projects")  # gone behind the listing's back
        await pilot.press("enter")
        await settle(pilot)
        assert main_screen(app).active.location.path == str(sample)  # back where it was
        assert any(n.severity == "error" for n in app._notifications)
        await pilot.press("ctrl+e")

        def log() -> str:
            return "\n".join(str(x.text) for x in app.screen.query_one("RichLog").lines)

        await until(pilot, lambda: "cannot list" in log() and "NotFound" in log())
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is main_screen(app))  # the pop needs CPU


async def test_f6_with_a_bare_name_renames_in_place(sample: Path, target: Path) -> None:
    app = make_app(sample, target)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await goto(pilot, "notes.txt")
        await pilot.press("f6")
        await dialog_up(pilot)
        app.screen.query_one("Input").value = "notes-2025.txt"
        await pilot.press("enter")
        await settle(pilot)
        assert (sample / "notes-2025.txt").exists() and not (sample / "notes.txt").exists()
        assert not (target / "notes-2025.txt").exists()
