"""The dialogs' tables (links, versions, clean-up, remotes) are filled by ``fill_table``."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import DataTable

from tests.tui.dialogs.harness import SIZE
from tui.dialogs.common import fill_table

URL = "https://1drv.ms/u/s!AbCdEfGhIjKlMnOpQrStUvWx?e=a1b2c3"


class OneTable(App[None]):
    def compose(self) -> ComposeResult:
        yield DataTable()


def row_text(table: DataTable[str], y: int) -> str:
    return table.render_line(y).text


async def test_columns_fit_their_rows_in_the_first_frame_drawn() -> None:
    """A frame drawn before the table next idles (a busy machine) has the full widths already,
    and so does every frame after it: DataTable would measure the rows only when idle, and
    keep the header-wide frame it had cached."""
    app = OneTable()
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(DataTable)
        fill_table(table, ("Type", "Address"), [("view", URL), ("edit", URL[:20])], ["a", "b"])
        assert URL in row_text(table, 1)  # drawn at once, nothing awaited
        await pilot.pause()
        assert URL in row_text(table, 1)
        assert "Address" in row_text(table, 0)
        assert [key.value for key in table.rows] == ["a", "b"]
        fill_table(table, ("Type", "Address"), [("view", "x")])
        assert row_text(table, 1).split() == ["view", "x"]  # narrower again, not the old width


async def test_a_name_that_looks_like_markup_is_shown_as_it_is() -> None:
    """File names come from disks and servers: "[b]draft[/b].docx" is a name, not bold text."""
    app = OneTable()
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(DataTable)
        fill_table(table, ("Name", "Size"), [("[b]draft[/b].docx", "1 KB")])
        await pilot.pause()
        assert "[b]draft[/b].docx" in row_text(table, 1)
