"""VersionsDialog: a file's older versions — save one to the other pane, restore, delete.

A drive that cannot delete versions (OneDrive Personal) says so up front and keeps the rest.
Folders go to ``VersionCleanupDialog`` (tui/dialogs/cleanup.py); ``versions_dialog``
(tui/screens/launcher.py) picks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Label, ProgressBar

from core.backend import Backend, Versions
from core.errors import SkypaneError
from core.model import Version
from core.paths import basename
from core.versions_cleanup import free_path, save_version, version_file_name
from tui.dialogs.common import fill_table, frame_css
from tui.dialogs.confirm import ConfirmDialog
from tui.format import Clock, fmt_size_long, safe_name, system_clock

VERSION_COLUMNS = ("Version", "Modified", "Size", "Modified by", "")


@dataclass(frozen=True, slots=True)
class Destination:
    """Where "save to other pane" writes: the other pane's backend and folder."""

    backend: Backend
    folder: str
    label: str


@dataclass(frozen=True, slots=True)
class VersionsOutcome:
    """What the dialog changed, so the screen can reload what shows it."""

    #: Versions were restored or deleted (the file itself may have changed).
    changed: bool = False
    #: Files written to the destination.
    saved: tuple[str, ...] = ()


def fmt_when(version: Version) -> str:
    return version.modified.astimezone().strftime("%Y-%m-%d %H:%M") if version.modified else "-"


class _Progress:
    """``WriteProgress`` onto a ProgressBar (the write runs on the UI's loop)."""

    def __init__(self, bar: ProgressBar) -> None:
        self.bar = bar

    def advance(self, nbytes: int) -> None:
        self.bar.advance(nbytes)

    def checkpoint(self, state: Any) -> None:
        """A one-off copy is not journaled: nothing to keep."""


