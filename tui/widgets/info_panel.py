"""InfoPanel: everything known about the entry under the cursor, in place of the other pane."""

from __future__ import annotations

import asyncio

from rich.markup import escape
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Label, Static

from core.backend import Backend
from core.errors import SkypaneError
from core.hashing import hash_file
from core.model import QUICKXOR, Entry
from tui.format import fmt_size_long, safe_name
from tui.widgets.listing import PARENT

#: Local files up to this size get their QuickXorHash computed for the panel.
HASH_LIMIT = 256 * 1024 * 1024


def info_lines(entry: Entry, where: str) -> list[tuple[str, str]]:
    rows = [
        ("Name", safe_name(entry.name)),
        ("Where", where),
        ("Type", "folder" if entry.is_dir else (entry.mime_type or "file")),
    ]
    if not entry.is_dir:
        rows.append(("Size", f"{entry.size:,} bytes ({fmt_size_long(entry.size)})"))
    if entry.modified is not None:
        rows.append(
            ("Modified", entry.modified.astimezone().isoformat(sep=" ", timespec="seconds"))
        )
    if entry.is_link:
        rows.append(("Link to", safe_name(entry.link_target or "?")))
    for algo, value in sorted(entry.hashes.items()):
        rows.append((f"Hash {algo}", value))
    if entry.id:
        rows.append(("Id", entry.id))
    if entry.web_url:
        rows.append(("Web URL", entry.web_url))
    return rows


class InfoPanel(VerticalScroll):
    """Shown by the screen in the slot of the inactive pane."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.entry: Entry | None = None

    def compose(self) -> ComposeResult:
        yield Label("Info", classes="info-title")
        yield Static("", id="info-body")

    def show(self, backend: Backend | None, entry: Entry | None, where: str) -> None:
        self.entry = entry
        body = self.query_one("#info-body", Static)
        if backend is None or entry is None or entry is PARENT:
            body.update("")
            return
        self._draw(entry, where)
        self.run_worker(
            self._details(backend, entry, where),
            group=f"info-{self.id}",
            exclusive=True,
            exit_on_error=False,
        )

    def _draw(self, entry: Entry, where: str, note: str = "") -> None:
        lines = [f"[b]{name:<13}[/b] {escape(value)}" for name, value in info_lines(entry, where)]
        if note:
            lines.append(f"[dim]{escape(note)}[/dim]")
        self.query_one("#info-body", Static).update("\n".join(lines))

    async def _details(self, backend: Backend, entry: Entry, where: str) -> None:
        """Stat the entry (listings may omit hashes) and hash local files not too large."""
        try:
            fresh = await backend.stat(entry.path)
        except SkypaneError as exc:
            self._draw(entry, where, str(exc))
            return
        if self.entry is not entry:
            return
        if (
            not fresh.is_dir
            and QUICKXOR not in fresh.hashes
            and backend.remote == "local"
            and fresh.size <= HASH_LIMIT
        ):
            self._draw(fresh, where, "computing QuickXorHash…")
            try:
                value = await asyncio.to_thread(hash_file, fresh.path)
            except OSError as exc:
                self._draw(fresh, where, str(exc))
                return
            from dataclasses import replace

            fresh = replace(fresh, hashes={**fresh.hashes, QUICKXOR: value})
        if self.entry is entry:
            self._draw(fresh, where)
