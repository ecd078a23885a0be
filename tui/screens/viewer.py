"""F3: view a file as text, streamed from its backend so a remote file shows as it arrives."""

from __future__ import annotations

import codecs
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer, Label, Log

from core.backend import Backend
from core.errors import SkypaneError
from core.model import Entry
from tui.format import fmt_size_long, safe_name

#: More than this is not worth reading into a terminal viewer.
VIEW_LIMIT = 16 * 1024 * 1024
HEX_LIMIT = 64 * 1024


def hex_lines(data: bytes, start: int = 0) -> list[str]:
    lines = []
    for offset in range(0, len(data), 16):
        row = data[offset : offset + 16]
        hexes = " ".join(f"{b:02x}" for b in row)
        text = "".join(chr(b) if 32 <= b < 127 else "." for b in row)
        lines.append(f"{start + offset:08x}  {hexes:<47}  {text}")
    return lines


class ViewerScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,f3,f10", "close", "Close", id="viewer-close"),
        Binding("home", "top", "Top", show=False, id="viewer-top"),
        Binding("end", "bottom", "Bottom", show=False, id="viewer-bottom"),
    ]

    def __init__(self, backend: Backend, entry: Entry, title: str) -> None:
        super().__init__()
        self.backend = backend
        self.entry = entry
        self._title = title
        self.bytes_read = 0
        self.done = False

    def compose(self) -> ComposeResult:
        yield Label(f" {safe_name(self._title)}", id="screen-title")
        yield Log(id="viewer-text", auto_scroll=False)
        yield Label("", id="viewer-state")
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one(Log).focus()
        self.run_worker(self._stream(), group="viewer", exclusive=True, exit_on_error=False)

    async def _stream(self) -> None:
        log = self.query_one(Log)
        state = self.query_one("#viewer-state", Label)
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        binary: bool | None = None
        limit = VIEW_LIMIT
        try:
            async for chunk in self.backend.open_read(self.entry.path):
                if binary is None:
                    binary = b"\x00" in chunk[:8192]
                    if binary:
                        limit = HEX_LIMIT
                take = chunk[: max(limit - self.bytes_read, 0)]
                if binary:
                    log.write_lines(hex_lines(take, self.bytes_read))
                else:
                    log.write(decoder.decode(take).expandtabs(8))
                self.bytes_read += len(take)
                state.update(
                    f" {fmt_size_long(self.bytes_read)} of {fmt_size_long(self.entry.size)}"
                )
                if self.bytes_read >= limit:
                    state.update(
                        f" first {fmt_size_long(limit)} shown of {fmt_size_long(self.entry.size)}"
                    )
                    break
            if not binary:
                log.write(decoder.decode(b"", final=True))
        except SkypaneError as exc:
            state.update(f" {exc}")
        self.done = True

    def action_close(self) -> None:
        self.workers.cancel_group(self, "viewer")
        self.dismiss(None)

    def action_top(self) -> None:
        self.query_one(Log).scroll_home(animate=False)

    def action_bottom(self) -> None:
        self.query_one(Log).scroll_end(animate=False)
