"""RecycleDialog: a drive's recycle bin — restore or delete for good what is in it; where the
API cannot list the bin, why, and its web page (OneDrive Personal: restore by id)."""

from __future__ import annotations

from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, SelectionList

from core.backend import RecycleBin
from core.errors import SkypaneError
from core.model import RecycledItem, RecycleSupport
from tui.dialogs.confirm import ConfirmDialog
from tui.format import fmt_size_long, safe_name


def _line(r: RecycledItem) -> str:
    when = r.deleted.astimezone().strftime("%Y-%m-%d %H:%M") if r.deleted else "?"
    where = safe_name(r.original or "?")
    return f"{safe_name(r.name)}  {fmt_size_long(r.size)}  {when}  from {where}"


class RecycleDialog(ModalScreen[bool]):
    """Returns True when something was restored (the panes may need a reload)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", show=False, id="recycle-close")
    ]

    def __init__(self, bin_: RecycleBin, title: str) -> None:
        super().__init__(classes="dialog")
        self._bin = bin_
        self._title = title
        self._items: list[RecycledItem] = []
        self._support: RecycleSupport | None = None
        self._restored = False

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog-box") as box:
            box.border_title = f"Recycle bin of {self._title}"
            yield Label("Reading the recycle bin…", id="dialog-message")
            yield SelectionList[str](id="recycle-list")
            yield Input(placeholder="id of an item skypane deleted", id="recycle-id")
            yield Label("", id="dialog-error")
            with Horizontal(id="dialog-buttons"):
                yield Button("Restore", variant="primary", id="restore")
                yield Button("Delete for good", variant="error", id="empty")
                yield Button("Close", id="close")

    def on_mount(self) -> None:
        for widget in ("#recycle-list", "#recycle-id", "#restore", "#empty"):
            self.query_one(widget).display = False
        self._load()

    @work(exclusive=True, group="recycle")
    async def _load(self) -> None:
        message = self.query_one("#dialog-message", Label)
        try:
            support = self._support = await self._bin.recycle_support()
            if not support.can_list:
                web = f"\nWeb page: {support.web_url}" if support.web_url else ""
                message.update(f"{support.reason}.{web}")
                if support.can_restore:
                    self.query_one("#recycle-id").display = True
                    self.query_one("#restore").display = True
                return
            self._items = await self._bin.list_recycled()
        except SkypaneError as exc:
            message.update(f"Cannot read the recycle bin: {exc}")
            return
        listing = self.query_one(SelectionList)
        listing.clear_options()
        listing.add_options([(_line(r), r.id) for r in self._items])
        total = fmt_size_long(sum(r.size for r in self._items))
        message.update(
            f"{len(self._items)} item(s), {total}. Space selects; Restore puts them back "
            "where they were deleted from."
            if self._items
            else "The recycle bin is empty."
        )
        for widget in ("#recycle-list", "#restore", "#empty"):
            self.query_one(widget).display = bool(self._items)
        if self._items:
            listing.focus()

    def _chosen(self) -> list[str]:
        if self._support is not None and not self._support.can_list:
            value = self.query_one("#recycle-id", Input).value.strip()
            return [value] if value else []
        return list(self.query_one(SelectionList).selected)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "close":
            self.dismiss(self._restored)
        elif event.button.id == "restore":
            self._restore(self._chosen())
        elif event.button.id == "empty":
            self._empty(self._chosen())

    @work(exclusive=True, group="recycle")
    async def _restore(self, ids: list[str]) -> None:
        error = self.query_one("#dialog-error", Label)
        if not ids:
            error.update("Select something to restore first.")
            return
        try:
            results = await self._bin.restore_recycled(ids)
        except SkypaneError as exc:
            error.update(str(exc))
            return
        failed = [r for r in results if not r.ok]
        self._restored = self._restored or len(failed) < len(results)
        done = len(results) - len(failed)
        error.update(
            f"Restored {done}." + "".join(f"\nNot restored: {r.error}" for r in failed[:3])
        )
        if self._support is not None and self._support.can_list:
            self._load()

    @work(exclusive=True, group="recycle")
    async def _empty(self, ids: list[str]) -> None:
        chosen = [r for r in self._items if r.id in set(ids)] or self._items
        if not chosen:
            return
        what = "everything in the recycle bin" if not ids else f"{len(chosen)} item(s)"
        size = fmt_size_long(sum(r.size for r in chosen))
        ok = await self.app.push_screen_wait(
            ConfirmDialog(
                "Delete for good",
                f"Delete {what} ({size}) for good? This cannot be undone.",
                yes="Delete",
                danger=True,
            )
        )
        if not ok:
            return
        try:
            await self._bin.empty_recycled([r.id for r in chosen])
        except SkypaneError as exc:
            self.query_one("#dialog-error", Label).update(str(exc))
            return
        self._load()

    def action_close(self) -> None:
        self.dismiss(self._restored)
