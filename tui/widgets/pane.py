"""Pane: one side of the screen — a location, its listing, history, quick search and filter.

The pane lists folders itself (a worker per pane, group ``listing-<id>``) and moves within
its backend; everything that involves the other pane is the screen's business, reached by
messages. The screen hands down ``backend_for`` to open a remote by name.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import tzinfo
from typing import ClassVar

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Static
from textual.worker import get_current_worker

from core.backend import Backend
from core.errors import SkypaneError
from core.model import Entry
from core.paths import Location, basename, join, parent
from tui.format import Clock, cannot_open, fmt_count, safe_name, system_clock
from tui.memory import give_back_freed_memory
from tui.widgets.column_header import ColumnHeader
from tui.widgets.file_list import MODES, FileList
from tui.widgets.listing import PARENT, Listing, SortKey, SortOrder
from tui.widgets.path_bar import PathBar

BackendFor = Callable[[str | None], Backend]
#: Pages of a virtual folder (search results, disk usage), asked for again on reload.
PageSource = Callable[[], AsyncIterator[list[Entry]]]


@dataclass(frozen=True, slots=True)
class VirtualView:
    """A pane showing something other than a folder (mc's "panelize"): ``pages`` fills it,
    entries keep their real paths so view, copy and delete work on them, ``open_dir`` (if
    given) decides where Enter on a folder goes, ".." returns to ``home``."""

    title: str
    pages: PageSource
    home: Location
    open_dir: Callable[[Entry], None] | None = None
    #: Folders' sizes are totals to show (disk usage), not "<DIR>".
    folder_sizes: bool = False


def location_of(backend: Backend, path: str) -> Location:
    return Location(None if backend.remote == "local" else backend.remote, path)


def count_text(listing: Listing, busy: bool) -> str:
    """``16 items``; ``12 of 20,000 items`` when a filter or hidden files leave some out;
    ``1,000…`` while the listing still arrives (counting what has arrived)."""
    received = len(listing.entries)
    if busy:
        return f"{fmt_count(received)}…"
    shown = listing.shown_count
    noun = "item" if received == 1 else "items"
    if shown == received:
        return f"{fmt_count(shown)} {noun}"
    return f"{fmt_count(shown)} of {fmt_count(received)} {noun}"


class PaneMessage(Message):
    """A message about one pane (the screen tells them apart by ``pane``)."""

    def __init__(self, pane: Pane) -> None:
        super().__init__()
        self.pane = pane

    @property
    def control(self) -> Pane:
        return self.pane


class EntryLine(Static):
    """The bottom line of a pane: details of the entry under the cursor."""

    DEFAULT_CSS = "EntryLine { height: 1; }"

    _text = ""

    def show(self, entry: Entry | None, tz: tzinfo | None = None) -> None:
        text = ""
        if entry is not None and entry is not PARENT:
            when = (
                entry.modified.astimezone(tz).strftime("%Y-%m-%d %H:%M") if entry.modified else ""
            )
            size = "folder" if entry.is_dir else f"{entry.size:,} B"
            text = f"{safe_name(entry.name)}  {size}  {when}"
        if text != self._text:
            self._text = text
            # One line high whatever it says: no layout of the screen (a key moving the
            # cursor would otherwise pay for arranging every widget again).
            self.update(text, layout=False)


class SearchBox(Input):
    """Quick search (jump as you type) or filter, in place of the entry line."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close(False)", "Close", show=False, id="search-cancel"),
        Binding("down", "step(1)", "Next match", show=False, id="search-next"),
        Binding("up", "step(-1)", "Previous match", show=False, id="search-previous"),
    ]

    class Closed(Message):
        def __init__(self, keep: bool) -> None:
            super().__init__()
            self.keep = keep

    class Step(Message):
        def __init__(self, step: int) -> None:
            super().__init__()
            self.step = step

    def action_close(self, keep: bool) -> None:
        self.post_message(self.Closed(keep))

    def action_step(self, step: int) -> None:
        self.post_message(self.Step(step))


