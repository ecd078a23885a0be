"""Find, compare, mirror, disk usage and the recycle bin in the TUI, against the TLS emulator
(the "work" remote of tests/tui/conftest.py) and local folders, driven by keys through Pilot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.config import load_config
from core.emulator import RunningServer
from core.paths import Location
from tests.tui.helpers import main_screen, make_app, names, settle, until

SIZE = (120, 36)


async def dialog_shown(pilot: Any) -> Any:
    """The modal screen a worker pushed, once it is composed (no fixed sleeps)."""
    await until(
        pilot, lambda: pilot.app.screen.is_modal and pilot.app.screen.query("#dialog-message")
    )
    return pilot.app.screen


async def test_find_file_panelizes_results_and_opens_their_folder(
    onedrive: RunningServer, sample: Path
) -> None:
    onedrive.emulator.put_file("/Documents/old/minutes-2019.txt", b"x")
    app = make_app(sample, Location("work", "/"), config=load_config())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        right = screen.pane("right")
        await pilot.press("tab", "alt+l")
        await settle(pilot)
        await pilot.press(*"minutes", "enter")
        await settle(pilot)
        assert right.virtual is not None and "search 'minutes'" in right.virtual.title
        assert names(right) == ["..", "Documents/minutes.txt", "Documents/old/minutes-2019.txt"]
        hit = right.listing.rows[1]
        assert hit.path == "/Documents/minutes.txt"  # the real path: F3/F5/F8 work on it
        right.file_list.move_cursor(2)
        await pilot.press("alt+g")
        await settle(pilot)
        assert right.virtual is None and right.location == Location("work", "/Documents/old")
        assert right.file_list.cursor_entry.name == "minutes-2019.txt"


async def test_find_file_copies_a_result_to_the_other_pane(
    onedrive: RunningServer, sample: Path, target: Path
) -> None:
    app = make_app(target, Location("work", "/"), config=load_config())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("tab", "alt+l", *"*.jpg", "enter")
        await settle(pilot)
        right = main_screen(app).pane("right")
        assert names(right) == ["..", "Pictures/beach.jpg", "Pictures/forest.jpg"]
        right.file_list.move_cursor(1)
        await pilot.press("f5", "enter")
        await settle(pilot)
        assert (target / "beach.jpg").read_bytes() == onedrive.emulator.read("/Pictures/beach.jpg")
        await pilot.press("backspace")  # ".." leaves the results for the folder searched
        await settle(pilot)
        assert right.virtual is None and right.location == Location("work", "/")


async def test_local_find_walks_with_the_same_dialog(sample: Path, target: Path) -> None:
    app = make_app(sample, target)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("alt+l", *"inside", "enter")
        await settle(pilot)
        left = main_screen(app).pane("left")
        assert names(left) == [
            "..",
            "Documents/inside-0.txt",
            "Music/inside-1.txt",
            "Projects/inside-2.txt",
        ]


async def test_compare_marks_both_panes_and_mirror_makes_them_alike(
    sample: Path, target: Path
) -> None:
    (target / "stale.txt").write_bytes(b"old")
    (target / "notes.txt").write_bytes(b"other")  # a different size than the sample's
    app = make_app(sample, target)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        left, right = screen.pane("left"), screen.pane("right")
        await pilot.press("alt+d")
        await settle(pilot)
        marked_left = {e.name for e in left.listing.marked_entries()}
        assert {"README.md", "notes.txt", "Documents"} <= marked_left
        assert {e.name for e in right.listing.marked_entries()} == {"stale.txt", "notes.txt"}
        await pilot.press("alt+m")
        dialog = await dialog_shown(pilot)
        assert "move 1 item(s) to the recycle bin / trash" in str(
            dialog.query_one("#dialog-message").render()
        )
        await pilot.press("y")
        await settle(pilot)
        assert not (target / "stale.txt").exists()
        assert (target / "notes.txt").read_bytes() == (sample / "notes.txt").read_bytes()
        assert (target / "Documents" / "inside-0.txt").exists()


async def test_disk_usage_shows_folder_sizes_biggest_first_and_descends(
    onedrive: RunningServer, sample: Path
) -> None:
    app = make_app(sample, Location("work", "/"), config=load_config())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("tab", "alt+u")
        await settle(pilot)
        right = main_screen(app).pane("right")
        assert right.virtual is not None and "(delta)" in right.virtual.title
        assert right.listing.folder_sizes  # totals shown, not "<DIR>"
        rows = right.listing.rows[1:]
        assert rows[0].name == "Pictures" and rows[0].size == 256 * 800 + 256 * 600
        for group in ([r for r in rows if r.is_dir], [r for r in rows if not r.is_dir]):
            assert [r.size for r in group] == sorted((r.size for r in group), reverse=True)
        right.file_list.move_cursor(1)
        await pilot.press("enter")
        await settle(pilot)
        assert names(right) == ["..", "beach.jpg", "forest.jpg"]


async def test_recycle_bin_dialog_on_personal_explains_and_restores_by_id(
    onedrive: RunningServer, sample: Path
) -> None:
    app = make_app(sample, Location("work", "/"), config=load_config())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        right = screen.pane("right")
        await pilot.press("tab")
        right.file_list.move_cursor(right.listing.index_of("todo.md"))
        item_id = onedrive.emulator.item("todo.md").id  # rows keep no ids (they are lean)
        await pilot.press("f8")
        await dialog_shown(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert "todo.md" not in names(right)
        told = [n.message for n in app._notifications]
        assert any(f"--restore {item_id}" in m for m in told), told
        await pilot.press("alt+t")
        await settle(pilot)
        message = str(app.screen.query_one("#dialog-message").render())
        assert "cannot be listed" in message and "onedrive.live.com" in message
        app.screen.query_one("#recycle-id").value = item_id
        await pilot.click("#restore")
        await settle(pilot)
        assert "Restored 1" in str(app.screen.query_one("#dialog-error").render())
        await pilot.press("escape")
        await settle(pilot)
        assert "todo.md" in names(right)


async def test_shared_with_me_is_a_folder_of_the_remote(
    onedrive: RunningServer, sample: Path, target: Path
) -> None:
    em = onedrive.emulator
    _, bob = em.add_user("Bob", "bob")
    em.share_with_me(em.put_file("Roadmap.txt", b"the plan", drive=bob))
    app = make_app(target, Location("work", "/"), config=load_config())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("tab", "alt+s")
        await settle(pilot)
        right = main_screen(app).pane("right")
        assert right.location == Location("work", "/@shared")
        assert names(right) == ["..", "Roadmap.txt"]
        right.file_list.move_cursor(1)
        await pilot.press("f5", "enter")
        await settle(pilot)
        assert (target / "Roadmap.txt").read_bytes() == b"the plan"
