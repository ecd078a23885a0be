"""FileList: the rows of one folder, drawn line by line (Textual's Line API).

A ``ScrollView`` that renders only the visible lines from a ``Listing`` and keeps built
strips in an LRU cache, so a 100,000-entry folder paints as fast as a 10-entry one and
moving the cursor repaints two lines. Pages of a listing are added as they arrive and
sorted into view a few times a second (each time costing about what arrived, not the
folder), so keys pressed meanwhile wait for no sort.

Mouse: a press moves the cursor (ctrl toggles the mark), a double click opens, and moving
with the button held drags: the list captures the mouse (as Textual's ScrollBar does) and
reports where the pointer is in screen coordinates; the screen finds the target.
"""

from __future__ import annotations

import time
from typing import ClassVar, TypeAlias

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Offset, Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from core.model import Entry
from tui import messages
from tui.format import (
    Clock,
    fmt_datetime,
    fmt_mtime,
    fmt_mtime_short,
    fmt_size,
    fmt_size_short,
    safe_name,
    system_clock,
)
from tui.widgets.listing import PARENT, Listing, SortOrder

SIZE_WIDTH = 6
TIME_WIDTH = 12
#: Below this width the time column is dropped, then the size column.
NARROW = 34
TINY = 20


#: mc's listing modes: name, size and time ("full"); names only, in two columns ("brief");
#: one pane the whole width with exact sizes and full dates ("long"). Alt+W cycles them (ESC b is read as Ctrl+←) (mc's Alt+T is the recycle bin here).
MODES = ("full", "brief", "long")
#: Long mode's size (exact bytes) and time (``2025-06-15 12:00``) columns.
LONG_SIZE_WIDTH = 15
LONG_TIME_WIDTH = 16
#: Brief mode's name columns.
BRIEF_COLUMNS = 2


#: Full mode gives the name at least this many cells where it can: in a narrower pane (a
#: half of 80 columns) sizes and times take their short forms (``34M``, ``Mar 05``).
NAME_AT_LEAST = 24
SHORT_SIZE_WIDTH = 5
SHORT_TIME_WIDTH = 6


