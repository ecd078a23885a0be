"""F3: view a file the way ``less`` or mc's viewer does, on a remote file too.

Nothing is read whole: the view asks its backend for the 64 KiB blocks the screen shows
(``open_read`` at an offset, a Range request on OneDrive) and keeps a few in memory, so the
end of a multi-GiB file is one request away. Text or hex (F4/h), seek to an offset or a
percentage (g), search forward (/ F7) and backward (?), n/N for the next and previous match
(a search reads on in 1 MiB steps and Escape stops it), f follows a growing file's end.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.strip import Strip
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Footer, Label

from core.backend import Backend
from core.errors import SkypaneError
from core.model import Entry
from tui.dialogs.text_input import InputDialog
from tui.format import fmt_size_long, safe_name

#: What one range read fetches and the cache keeps per entry.
BLOCK = 64 * 1024
#: Blocks kept in memory (4 MiB).
CACHE_BLOCKS = 64
#: A line longer than this is shown in pieces of this many bytes.
MAX_LINE = 4096
#: A search reads this much per step.
SEARCH_STEP = 1024 * 1024
HEX_WIDTH = 16


def hex_line(data: bytes, offset: int) -> str:
    hexes = " ".join(f"{b:02x}" for b in data)
    text = "".join(chr(b) if 32 <= b < 127 else "." for b in data)
    return f"{offset:010x}  {hexes:<47}  {text}"


def hex_lines(data: bytes, start: int = 0) -> list[str]:
    return [hex_line(data[i : i + HEX_WIDTH], start + i) for i in range(0, len(data), HEX_WIDTH)]


#: Control characters would drive the terminal: shown as a middle dot (tabs are expanded).
_CONTROLS = {c: "·" for c in [*range(0, 9), *range(10, 32), 0x7F, *range(0x80, 0xA0)]}


def text_line(data: bytes) -> str:
    return data.decode("utf-8", "replace").expandtabs(8).translate(_CONTROLS)


def parse_position(text: str, size: int) -> int | None:
    """``50%``, ``0x1f00`` or ``123456`` (bytes); ``None`` if it is none of them."""
    text = text.strip().replace("_", "").replace(",", "")
    try:
        if text.endswith("%"):
            return int(size * min(max(float(text[:-1]), 0.0), 100.0) / 100)
        return min(max(int(text, 0), 0), size)
    except ValueError:
        return None


class RangeReader:
    """The bytes of one file by block, read on demand through ``open_read`` at an offset."""

    def __init__(self, backend: Backend, path: str, size: int) -> None:
        self.backend = backend
        self.path = path
        self.size = size
        self._blocks: OrderedDict[int, bytes] = OrderedDict()
        #: Range reads made (for the tests and the state line).
        self.reads = 0

    async def read(self, offset: int, length: int) -> bytes:
        """Up to ``length`` bytes from ``offset`` (fewer at the end of the file)."""
        parts: list[bytes] = []
        end = min(offset + length, self.size)
        pos = offset
        while pos < end:
            index = pos // BLOCK
            block = await self._block(index)
            start = pos - index * BLOCK
            piece = block[start : start + end - pos]
            if not piece:
                break
            parts.append(piece)
            pos += len(piece)
        return b"".join(parts)

    def cached(self, offset: int, length: int) -> bytes | None:
        """The bytes if every block they lie in is in memory, else ``None``."""
        end = min(offset + length, self.size)
        parts = []
        pos = offset
        while pos < end:
            block = self._blocks.get(pos // BLOCK)
            if block is None:
                return None
            start = pos - (pos // BLOCK) * BLOCK
            piece = block[start : start + end - pos]
            if not piece:
                break
            parts.append(piece)
            pos += len(piece)
        return b"".join(parts)

    def grew(self, size: int) -> None:
        """The file is ``size`` bytes now: its last block, once short, is read again."""
        self._blocks.pop(self.size // BLOCK, None)
        self.size = size

    async def _block(self, index: int) -> bytes:
        block = self._blocks.get(index)
        if block is not None:
            self._blocks.move_to_end(index)
            return block
        block = await self.fetch(index * BLOCK, BLOCK)
        self._blocks[index] = block
        while len(self._blocks) > CACHE_BLOCKS:
            self._blocks.popitem(last=False)
        return block

    async def fetch(self, offset: int, length: int) -> bytes:
        """One range read: open at ``offset``, take ``length`` bytes, close the stream."""
        self.reads += 1
        parts: list[bytes] = []
        got = 0
        stream = self.backend.open_read(self.path, offset)
        try:
            async for chunk in stream:
                parts.append(chunk)
                got += len(chunk)
                if got >= length:
                    break
        finally:
            close = getattr(stream, "aclose", None)
            if close is not None:
                with contextlib.suppress(Exception):
                    await close()
        return b"".join(parts)[:length]


class ByteView(Widget, can_focus=True):
    """The lines of a file from byte offset ``top``: text lines or 16-byte hex rows."""

    DEFAULT_CSS = "ByteView { height: 1fr; }"

    def __init__(self, reader: RangeReader, *, hex_mode: bool = False) -> None:
        super().__init__(id="viewer-text")
        self.reader = reader
        self.hex_mode = hex_mode
        self.top = 0
        #: (offset, bytes) of each line on screen, laid out by ``layout``.
        self.lines: list[tuple[int, bytes]] = []
        #: Where the text after the screen's last line starts.
        self.bottom = 0
        self.match: tuple[int, int] | None = None

    @property
    def text_lines(self) -> list[str]:
        """The lines on screen as shown (for tests and the state line)."""
        return [self._line_text(offset, data) for offset, data in self.lines]

    def _line_text(self, offset: int, data: bytes) -> str:
        return hex_line(data, offset) if self.hex_mode else text_line(data)

    async def layout_from(self, top: int) -> None:
        """Read what the screen shows from ``top`` and draw it."""
        height = max(self.size.height, 1)
        self.top = top
        if self.hex_mode:
            data = await self.reader.read(top, height * HEX_WIDTH)
            self.lines = [
                (top + i, data[i : i + HEX_WIDTH]) for i in range(0, len(data), HEX_WIDTH)
            ]
            self.bottom = top + len(data)
        else:
            self.lines = []
            pos = top
            while len(self.lines) < height and pos < self.reader.size:
                line, pos_next = await self.line_at(pos)
                self.lines.append((pos, line))
                pos = pos_next
            self.bottom = pos
        self.refresh()

    async def line_at(self, pos: int) -> tuple[bytes, int]:
        """The text line starting at ``pos`` (without its newline) and where the next starts."""
        data = await self.reader.read(pos, MAX_LINE)
        cut = data.find(b"\n")
        if cut < 0:
            return data, pos + len(data)
        return data[:cut].rstrip(b"\r"), pos + cut + 1

    async def next_start(self, pos: int) -> int:
        if self.hex_mode:
            return pos + HEX_WIDTH
        return (await self.line_at(pos))[1]

    async def line_start_before(self, pos: int) -> int:
        """The start of the line before the one starting at ``pos``."""
        if pos <= 0:
            return 0
        if self.hex_mode:
            return max(pos - HEX_WIDTH, 0)
        start = max(pos - 1 - MAX_LINE, 0)
        data = await self.reader.read(start, pos - 1 - start)
        cut = data.rfind(b"\n")
        if cut >= 0:
            return start + cut + 1
        return max(pos - MAX_LINE, 0)  # a long line's pieces, as ``line_at`` cuts them

    async def line_start_at(self, pos: int) -> int:
        """The start of the line that holds byte ``pos``."""
        pos = min(max(pos, 0), self.reader.size)
        if self.hex_mode:
            return pos - pos % HEX_WIDTH
        start = max(pos - MAX_LINE, 0)
        data = await self.reader.read(start, pos - start)
        cut = data.rfind(b"\n")
        return start + cut + 1 if cut >= 0 else start

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        style = self.rich_style
        if y >= len(self.lines):
            return Strip.blank(width, style)
        offset, data = self.lines[y]
        text = self._line_text(offset, data)
        segments = [Segment(text, style)]
        if self.match is not None and not self.hex_mode:
            start, length = self.match
            if offset <= start < offset + len(data):
                before = text_line(data[: start - offset])
                found = text_line(data[start - offset : start - offset + length])
                rest = text[len(before) + len(found) :]
                segments = [
                    Segment(before, style),
                    Segment(found, style + Style(reverse=True)),
                    Segment(rest, style),
                ]
        return Strip(segments).crop(0, width).adjust_cell_length(width, style)

    def on_resize(self, event: events.Resize) -> None:
        self.screen.post_message(ViewerScreen.Relayout())


class ViewerScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,f3,f10", "close", "Close", id="viewer-close"),
        Binding("down,j,enter", "scroll(1)", "Down", show=False, id="viewer-down"),
        Binding("up,k", "scroll(-1)", "Up", show=False, id="viewer-up"),
        Binding("pagedown,space", "page(1)", "Page down", show=False, id="viewer-page-down"),
        Binding("pageup,b", "page(-1)", "Page up", show=False, id="viewer-page-up"),
        Binding("home", "top", "Top", show=False, id="viewer-top"),
        Binding("end", "bottom", "Bottom", show=False, id="viewer-bottom"),
        Binding("f4,h", "toggle_hex", "Hex/text", id="viewer-hex"),
        Binding("g,f5", "goto", "Go to", id="viewer-goto"),
        Binding("slash,f7", "search(1)", "Search", id="viewer-search"),
        Binding("question_mark", "search(-1)", "Search back", show=False, id="viewer-search-back"),
        Binding("n", "next_match(1)", "Next", show=False, id="viewer-next"),
        Binding("N,shift+n", "next_match(-1)", "Previous", show=False, id="viewer-previous"),
        Binding("f,F", "follow", "Follow", show=False, id="viewer-follow"),
    ]

    #: Seconds between looks at a followed file's size.
    FOLLOW_EVERY = 2.0

    class Relayout(events.Event):
        """The view changed size: lay its lines out again."""

    def __init__(self, backend: Backend, entry: Entry, title: str) -> None:
        super().__init__()
        self.backend = backend
        self.entry = entry
        self._title = title
        self.reader = RangeReader(backend, entry.path, entry.size)
        self.needle = b""
        #: Set once the first screen is drawn (or failed).
        self.done = False
        #: Why the file could not be shown, if it could not.
        self.problem = ""
        self._searching = False
        #: Following the end of a growing file (``tail -f``, less's F).
        self.following = False
        self._follow_timer: Timer | None = None
        #: Moves run one after the other, in the order their keys came.
        self._moving = asyncio.Lock()

    @property
    def view(self) -> ByteView:
        return self.query_one(ByteView)

    def compose(self) -> ComposeResult:
        yield Label(f" {safe_name(self._title)}", id="screen-title", markup=False)
        yield ByteView(self.reader)
        # what the user searched for and errors are shown as typed, never read as markup
        yield Label("", id="viewer-state", markup=False)
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        self.view.focus()
        self._open()

    @work(group="viewer-open", exclusive=True, exit_on_error=False)
    async def _open(self) -> None:
        try:
            # Opened even when the listing says 0 bytes: a special file or an unreadable one
            # says so here (the backend refuses to open a pipe or a device).
            head = await (
                self.reader.read(0, 8192) if self.reader.size else self.reader.fetch(0, 8192)
            )
            self.view.hex_mode = b"\x00" in head
            await self.view.layout_from(0)
        except SkypaneError as exc:
            self.problem = str(exc)  # stays on the state line whatever redraws it
            self._state()
        else:
            self._state()
        self.done = True

    def _state(self, note: str = "") -> None:
        view, size = self.view, self.reader.size
        end = view.bottom
        percent = 100 if size == 0 else end * 100 // size
        mode = "hex" if view.hex_mode else "text"
        text = (
            f" {mode} · bytes {view.top:,}–{end:,} of {size:,} ({fmt_size_long(size)}) · {percent}%"
        )
        note = note or self.problem
        self.query_one("#viewer-state", Label).update(text + (f" · {note}" if note else ""))

    async def _move_to(self, top: int, note: str = "") -> None:
        try:
            await self.view.layout_from(top)
        except SkypaneError as exc:
            note = str(exc)
        self._state(note)

    def on_viewer_screen_relayout(self, event: Relayout) -> None:
        if self.done:
            self._go(self.view.top)

    @work(group="viewer", exit_on_error=False)
    async def _go(self, top: int, note: str = "") -> None:
        async with self._moving:
            await self._move_to(top, note)

    # -- moving ----------------------------------------------------------------------

    @work(group="viewer", exit_on_error=False)
    async def action_scroll(self, lines: int) -> None:
        async with self._moving:
            await self._scroll(lines)

    async def _scroll(self, lines: int) -> None:
        await self._move_by(self._lines_on, lines)

    async def _lines_on(self, lines: int) -> int:
        """Where the screen starts ``lines`` lines further (back when negative)."""
        view = self.view
        top = view.top
        if lines < 0:
            return await self._lines_back(top, -lines)
        for _ in range(lines):
            nxt = await view.next_start(top)
            if nxt >= self.reader.size:
                break
            top = nxt
        return top

    async def _lines_back(self, top: int, count: int) -> int:
        for _ in range(count):
            if top == 0:
                break
            top = await self.view.line_start_before(top)
        return top

    async def _move_by(self, where: Callable[[int], Awaitable[int]], arg: int) -> None:
        """Move the screen to ``await where(arg)``; a read error is shown, not raised."""
        try:
            top = await where(arg)
        except SkypaneError as exc:
            self._state(str(exc))
            return
        await self._move_to(top)

    @work(group="viewer", exit_on_error=False)
    async def action_page(self, step: int) -> None:
        async with self._moving:
            await self._scroll(step * max(self.view.size.height - 1, 1))

    def action_top(self) -> None:
        self._go(0)

    @work(group="viewer", exit_on_error=False)
    async def action_bottom(self) -> None:
        async with self._moving:
            await self._bottom()

    async def _bottom(self) -> None:
        await self._move_by(self._last_screen, self.view.size.height)

    async def _last_screen(self, height: int) -> int:
        """Where a screen of ``height`` lines starts that ends with the file."""
        size = self.reader.size
        if self.view.hex_mode:
            last = max(size - 1, 0)
            return max(last - last % HEX_WIDTH - (height - 1) * HEX_WIDTH, 0)
        # the last line starts after the last newline (one at the very end ends it)
        top = await self.view.line_start_at(size - 1 if size else 0)
        return await self._lines_back(top, max(height - 1, 0))

    def action_follow(self) -> None:
        self.following = not self.following
        if self.following:
            self._follow_timer = self.set_interval(self.FOLLOW_EVERY, self._look_again)
            self.action_bottom()
        elif self._follow_timer is not None:
            self._follow_timer.stop()
            self._follow_timer = None
        self._state("following the end (f stops)" if self.following else "")

    @work(group="viewer-follow", exclusive=True, exit_on_error=False)
    async def _look_again(self) -> None:
        if not self.following:
            return
        try:
            entry = await self.backend.stat(self.entry.path)
        except SkypaneError as exc:
            self._state(str(exc))
            return
        if entry.size != self.reader.size:
            self.reader.grew(entry.size)
            async with self._moving:
                await self._bottom()
            self._state("following the end (f stops)")

    def action_toggle_hex(self) -> None:
        view = self.view
        view.hex_mode = not view.hex_mode
        self._realign(view.top)

    @work(group="viewer", exit_on_error=False)
    async def _realign(self, pos: int, note: str = "") -> None:
        async with self._moving:
            await self._align(pos, note)

    async def _align(self, pos: int, note: str = "") -> None:
        try:
            top = await self.view.line_start_at(pos)
        except SkypaneError as exc:
            self._state(str(exc))
            return
        await self._move_to(top, note)

    def action_goto(self) -> None:
        def chosen(text: str | None) -> None:
            if not text:
                return
            pos = parse_position(text, self.reader.size)
            if pos is None:
                self._state(f"not a position: {text!r} (try 50%, 0x1000 or 4096)")
                return
            self._realign(pos)

        self.app.push_screen(
            InputDialog("Go to", "Offset in bytes (4096, 0x1000) or a percentage (50%):", "0%"),
            chosen,
        )

    # -- searching ---------------------------------------------------------------------

    def action_search(self, direction: int) -> None:
        def chosen(text: str | None) -> None:
            if text:
                self.needle = text.encode("utf-8")
                self._search(direction, from_top=True)

        title = "Search" if direction > 0 else "Search backward"
        self.app.push_screen(
            InputDialog(title, "Find text (as typed, case matters):", self.needle.decode()),
            chosen,
        )

    def action_next_match(self, direction: int) -> None:
        if self.needle:
            self._search(direction, from_top=False)

    def action_close(self) -> None:
        if self._searching:  # Escape first stops a running search
            self.workers.cancel_group(self, "viewer-search")
            self._searching = False
            self._state("search stopped")
            return
        for group in ("viewer", "viewer-open", "viewer-search"):
            self.workers.cancel_group(self, group)
        self.dismiss(None)

    @work(group="viewer-search", exclusive=True, exit_on_error=False)
    async def _search(self, direction: int, *, from_top: bool) -> None:
        view = self.view
        match = view.match
        if match is not None and not from_top:
            start = match[0] + 1 if direction > 0 else match[0] - 1
        elif direction > 0:
            start = view.top
        else:
            start = view.bottom
        self._searching = True
        try:
            found = await self._find(start, direction)
        except SkypaneError as exc:
            self._searching = False
            self._state(str(exc))
            return
        self._searching = False
        if found is None:
            self._state(f"{self.needle.decode(errors='replace')!r} not found")
            return
        view.match = (found, len(self.needle))
        async with self._moving:
            await self._align(found, f"found at byte {found:,}")

    async def _find(self, start: int, direction: int) -> int | None:
        """The offset of the needle from ``start`` on (or back), reading step by step."""
        needle, size = self.needle, self.reader.size
        overlap = len(needle) - 1
        if direction > 0:
            pos = max(start, 0)
            while pos < size:
                data = await self.reader.fetch(pos, SEARCH_STEP + overlap)
                hit = data.find(needle)
                if hit >= 0:
                    return pos + hit
                if len(data) <= overlap:
                    return None
                pos += SEARCH_STEP
                self._state(f"searching… {fmt_size_long(pos)}")
            return None
        end = min(start + len(needle), size)  # a match may start at ``start`` itself
        while end > 0:
            begin = max(end - SEARCH_STEP - overlap, 0)
            data = await self.reader.fetch(begin, end - begin)
            hit = data.rfind(needle)
            if hit >= 0:
                return begin + hit
            end = begin + overlap if begin > 0 else 0
            self._state(f"searching back… {fmt_size_long(end)}")
        return None
