"""Selecting entries: Insert/Space, +/-/* by pattern, and the summary in the status bar."""

from __future__ import annotations

from pathlib import Path

from tests.tui.helpers import dialog_up, main_screen, make_app, settle, until

SIZE = (120, 36)


def marked(app: object) -> list[str]:
    return [e.name for e in main_screen(app).active.listing.marked_entries()]


async def test_insert_and_space_toggle_and_move_down(sample: Path, target: Path) -> None:
    app = make_app(sample, target)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        fl = main_screen(app).active.file_list
        await pilot.press("end", "up", "up", "insert")  # photo-002? no: by name order
        first = fl.listing.rows[fl.cursor - 1].name
        await pilot.press("space")
        second = fl.listing.rows[fl.cursor - 1].name
        assert marked(app) == [first, second]
        await pilot.press("up", "space")  # unmark the second again
        assert marked(app) == [first]
        row = fl.listing.index_of(first)
        assert fl.render_line(row - fl.scroll_offset.y).text.startswith("*" + first)


async def test_status_bar_shows_count_and_total_size_of_selection(
    sample: Path, target: Path
) -> None:
    app = make_app(sample, target)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        bar = app.screen.query_one("StatusBar")
        # what the pane shows (folders and files; the hidden file is not shown)
        assert bar.selection_text().startswith("11 items")
        await pilot.press("plus")
        await dialog_up(pilot)
        app.screen.query_one("Input").value = "photo-*"
        await pilot.press("enter")
        await until(pilot, lambda: marked(app) == ["photo-001.jpg", "photo-002.jpg"])
        assert bar.selection_text() == "2 items selected, 4.3 MiB"
        assert "2 items selected" in app.screen.query_one("StatusBar").render().plain


async def test_minus_unselects_by_pattern_and_star_inverts(sample: Path, target: Path) -> None:
    app = make_app(sample, target)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("plus")
        await dialog_up(pilot)
        await pilot.press("enter")  # the default pattern "*": every file
        await until(pilot, lambda: len(marked(app)) == 8)  # files only, hidden ones stay hidden
        await pilot.press("minus")
        await dialog_up(pilot)
        app.screen.query_one("Input").value = "*.jpg"
        await pilot.press("enter")
        await until(pilot, lambda: len(marked(app)) == 6)
        assert "photo-001.jpg" not in marked(app)
        await pilot.press("asterisk")
        assert marked(app) == ["photo-001.jpg", "photo-002.jpg"]
