"""The column titles above a FileList, with the sort column and direction; click to sort."""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from tui.widgets.file_list import SHORT_TIME_WIDTH, column_widths
from tui.widgets.listing import SortKey, SortOrder


class ColumnHeader(Widget):
    DEFAULT_CSS = """
    ColumnHeader { height: 1; }
    """

    order: reactive[SortOrder] = reactive(SortOrder())
    #: The list's listing mode (see file_list.MODES).
    mode: reactive[str] = reactive("full")

    class SortRequested(Message):
        def __init__(self, key: SortKey) -> None:
            super().__init__()
            self.key = key

    def _spans(self) -> list[tuple[SortKey, int, int]]:
        """(sort key, start x, width) of each column title."""
        name_w, size_w, time_w = column_widths(self.size.width - self._gutter(), self.mode)
        spans = [(SortKey.NAME, 0, name_w + 1)]
        x = name_w + 1
        if size_w:
            spans.append((SortKey.SIZE, x, size_w + 1))
            x += size_w + 1
        if time_w:
            spans.append((SortKey.TIME, x, time_w + 1))
        return spans

    def _gutter(self) -> int:
        # The list below has a scrollbar; keep titles above their columns.
        return 1

    def render(self) -> Text:
        order = self.order
        arrow = "↓" if order.reverse else "↑"
        spans = self._spans()
        short = any(k is SortKey.TIME and w == SHORT_TIME_WIDTH + 1 for k, _x, w in spans)
        titles = {SortKey.SIZE: "Size", SortKey.TIME: "Date" if short else "Modified"}
        text = Text(no_wrap=True, overflow="crop")
        for key, _x, width in spans:
            if key is SortKey.NAME:
                active = order.key in (SortKey.NAME, SortKey.EXTENSION)
                ext = "(ext)" if order.key is SortKey.EXTENSION else ""
                cell = (" Name" + ext + (arrow if active else "")).ljust(width)
            else:
                active = order.key is key
                cell = (titles[key] + (arrow if active else "")).rjust(width)
            text.append(cell[:width], style="bold" if active else "")
        return text

    def on_click(self, event: events.Click) -> None:
        event.stop()
        for key, x, width in self._spans():
            if x <= event.x < x + width:
                self.post_message(self.SortRequested(key))
                return