class Pane(Vertical):
    """A location and its FileList."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("backspace", "go_up", "Up a folder", show=False, id="go-up"),
        Binding("alt+left", "back", "Back", show=False, id="back"),
        Binding("alt+right", "forward", "Forward", show=False, id="forward"),
        Binding("ctrl+s", "quick_search", "Quick search", show=False, id="quick-search"),
        Binding("ctrl+f", "filter", "Filter", show=False, id="filter"),
        # Textual reads the Alt+. a terminal sends (ESC .) as a plain "."; mc has no other use
        # for "." in a panel, so both work.
        Binding(
            "alt+full_stop,full_stop", "toggle_hidden", "Hidden files", show=False, id="hidden"
        ),
        Binding("plus", "mark_pattern", "Select by pattern", show=False, id="select-pattern"),
        Binding(
            "minus", "unmark_pattern", "Unselect by pattern", show=False, id="unselect-pattern"
        ),
        Binding("asterisk", "invert_marks", "Invert selection", show=False, id="invert-selection"),
        Binding("ctrl+f3", "sort('name')", "Sort by name", show=False, id="sort-name"),
        Binding("ctrl+f4", "sort('extension')", "Sort by extension", show=False, id="sort-ext"),
        Binding("ctrl+f5", "sort('time')", "Sort by time", show=False, id="sort-time"),
        Binding("ctrl+f6", "sort('size')", "Sort by size", show=False, id="sort-size"),
        Binding("alt+w", "cycle_mode", "Listing mode: full, brief, long", show=False, id="mode"),
    ]

    class LocationChanged(Message):
        def __init__(self, pane: Pane, location: Location) -> None:
            super().__init__()
            self.pane = pane
            self.location = location

        @property
        def control(self) -> Pane:
            return self.pane

    class Loaded(Message):
        """A listing is complete (``seconds`` from request to last page)."""

        def __init__(self, pane: Pane, location: Location, count: int, seconds: float) -> None:
            super().__init__()
            self.pane = pane
            self.location = location
            self.count = count
            self.seconds = seconds

        @property
        def control(self) -> Pane:
            return self.pane

    class Counted(PaneMessage):
        """What the pane shows changed (a page arrived, a filter or hidden files toggled)."""

    class ModeChanged(PaneMessage):
        """The listing mode changed; "long" wants the whole width."""

        def __init__(self, pane: Pane, mode: str) -> None:
            super().__init__(pane)
            self.mode = mode

    class Failed(Message):
        def __init__(self, pane: Pane, error: Exception, what: str) -> None:
            super().__init__()
            self.pane = pane
            self.error = error
            self.what = what

        @property
        def control(self) -> Pane:
            return self.pane

    class FileOpened(Message):
        """Enter or double click on a file."""

        def __init__(self, pane: Pane, entry: Entry) -> None:
            super().__init__()
            self.pane = pane
            self.entry = entry

        @property
        def control(self) -> Pane:
            return self.pane

    class PatternRequested(Message):
        """Ask the user for a pattern (+, -, *); the screen shows the dialog."""

        def __init__(self, pane: Pane, mode: str) -> None:
            super().__init__()
            self.pane = pane
            self.mode = mode

        @property
        def control(self) -> Pane:
            return self.pane

    def __init__(
        self,
        backend_for: BackendFor,
        *,
        clock: Clock = system_clock,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.backend_for = backend_for
        self.clock = clock
        self.backend: Backend | None = None
        self.location = Location(None, "/")
        #: A listing is arriving (not Widget.loading: that would cover the pane with a spinner).
        self.listing_busy = False
        self._history: list[Location] = []
        self._history_pos = -1
        self._cursor_memory: dict[Location, str] = {}
        self._search_mode: str | None = None
        self._order = SortOrder()
        self._show_hidden = False
        self._filter = ""
        #: What the pane shows instead of a folder, if anything.
        self.virtual: VirtualView | None = None

    def compose(self) -> ComposeResult:
        yield PathBar()
        yield ColumnHeader()
        yield FileList(clock=self.clock)
        yield EntryLine()
        yield SearchBox(classes="-hidden")

    @property
    def file_list(self) -> FileList:
        return self.query_one(FileList)

    @property
    def listing(self) -> Listing:
        return self.file_list.listing

    # -- going places --------------------------------------------------------------

    def show(self, backend: Backend, path: str, *, cursor: str | None = None) -> None:
        """Open ``path`` of ``backend``, adding it to the history."""
        self._remember_cursor()
        location = location_of(backend, path)
        del self._history[self._history_pos + 1 :]
        if not self._history or self._history[-1] != location:
            self._history.append(location)
        self._history_pos = len(self._history) - 1
        self._load(backend, path, cursor=cursor)

    def reload(self, cursor: str | None = None) -> None:
        """List the current folder again, keeping cursor (or moving it to ``cursor``) and marks."""
        if self.backend is None:
            return
        marked = self.listing.marked_names()
        want = cursor or self._cursor_name()
        # If the entry went away (moved, deleted), the cursor stays on its row: the next one.
        row = self.file_list.cursor
        if self.virtual is not None:
            self._load_virtual(self.backend, self.virtual, cursor=want, marks=marked, row=row)
            return
        self._load(self.backend, self.location.path, cursor=want, marks=marked, row=row)

    def show_virtual(self, backend: Backend, view: VirtualView) -> None:
        """Show ``view`` (results of a search, a level of disk usage) in place of a folder."""
        self._remember_cursor()
        self._load_virtual(backend, view)

    def _load_virtual(
        self,
        backend: Backend,
        view: VirtualView,
        *,
        cursor: str | None = None,
        marks: set[str] | None = None,
        row: int = 0,
    ) -> None:
        self.virtual = view
        self.backend = backend
        self.location = Location(view.home.remote, view.home.path)
        self._start_listing(
            view.pages,
            Location(None, view.title),
            has_parent=True,
            want=cursor,
            marks=marks,
            row=row,
        )
        self.listing.folder_sizes = view.folder_sizes

    def _cursor_name(self) -> str | None:
        entry = self.file_list.cursor_entry
        return entry.name if entry is not None and entry is not PARENT else None

    def _remember_cursor(self) -> None:
        name = self._cursor_name()
        if self.backend is not None and name is not None:
            self._cursor_memory[self.location] = name

    def _load(
        self,
        backend: Backend,
        path: str,
        *,
        cursor: str | None = None,
        marks: set[str] | None = None,
        row: int = 0,
    ) -> None:
        self.virtual = None
        self.backend = backend
        self.location = location_of(backend, path)
        want = cursor or self._cursor_memory.get(self.location)
        self._start_listing(
            lambda: backend.list(path), self.location, has_parent=path != "/", want=want,
            marks=marks, row=row,
        )  # fmt: skip
        self.post_message(self.LocationChanged(self, self.location))

    def _start_listing(
        self,
        pages: PageSource,
        shown: Location,
        *,
        has_parent: bool,
        want: str | None,
        marks: set[str] | None,
        row: int = 0,
    ) -> None:
        listing = Listing(has_parent=has_parent)
        listing.order = self._order
        listing.show_hidden = self._show_hidden
        listing.filter = self._filter
        self.file_list.set_listing(listing)
        self.listing_busy = True
        self.query_one(PathBar).location = shown
        self._update_state()
        self.run_worker(
            self._list(pages, listing, want, marks or set(), row),
            name=f"list {shown}",
            group=f"listing-{self.id}",
            exclusive=True,
            exit_on_error=False,
        )

    async def _list(
        self,
        pages: PageSource,
        listing: Listing,
        want: str | None,
        marks: set[str],
        row: int = 0,
    ) -> None:
        started = time.perf_counter()
        worker = get_current_worker()
        file_list = self.file_list
        try:
            async for page in pages():
                if worker.is_cancelled or file_list.listing is not listing:
                    return
                before = len(listing.entries)
                merged = file_list.add_page(page)
                if want is not None and listing.received(want, before):
                    file_list.rebuild(keep=want, merge=True)  # sorted in now, to land on it
                    want = None
                    merged = True
                # The counts when the rows are sorted in (a few times a second), in the same
                # frame, not per page: each frame drawn is one a key pressed meanwhile waits for.
                if merged:
                    self._update_state()
                # Let keys and repaints in between pages: a backend's next page may be ready
                # at once, and a loop that never waits would hold them until the last page.
                await asyncio.sleep(0)
                await self._after_input()
        except SkypaneError as exc:
            if file_list.listing is listing:
                self.listing_busy = False
                self._update_state()
                self.post_message(self.Failed(self, exc, f"cannot list {self.location}"))
            return
        if file_list.listing is not listing:
            return
        listing.complete = True
        file_list.rebuild(keep=want, row=row, merge=True)
        if marks:
            listing.mark_names(marks, shown_only=True)
            file_list.marks_changed()
        self.listing_busy = False
        self._update_state()
        seconds = time.perf_counter() - started
        self.post_message(self.Loaded(self, self.location, len(listing.entries), seconds))
        if len(listing.entries) >= self.BIG_LISTING:
            # A moment later: the last pages' buffers and the frames drawn meanwhile are gone.
            self.set_timer(0.3, self._give_back_memory)

    #: Entries from which a finished listing gives the memory its pages passed through
    #: back to the system (tui.memory).
    BIG_LISTING = 10_000

    #: A listing holds back its next page until the panes have had no key or click for
    #: this long: every message a key causes, and the frame that shows its effect, then run
    #: without a page converted between them (a 100,000-entry folder takes some seconds
    #: longer to arrive while someone is typing, not every key longer to show).
    INPUT_QUIET = 0.05
    #: When the last key or click reached either pane (time.monotonic); shared by both.
    last_input: ClassVar[float] = 0.0

    async def _after_input(self) -> None:
        while (wait := Pane.last_input + self.INPUT_QUIET - time.monotonic()) > 0:
            await asyncio.sleep(min(wait, 0.01))

    def on_key(self, event: events.Key) -> None:
        Pane.last_input = time.monotonic()

    def on_mouse_down(self, event: events.MouseDown) -> None:
        Pane.last_input = time.monotonic()

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        Pane.last_input = time.monotonic()

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        Pane.last_input = time.monotonic()

    async def _give_back_memory(self) -> None:
        # Response bodies caught in reference cycles (~5 MiB after 100,000 entries) are
        # freed by a collection first: one pause of some tens of milliseconds, once.
        gc.collect()
        await asyncio.to_thread(give_back_freed_memory)

    def back_out(self) -> None:
        """After a failed listing: return to where the pane was before, if anywhere."""
        if self._history_pos > 0 and self._history[self._history_pos] == self.location:
            del self._history[self._history_pos]
            self._history_pos -= 1
            self._go_history(0)

    def _go_history(self, step: int) -> None:
        pos = self._history_pos + step
        if not 0 <= pos < len(self._history):
            return
        self._remember_cursor()
        self._history_pos = pos
        target = self._history[pos]
        self._load(self.backend_for(target.remote), target.path)

    def action_back(self) -> None:
        self._go_history(-1)

    def action_forward(self) -> None:
        self._go_history(1)

    def action_go_up(self) -> None:
        if self.virtual is not None and self.backend is not None:
            self.show(self.backend, self.virtual.home.path)  # ".." leaves the results
            return
        if self.backend is None or self.location.path == "/":
            return
        came_from = basename(self.location.path)
        self.show(self.backend, parent(self.location.path), cursor=came_from)

    @on(FileList.Activated)
    def _activated(self, event: FileList.Activated) -> None:
        event.stop()
        entry = event.entry
        refused = cannot_open(entry) if entry is not PARENT else None
        if refused is not None:
            self.app.notify(refused, severity="error", markup=False)
        elif entry is PARENT:
            self.action_go_up()
        elif entry.is_dir and self.virtual is not None and self.virtual.open_dir is not None:
            self.virtual.open_dir(entry)
        elif entry.is_dir and self.backend is not None and self.virtual is not None:
            self.show(self.backend, entry.path)
        elif entry.is_dir and self.backend is not None:
            self.show(self.backend, join(self.location.path, entry.name))
        else:
            self.post_message(self.FileOpened(self, entry))

    @on(FileList.CursorMoved)
    def _cursor_moved(self, event: FileList.CursorMoved) -> None:
        self.query_one(EntryLine).show(event.entry, self.clock().tzinfo)

    # -- how the listing looks -------------------------------------------------------

    def _update_state(self) -> None:
        listing = self.listing
        parts = []
        if self._filter:
            parts.append(f"filter {self._filter}")
        if self._show_hidden:
            parts.append("hidden shown")
        if self._search_mode is not None:
            parts.insert(0, self._search_mode)
        parts.append(count_text(listing, self.listing_busy))
        self.query_one(PathBar).state = " · ".join(parts)
        self.query_one(ColumnHeader).order = self._order
        self.post_message(self.Counted(self))

    def set_order(self, order: SortOrder) -> None:
        self._order = order
        self.file_list.set_order(order)
        self._update_state()

    def action_sort(self, key: str) -> None:
        sort_key = SortKey(key)
        reverse = not self._order.reverse if self._order.key is sort_key else False
        self.set_order(SortOrder(sort_key, reverse))

    @on(ColumnHeader.SortRequested)
    def _sort_requested(self, event: ColumnHeader.SortRequested) -> None:
        self.action_sort(event.key.value)

    @property
    def mode(self) -> str:
        return self.file_list.mode

    def set_mode(self, mode: str) -> None:
        self.file_list.set_mode(mode)
        self.query_one(ColumnHeader).mode = mode
        self.post_message(self.ModeChanged(self, mode))

    def action_cycle_mode(self) -> None:
        self.set_mode(MODES[(MODES.index(self.mode) + 1) % len(MODES)])

    def action_toggle_hidden(self) -> None:
        self._show_hidden = not self._show_hidden
        self.listing.show_hidden = self._show_hidden
        self.file_list.rebuild()
        self._update_state()

    def set_filter(self, pattern: str) -> None:
        self._filter = pattern
        self.listing.filter = pattern
        self.file_list.rebuild()
        self._update_state()

    # -- marks -------------------------------------------------------------------------

    def action_mark_pattern(self) -> None:
        self.post_message(self.PatternRequested(self, "select"))

    def action_unmark_pattern(self) -> None:
        self.post_message(self.PatternRequested(self, "unselect"))

    def action_invert_marks(self) -> None:
        self.listing.invert()
        self.file_list.marks_changed()

    def apply_pattern(self, mode: str, pattern: str) -> None:
        if mode == "select":
            self.listing.mark_pattern(pattern, mark=True)
        elif mode == "unselect":
            self.listing.mark_pattern(pattern, mark=False)
        else:
            self.listing.invert(pattern)
        self.file_list.marks_changed()

    # -- quick search and filter -------------------------------------------------------

    def action_quick_search(self) -> None:
        self._open_search("search", "")

    def action_filter(self) -> None:
        self._open_search("filter", self._filter)

    def _open_search(self, mode: str, value: str) -> None:
        box = self.query_one(SearchBox)
        self._search_mode = mode
        box.placeholder = (
            "search: type to jump, ↑↓ next match, Esc ends"
            if mode == "search"
            else "filter: *.txt or part of a name; Enter keeps, Esc clears"
        )
        box.value = value
        box.remove_class("-hidden")
        self.query_one(EntryLine).add_class("-hidden")
        self.file_list.set_cursor_lit(True)  # the jumps must show while typing elsewhere
        box.focus()
        self._update_state()

    def _close_search(self) -> None:
        self._search_mode = None
        self.query_one(SearchBox).add_class("-hidden")
        self.query_one(EntryLine).remove_class("-hidden")
        self.file_list.set_cursor_lit(False)
        self.file_list.focus()
        self._update_state()

    @on(Input.Changed, "SearchBox")
    def _search_changed(self, event: Input.Changed) -> None:
        event.stop()
        if self._search_mode == "search" and event.value:
            found = self.listing.find(event.value, self.file_list.cursor)
            if found is not None:
                self.file_list.move_cursor(found)
        elif self._search_mode == "filter" and len(self.listing.entries) <= 20_000:
            self.set_filter(event.value)  # live while cheap; big folders filter on Enter

    @on(SearchBox.Step)
    def _search_step(self, event: SearchBox.Step) -> None:
        text = self.query_one(SearchBox).value
        if self._search_mode == "search" and text:
            start = self.file_list.cursor + event.step
            found = self.listing.find(text, start, event.step)
            if found is not None:
                self.file_list.move_cursor(found)

    @on(Input.Submitted, "SearchBox")
    def _search_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self._search_mode == "filter":
            self.set_filter(event.value)
        self._close_search()

    @on(SearchBox.Closed)
    def _search_closed(self, event: SearchBox.Closed) -> None:
        if self._search_mode == "filter" and not event.keep:
            self.set_filter("")
        self._close_search()
