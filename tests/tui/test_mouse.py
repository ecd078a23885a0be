"""The mouse: click moves the cursor, double click opens, wheel scrolls, drag and drop copies."""

from __future__ import annotations

from pathlib import Path

from textual import events

from tests.tui.helpers import dialog_up, main_screen, make_app, names, settle, until

SIZE = (120, 36)


def row_of(pane: object, name: str) -> int:
    return pane.listing.index_of(name)  # type: ignore[attr-defined]


async def test_click_moves_the_cursor_and_ctrl_click_marks(sample: Path, target: Path) -> None:
    app = make_app(sample, target)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        right = screen.pane("right")
        await pilot.click(
            screen.pane("left").file_list, offset=(3, row_of(screen.pane("left"), "notes.txt"))
        )
        assert screen.pane("left").file_list.cursor_entry.name == "notes.txt"
        await pilot.click(right.file_list, offset=(3, 0))
        assert screen.active_id == "right"
        left = screen.pane("left")
        await pilot.click(left.file_list, offset=(3, row_of(left, "README.md")), control=True)
        assert [e.name for e in left.listing.marked_entries()] == ["README.md"]  # ctrl: mark


async def test_double_click_opens_a_folder(sample: Path, target: Path) -> None:
    app = make_app(sample, target)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        left = main_screen(app).pane("left")
        await pilot.double_click(left.file_list, offset=(3, row_of(left, "Music")))
        await settle(pilot)
        assert left.location.path == str(sample / "Music")


async def test_wheel_scrolls_the_list(tmp_path: Path, target: Path) -> None:
    big = tmp_path / "many"
    big.mkdir()
    for i in range(200):
        (big / f"file-{i:03d}").touch()
    app = make_app(big, target)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        fl = main_screen(app).pane("left").file_list
        assert fl.scroll_offset.y == 0
        # Pilot has no wheel helper; its own event poster routes the event as the driver would.
        for _ in range(2):
            await pilot._post_mouse_events([events.MouseScrollDown], fl, offset=(3, 3))
        await until(pilot, lambda: fl.scroll_offset.y > 0)
        assert fl.cursor == 0  # the view moved, not the cursor


async def test_drag_to_the_other_pane_copies(sample: Path, target: Path) -> None:
    app = make_app(sample, target)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        left, right = screen.pane("left"), screen.pane("right")
        await pilot.mouse_down(left.file_list, offset=(3, row_of(left, "README.md")))
        await pilot.hover(left.file_list, offset=(3, row_of(left, "README.md") + 1))
        assert left.file_list.dragging
        await pilot.hover(right.file_list, offset=(5, 4))
        assert right.has_class("-drop-target")  # highlighted while dragging
        hint = app.screen.query_one("StatusBar").hint
        assert hint == "drop: copy file 'README.md' to ~/target"
        await pilot.mouse_up(right.file_list, offset=(5, 4))
        assert not right.has_class("-drop-target")
        await settle(pilot)
        assert (target / "README.md").read_bytes() == (sample / "README.md").read_bytes()
        assert "README.md" in names(right)


async def test_drop_onto_a_folder_row_copies_into_that_folder(sample: Path, target: Path) -> None:
    (target / "Inbox").mkdir()
    app = make_app(sample, target)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        left, right = screen.pane("left"), screen.pane("right")
        left.listing.mark_pattern("photo-*")
        left.file_list.marks_changed()
        await pilot.mouse_down(left.file_list, offset=(3, row_of(left, "photo-001.jpg")))
        inbox = row_of(right, "Inbox")
        await pilot.hover(right.file_list, offset=(4, inbox))
        assert right.file_list.drop_row == inbox
        await pilot.mouse_up(right.file_list, offset=(4, inbox))
        await settle(pilot)
        assert sorted(p.name for p in (target / "Inbox").iterdir()) == [
            "photo-001.jpg",
            "photo-002.jpg",
        ]


async def test_drop_on_the_source_pane_does_nothing(sample: Path, target: Path) -> None:
    app = make_app(sample, target)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        left = main_screen(app).pane("left")
        await pilot.mouse_down(left.file_list, offset=(3, row_of(left, "notes.txt")))
        await pilot.hover(left.file_list, offset=(3, row_of(left, "Music")))
        assert not left.has_class("-drop-target")
        await pilot.mouse_up(left.file_list, offset=(3, row_of(left, "Music")))
        await settle(pilot)
        assert not (sample / "Music" / "notes.txt").exists()
        assert app.screen.query_one("TransferPanel").jobs == {}


async def test_clicking_the_path_opens_the_location_picker(sample: Path, target: Path) -> None:
    app = make_app(sample, target)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.click("#right PathBar")
        await dialog_up(pilot, "LocationPicker")
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is main_screen(app))  # the pop needs CPU