class VersionsDialog(ModalScreen[VersionsOutcome]):
    DEFAULT_CSS = (
        frame_css("VersionsDialog", "96")
        + """
    VersionsDialog #versions-table { height: auto; max-height: 16; margin-top: 1; }
    VersionsDialog #versions-note { color: $text-warning; height: auto; margin-top: 1; }
    VersionsDialog #versions-progress { margin-top: 1; }
    VersionsDialog #versions-status { height: auto; margin-top: 1; }
    VersionsDialog.-idle #versions-progress { display: none; }
    """
    )

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="versions-close"),
        Binding("f5", "save", "Save to other pane", id="versions-save"),
        Binding("r", "restore", "Restore", id="versions-restore"),
        Binding("f8,delete", "delete", "Delete version", id="versions-delete"),
    ]

    def __init__(
        self,
        backend: Versions,
        path: str,
        *,
        destination: Destination | None = None,
        clock: Clock = system_clock,
    ) -> None:
        super().__init__(classes="-idle")
        self.backend = backend
        self.path = path
        self.destination = destination
        self.clock = clock
        self.support = backend.version_support()
        self.versions: list[Version] = []
        self._changed = False
        self._saved: list[str] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="sky-box") as box:
            box.border_title = f"Versions — {safe_name(basename(self.path) or self.path)}"
            box.border_subtitle = "F5 save to other pane · r restore · Del delete · Esc close"
            if not self.support.can_delete:
                yield Label(
                    f"{self.support.delete_refusal or 'This drive cannot delete versions'}. "
                    "You can still list, save and restore them.",
                    id="versions-note",
                )
            yield DataTable(id="versions-table", cursor_type="row", zebra_stripes=True)
            yield ProgressBar(id="versions-progress", show_eta=False)
            yield Label("Loading…", id="versions-status", classes="sky-muted")
            with Horizontal(classes="sky-buttons"):
                where = self.destination.label if self.destination else "other pane"
                yield Button(f"Save to {where}", id="save", variant="primary")
                yield Button("Restore", id="restore", variant="warning")
                yield Button("Delete", id="delete", variant="error")
                yield Button("Close", id="close")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        fill_table(table, VERSION_COLUMNS, [])
        table.focus()
        self.query_one("#save", Button).disabled = self.destination is None
        self._load()

    # -- state -----------------------------------------------------------------------------

    @property
    def selected(self) -> Version | None:
        row = self.query_one(DataTable).cursor_row
        return self.versions[row] if 0 <= row < len(self.versions) else None

    def _status(self, text: str, style: str = "sky-muted") -> None:
        label = self.query_one("#versions-status", Label)
        label.update(text)
        label.set_classes(style)

    @on(DataTable.RowHighlighted)
    def _update_buttons(self) -> None:
        version = self.selected
        old = version is not None and not version.current
        self.query_one("#restore", Button).disabled = not old
        self.query_one("#delete", Button).disabled = not (old and self.support.can_delete)
        self.query_one("#save", Button).disabled = version is None or self.destination is None

    @work(exclusive=True, group="versions-list")
    async def _load(self) -> None:
        try:
            versions = await self.backend.list_versions(self.path)
        except SkypaneError as exc:
            self._status(f"Cannot list the versions: {exc}", "sky-error")
            return
        self.versions = versions
        rows = [
            (
                v.id,
                fmt_when(v),
                fmt_size_long(v.size),
                v.author or "",
                "current" if v.current else "",
            )
            for v in versions
        ]
        fill_table(self.query_one(DataTable), VERSION_COLUMNS, rows)
        older = sum(v.size for v in versions if not v.current)
        self._status(
            f"{len(versions)} version(s); older ones hold {fmt_size_long(older)}."
            if versions
            else "No versions."
        )
        self._update_buttons()

    # -- actions -----------------------------------------------------------------------------

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        getattr(self, f"action_{event.button.id}")()

    def action_close(self) -> None:
        self.dismiss(VersionsOutcome(self._changed, tuple(self._saved)))

    def action_save(self) -> None:
        version = self.selected
        if version is not None and self.destination is not None:
            self._save(version, self.destination)

    @work(exclusive=True, group="versions-save")
    async def _save(self, version: Version, dest: Destination) -> None:
        bar = self.query_one(ProgressBar)
        bar.update(total=max(version.size, 1), progress=0)
        self.remove_class("-idle")
        name = version_file_name(basename(self.path), version)
        try:
            target = await free_path(dest.backend, dest.folder, name)
            self._status(f"Saving version {version.id} as {safe_name(basename(target))}…")
            await save_version(
                self.backend, self.path, version, dest.backend, target, _Progress(bar)
            )
        except SkypaneError as exc:
            self._status(f"Cannot save version {version.id}: {exc}", "sky-error")
            return
        finally:
            self.add_class("-idle")
        self._saved.append(target)
        self._status(f"✓ Saved version {version.id} as {safe_name(target)}", "sky-ok")

    def action_restore(self) -> None:
        version = self.selected
        if version is not None and not version.current:
            self._restore(version)

    @work(exclusive=True, group="versions-change")
    async def _restore(self, version: Version) -> None:
        ok = await self.app.push_screen_wait(
            ConfirmDialog(
                "Restore version",
                f"Make version {version.id} of {fmt_when(version)} the current one? "
                "The current content stays as an older version.",
                yes="Restore",
            )
        )
        if not ok:
            return
        try:
            await self.backend.restore_version(self.path, version.id)
        except SkypaneError as exc:
            self._status(f"Cannot restore version {version.id}: {exc}", "sky-error")
            return
        self._changed = True
        self._load()
        self.notify(f"Version {version.id} restored", timeout=3)

    def action_delete(self) -> None:
        version = self.selected
        if version is None or version.current:
            return
        if not self.support.can_delete:
            self._status(self.support.delete_refusal or "cannot delete versions", "sky-error")
            return
        self._delete(version)

    @work(exclusive=True, group="versions-change")
    async def _delete(self, version: Version) -> None:
        ok = await self.app.push_screen_wait(
            ConfirmDialog(
                "Delete version",
                f"Delete version {version.id} of {fmt_when(version)} "
                f"({fmt_size_long(version.size)}) for good?",
                yes="Delete",
                danger=True,
            )
        )
        if not ok:
            return
        try:
            await self.backend.delete_version(self.path, version.id)
        except SkypaneError as exc:
            self._status(f"Cannot delete version {version.id}: {exc}", "sky-error")
            return
        self._changed = True
        self._load()
        self.notify(f"Version {version.id} deleted", timeout=3)