def column_widths(width: int, mode: str = "full") -> tuple[int, int, int]:
    """Name, size and time column widths for a row of ``width`` cells (marks column apart)."""
    if mode == "brief":
        return max(width // BRIEF_COLUMNS - 1, 1), 0, 0
    long = mode == "long"
    size_w = (LONG_SIZE_WIDTH if long else SIZE_WIDTH) if width >= TINY else 0
    time_w = (LONG_TIME_WIDTH if long else TIME_WIDTH) if width >= NARROW else 0
    if not long and _name_width(width, size_w, time_w) < NAME_AT_LEAST:
        size_w = SHORT_SIZE_WIDTH if size_w else 0
        time_w = SHORT_TIME_WIDTH if time_w else 0
    return max(_name_width(width, size_w, time_w), 1), size_w, time_w


def _name_width(width: int, size_w: int, time_w: int) -> int:
    return width - 1 - (size_w + 1 if size_w else 0) - (time_w + 1 if time_w else 0)


def fit(text: str, width: int) -> str:
    """Pad or cut ``text`` to ``width`` cells; a cut name ends with ``~`` as in mc."""
    if cell_len(text) <= width:
        return set_cell_size(text, width)
    return set_cell_size(text, max(width - 1, 0)) + ("~" if width else "")


def text_only(style: Style) -> Style:
    """``style`` minus its background, so it can be laid over a cursor or highlight.

    Component styles come resolved against the widget (alpha colours blended), background
    included; for text layers only the foreground and attributes are wanted.
    """
    return Style(
        color=style.color,
        bold=style.bold,
        dim=style.dim,
        italic=style.italic,
        underline=style.underline,
        reverse=style.reverse,
        strike=style.strike,
    )


class FileList(ScrollView, can_focus=True):
    """One folder's rows with a cursor and marks."""

    ALLOW_SELECT = False

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor_up", "Up", show=False, id="cursor-up"),
        Binding("down", "cursor_down", "Down", show=False, id="cursor-down"),
        Binding("pageup", "page_up", "Page up", show=False, id="page-up"),
        Binding("pagedown", "page_down", "Page down", show=False, id="page-down"),
        Binding("home", "first", "First", show=False, id="first"),
        Binding("end", "last", "Last", show=False, id="last"),
        Binding("enter", "open", "Open", show=False, id="open"),
        Binding("insert,space", "toggle_mark", "Select", show=False, id="select"),
        Binding("left", "column(-1)", "Column left (brief)", show=False, id="column-left"),
        Binding("right", "column(1)", "Column right (brief)", show=False, id="column-right"),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "file-list--cursor",
        "file-list--cursor-blurred",
        "file-list--folder",
        "file-list--marked",
        "file-list--hidden",
        "file-list--link",
        "file-list--detail",
        "file-list--drop-target",
    }

    class Activated(Message):
        """Enter or a double click on a row."""

        def __init__(self, file_list: FileList, entry: Entry) -> None:
            super().__init__()
            self.file_list = file_list
            self.entry = entry

        @property
        def control(self) -> FileList:
            return self.file_list

    CursorMoved: TypeAlias = messages.CursorMoved  # a dataclass that merges in the queue

    class MarksChanged(Message):
        def __init__(self, file_list: FileList, count: int, size: int) -> None:
            super().__init__()
            self.file_list = file_list
            self.count = count
            self.size = size

        @property
        def control(self) -> FileList:
            return self.file_list

    class _Drag(Message):
        def __init__(self, file_list: FileList, entries: list[Entry], screen_offset: Offset):
            super().__init__()
            self.file_list = file_list
            self.entries = entries
            self.screen_offset = screen_offset

        @property
        def control(self) -> FileList:
            return self.file_list

    class DragMoved(_Drag):
        """The pointer moved while dragging ``entries``; ``screen_offset`` is where it is."""

    class DragDropped(_Drag):
        """The button was released while dragging ``entries`` at ``screen_offset``."""

    def __init__(
        self,
        *,
        clock: Clock = system_clock,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.clock = clock
        self.listing = Listing()
        self.cursor = 0
        #: Row highlighted as the drop target while something is dragged over this list.
        self.drop_row: int | None = None
        self._generation = 0
        self._cache: LRUCache[tuple[object, ...], Strip] = LRUCache(1024)
        self._press: tuple[Offset, int] | None = None
        self._dragging: list[Entry] | None = None
        self._cursor_lit = False
        self._now = clock()
        #: One of MODES.
        self.mode = "full"
        #: When arrived pages were last sorted into view (time.monotonic).
        self._merged_at = 0.0

    #: Seconds between redraws of the times ("50 sec ago" must not stay 50 seconds old).
    TIME_REFRESH = 10.0

    def on_mount(self) -> None:
        self.set_interval(self.TIME_REFRESH, self._refresh_times)

    def _refresh_times(self) -> None:
        now = self.clock()
        if now == self._now or not self.listing.rows:
            return  # a fixed clock (tests, screenshots) or nothing shown
        self._now = now
        self._cache.clear()
        self.refresh()  # only the visible lines are drawn again

    # -- data in -----------------------------------------------------------------

    def set_listing(self, listing: Listing, cursor: int = 0) -> None:
        """Show a new (possibly still empty) listing."""
        self.listing = listing
        self.cursor = 0
        self._changed()
        self.scroll_to(0, 0, animate=False, immediate=True)
        self.move_cursor(cursor)
        self._post_marks()

    #: Seconds between sorting arrived pages into view while a listing streams in (each
    #: time a frame is drawn, with the counts, that a key pressed meanwhile waits for).
    MERGE_EVERY = 0.5

    def add_page(self, page: list[Entry]) -> bool:
        """Add a page of a listing in progress; sort what arrived into view now and then
        (returns whether it did).

        While the list is shorter than the screen every page shows at once; after that,
        pages are sorted in every MERGE_EVERY seconds: each time costs about what arrived
        since (``Listing.merge_pending``), and repainting the list a few times a second
        leaves the frames in between to the keys.
        """
        listing = self.listing
        listing.add_page(page)
        now = time.monotonic()
        if len(listing) <= self.size.height or now - self._merged_at >= self.MERGE_EVERY:
            self.rebuild(merge=True)
            return True
        return False

    def rebuild(self, keep: str | None = None, row: int | None = None, merge: bool = False) -> None:
        """Re-sort and re-filter (``merge``: only sort in what arrived since); the cursor
        stays on the same entry (or ``keep``), else on ``row`` (or the row it is on)."""
        listing = self.listing
        current = listing.index_at(self.cursor) if 0 <= self.cursor < len(listing) else None
        shown = self._shown_indices()
        if merge:
            listing.merge_pending()
        else:
            listing.rebuild()
        self._merged_at = time.monotonic()
        if keep is not None:
            row_now = listing.index_of(keep)
        else:
            row_now = listing.row_of(current) if current is not None else None
        fallback = self.cursor if row is None else row
        target = row_now if row_now is not None else min(fallback, len(listing) - 1)
        if merge and target == self.cursor and shown and shown == self._shown_indices():
            # Rows arrived out of sight (the usual case while a big folder streams in): the
            # lines drawn stay as they are; only the scroll bar learns the new length.
            self.virtual_size = Size(self.size.width, self._line_count())
            return
        self._changed()
        self.move_cursor(target)

    def _shown_indices(self) -> tuple[int | None, ...] | None:
        """The entries on the lines in view (None in brief mode, whose columns reflow)."""
        if self.mode == "brief":
            return None
        listing = self.listing
        top = self.scroll_offset.y
        bottom = min(top + self.scrollable_content_region.height, len(listing))
        return tuple(listing.index_at(row) for row in range(top, bottom))

    def set_order(self, order: SortOrder) -> None:
        self.listing.order = order
        self.rebuild()

    def _changed(self) -> None:
        self._generation += 1
        self._cache.clear()
        self._now = self.clock()
        self.virtual_size = Size(self.size.width, self._line_count())
        self.refresh()

    def _line_count(self) -> int:
        """Lines the rows take: one each, or a column's worth in brief mode (as in mc, the
        first column fills the screen before the second starts)."""
        count = len(self.listing)
        if self.mode != "brief":
            return count
        height = self.scrollable_content_region.height
        return max(-(-count // BRIEF_COLUMNS), min(count, height))

    def set_mode(self, mode: str) -> None:
        self.mode = mode
        self._changed()
        self.move_cursor(self.cursor)

    def _place(self, index: int) -> tuple[int, int]:
        """(line, column) of row ``index`` on the virtual canvas."""
        if self.mode != "brief":
            return index, 0
        per_column = max(self._line_count(), 1)
        return index % per_column, index // per_column

    def action_column(self, step: int) -> None:
        if self.mode == "brief":
            self.move_cursor(self.cursor + step * max(self._line_count(), 1))

    # -- reading state -----------------------------------------------------------

    @property
    def cursor_entry(self) -> Entry | None:
        rows = self.listing.rows
        return rows[self.cursor] if 0 <= self.cursor < len(rows) else None

    def chosen_entries(self) -> list[Entry]:
        """Marked entries, or the one under the cursor (never ``..``)."""
        marked = self.listing.marked_entries()
        if marked:
            return marked
        entry = self.cursor_entry
        return [entry] if entry is not None and entry is not PARENT else []

    def row_at_screen(self, screen_offset: Offset) -> int | None:
        """The row under a screen position, if it lies on a row of this list."""
        region = self.content_region
        if not region.contains(screen_offset.x, screen_offset.y):
            return None
        return self._row_at_cell(screen_offset.x - region.x, screen_offset.y - region.y)

    # -- cursor ------------------------------------------------------------------

    def move_cursor(self, index: int, *, scroll: bool = True) -> None:
        count = len(self.listing)
        index = max(0, min(index, count - 1)) if count else 0
        old = self.cursor
        self.cursor = index
        if old != index:
            self.refresh_line(old)
        self.refresh_line(index)
        if scroll and count:
            line, _ = self._place(index)
            self.scroll_to_region(Region(0, line, 1, 1), animate=False, immediate=True, force=True)
        self.post_message(self.CursorMoved(self, self.cursor_entry))

    def _page(self) -> int:
        return max(self.scrollable_content_region.height - 1, 1)

    def action_cursor_up(self) -> None:
        self.move_cursor(self.cursor - 1)

    def action_cursor_down(self) -> None:
        self.move_cursor(self.cursor + 1)

    def action_page_up(self) -> None:
        self.move_cursor(self.cursor - self._page())

    def action_page_down(self) -> None:
        self.move_cursor(self.cursor + self._page())

    def action_first(self) -> None:
        self.move_cursor(0)

    def action_last(self) -> None:
        self.move_cursor(len(self.listing) - 1)

    def action_open(self) -> None:
        entry = self.cursor_entry
        if entry is not None:
            self.post_message(self.Activated(self, entry))

    # -- marks -------------------------------------------------------------------

    def action_toggle_mark(self) -> None:
        if self.cursor_entry is None:
            return
        self.listing.toggle(self.cursor)
        self.refresh_line(self.cursor)
        self._post_marks()
        self.move_cursor(self.cursor + 1)

    def marks_changed(self) -> None:
        """Call after changing marks on the listing directly."""
        self._cache.clear()
        self.refresh()
        self._post_marks()

    def _post_marks(self) -> None:
        self.post_message(
            self.MarksChanged(self, self.listing.marked_count, self.listing.marked_size)
        )

    def set_cursor_lit(self, lit: bool) -> None:
        """Draw the cursor as focused even when the focus is elsewhere (quick search)."""
        self._cursor_lit = lit
        self.refresh_line(self.cursor)

    def set_drop_row(self, row: int | None) -> None:
        if row == self.drop_row:
            return
        for old in (self.drop_row, row):
            if old is not None:
                self.refresh_line(old)
        self.drop_row = row

    # -- drawing -----------------------------------------------------------------

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._cache.clear()

    def refresh_line(self, y: int) -> None:
        """Redraw the line that shows row ``y`` (rows and lines differ in brief mode)."""
        super().refresh_line(self._place(y)[0])

    def _on_resize(self, event: events.Resize) -> None:
        self._cache.clear()
        self.virtual_size = Size(event.size.width, self._line_count())

    def on_focus(self) -> None:
        self.refresh_line(self.cursor)

    def on_blur(self) -> None:
        self.refresh_line(self.cursor)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        line = y + self.scroll_offset.y
        if self.mode == "brief" and width > 0:
            cell = width // BRIEF_COLUMNS
            per_column = self._line_count()
            if line >= per_column:  # under the columns: the screen is taller than the list
                return Strip.blank(width, self.rich_style)
            strips = [
                self._row_strip(line + column * per_column, cell if column else width - cell)
                for column in range(BRIEF_COLUMNS)
            ]
            segments = [seg for strip in strips for seg in strip]
            return Strip(segments, width)
        return self._row_strip(line, width)

    def _row_strip(self, index: int, width: int) -> Strip:
        listing = self.listing
        if index >= len(listing) or width <= 0:
            return Strip.blank(width, self.rich_style)
        lit = self.has_focus or self._dragging is not None or self._cursor_lit
        cursor = index == self.cursor and lit
        blurred_cursor = index == self.cursor and not cursor
        marked = self.listing.row_marked(index)
        drop = index == self.drop_row
        key = (self._generation, index, width, cursor, blurred_cursor, marked, drop, self.mode)
        strip = self._cache.get(key)
        if strip is None:
            entry = listing.rows[index]  # made from the columns: only for lines drawn anew
            strip = self._render_row(entry, width, cursor, blurred_cursor, marked, drop)
            self._cache[key] = strip
        return strip

    def _text_style(self, component: str) -> Style:
        """A component's colour and text attributes without its background."""
        return text_only(self.get_component_rich_style(component))

    def _render_row(
        self,
        entry: Entry,
        width: int,
        cursor: bool,
        blurred_cursor: bool,
        marked: bool,
        drop: bool,
    ) -> Strip:
        base = self.rich_style
        name_style = base
        if entry.is_dir:
            name_style += self._text_style("file-list--folder")
        if entry.is_hidden:
            name_style += self._text_style("file-list--hidden")
        if entry.is_link:
            name_style += self._text_style("file-list--link")
        detail_style = base + self._text_style("file-list--detail")
        # Layers in order: a cursor or drop highlight brings its background, and a mark's
        # colour stays visible on top of the cursor (as in mc).
        layers: list[Style] = []
        if blurred_cursor:
            layers.append(self.get_component_rich_style("file-list--cursor-blurred"))
        if cursor:
            layers.append(self.get_component_rich_style("file-list--cursor"))
        if drop:
            layers.append(self.get_component_rich_style("file-list--drop-target"))
        if marked:
            layers.append(self._text_style("file-list--marked"))
        for layer in layers:
            name_style += layer
            detail_style += layer

        name_w, size_w, time_w = column_widths(width, self.mode)
        if self.mode == "brief":
            name_w = width - 1
        mark = "*" if marked else ("/" if entry.is_dir and entry is not PARENT else " ")
        if entry.is_link:
            mark = "@" if not marked else mark
        segments = [Segment(mark + fit(safe_name(entry.name), name_w), name_style)]
        if size_w:
            if entry is PARENT:
                size = "UP"
            elif entry.is_dir and not self.listing.folder_sizes:
                size = "<DIR>"
            else:
                size = (
                    f"{entry.size:,}"
                    if self.mode == "long"
                    else (fmt_size_short if size_w == SHORT_SIZE_WIDTH else fmt_size)(entry.size)
                )
            segments.append(Segment(" " + size.rjust(size_w)[:size_w], detail_style))
        if time_w:
            if entry is PARENT:
                when = ""
            elif self.mode == "long":
                when = fmt_datetime(entry.modified, self._now)
            else:
                short = time_w == SHORT_TIME_WIDTH
                when = (fmt_mtime_short if short else fmt_mtime)(entry.modified, self._now)
            segments.append(Segment(" " + when.rjust(time_w)[:time_w], detail_style))
        return Strip(segments, width).simplify()

    # -- mouse -------------------------------------------------------------------

    def _row_at(self, event: events.MouseEvent) -> int | None:
        return self._row_at_cell(event.x, event.y)

    def _row_at_cell(self, x: int, y: int) -> int | None:
        """The row drawn at ``(x, y)`` of the list's content."""
        width = self.scrollable_content_region.width
        if not 0 <= x < width:
            return None
        row = y + self.scroll_offset.y
        if self.mode == "brief":
            column = min(x // max(width // BRIEF_COLUMNS, 1), BRIEF_COLUMNS - 1)
            row += column * self._line_count()
        return row if 0 <= row < len(self.listing) else None

    async def _on_mouse_down(self, event: events.MouseDown) -> None:
        await super()._on_mouse_down(event)
        if event.button != 1:
            return
        row = self._row_at(event)
        if row is None:
            return
        self.focus()
        self.move_cursor(row, scroll=False)
        if event.ctrl:
            self.listing.toggle(row)
            self.refresh_line(row)
            self._post_marks()
        self._press = (event.screen_offset, row)
        self.capture_mouse()

    def _on_mouse_move(self, event: events.MouseMove) -> None:
        if self._press is None:
            return
        start, row = self._press
        if self._dragging is None:
            if event.screen_offset == start:
                return
            entry = self.listing.rows[row]
            if self.listing.row_marked(row):
                self._dragging = self.listing.marked_entries()
            else:
                self._dragging = [entry] if entry is not PARENT else []
            if not self._dragging:
                self._dragging = None
                return
        self.post_message(self.DragMoved(self, self._dragging, event.screen_offset))

    async def _on_mouse_up(self, event: events.MouseUp) -> None:
        await super()._on_mouse_up(event)
        dragged = self._dragging
        self._press = None
        self._dragging = None
        self.release_mouse()
        if dragged:
            self.post_message(self.DragDropped(self, dragged, event.screen_offset))

    async def _on_click(self, event: events.Click) -> None:
        await super()._on_click(event)
        if event.chain == 2:
            row = self._row_at(event)
            if row is not None and row == self.cursor:
                self.action_open()

    @property
    def dragging(self) -> bool:
        return self._dragging is not None
