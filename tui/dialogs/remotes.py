"""RemotesDialog: the configured remotes — add and edit (the config wizard), rename, delete.

Renaming moves the stored sign-in with the remote; deleting signs out too. Returns what
changed so the screen can close backends and move panes that showed a remote.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Label

from core.config import Config, RemoteConfig, validate_remote_name
from core.errors import SkypaneError
from core.registry import backend_class
from core.secrets import Secrets, SecretStore
from core.setup import describe_remote
from tui.dialogs.common import fill_table, frame_css
from tui.dialogs.confirm import ConfirmDialog
from tui.dialogs.text_input import InputDialog
from tui.dialogs.wizard import ConfigWizard

#: Longest place (drive, host) the table shows in full; a drive id is cut to fit.
PLACE_WIDTH = 28


@dataclass(frozen=True, slots=True)
class RemoteChanges:
    added: tuple[str, ...] = ()
    edited: tuple[str, ...] = ()
    renamed: tuple[tuple[str, str], ...] = ()
    deleted: tuple[str, ...] = ()

    @property
    def touched(self) -> bool:
        return bool(self.added or self.edited or self.renamed or self.deleted)


def describe(remote: RemoteConfig, store: Secrets) -> tuple[str, str, str, str]:
    """Name, type, account and place (drive, host) of a remote, in its backend's words."""
    try:
        kind: object = backend_class(remote.type)
    except (SkypaneError, ImportError):
        kind = None
    account, place = describe_remote(kind, remote.name, remote.options, store)
    if len(place) > PLACE_WIDTH:
        place = place[: PLACE_WIDTH - 1] + "…"
    return remote.name, remote.type, account, place


class RemotesDialog(ModalScreen[RemoteChanges]):
    DEFAULT_CSS = (
        frame_css("RemotesDialog", "96")
        + """
    RemotesDialog #remotes-table { height: auto; max-height: 16; margin-top: 1; }
    RemotesDialog #remotes-status { margin-top: 1; }
    """
    )

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="remotes-close"),
        Binding("a,insert", "add", "Add remote", id="remotes-add"),
        Binding("e", "edit", "Edit remote", id="remotes-edit"),
        Binding("r,f6", "rename", "Rename remote", id="remotes-rename"),
        Binding("d,delete,f8", "delete", "Delete remote", id="remotes-delete"),
    ]

    def __init__(
        self, config: Config, *, store: Secrets | None = None, **wizard_options: Any
    ) -> None:
        super().__init__()
        self.config = config
        self.store: Secrets = store if store is not None else SecretStore(log_warning=False)
        self.wizard_options = wizard_options
        self.names: list[str] = []
        self._added: list[str] = []
        self._edited: list[str] = []
        self._renamed: list[tuple[str, str]] = []
        self._deleted: list[str] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="sky-box") as box:
            box.border_title = "Remotes"
            box.border_subtitle = "a add · e edit · r rename · d delete · Esc close"
            yield DataTable(id="remotes-table", cursor_type="row", zebra_stripes=True)
            yield Label("", id="remotes-status", classes="sky-muted")
            with Horizontal(classes="sky-buttons"):
                yield Button("Add…", id="add", variant="primary")
                yield Button("Edit…", id="edit")
                yield Button("Rename…", id="rename")
                yield Button("Delete", id="delete", variant="error")
                yield Button("Close", id="close")

    def on_mount(self) -> None:
        self._fill()
        self.query_one(DataTable).focus()

    def _fill(self, select: str | None = None) -> None:
        table = self.query_one(DataTable)
        remotes = self.config.remotes
        self.names = list(remotes)
        rows = [describe(remote, self.store) for remote in remotes.values()]
        fill_table(table, ("Name", "Type", "Account", "Drive"), rows, self.names)
        if select in self.names:
            table.move_cursor(row=self.names.index(select))
        empty = not self.names
        for button in ("edit", "rename", "delete"):
            self.query_one(f"#{button}", Button).disabled = empty
        self._status("No remote yet: press a to add one." if empty else "")

    def _status(self, text: str, style: str = "sky-muted") -> None:
        label = self.query_one("#remotes-status", Label)
        label.update(text)
        label.set_classes(style)

    @property
    def selected(self) -> str | None:
        row = self.query_one(DataTable).cursor_row
        return self.names[row] if 0 <= row < len(self.names) else None

    # -- actions -----------------------------------------------------------------------------

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        getattr(self, f"action_{event.button.id}")()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_edit()

    def action_close(self) -> None:
        self.dismiss(
            RemoteChanges(
                tuple(self._added), tuple(self._edited), tuple(self._renamed), tuple(self._deleted)
            )
        )

    def action_add(self) -> None:
        def saved(remote: RemoteConfig | None) -> None:
            if remote is not None:
                self._added.append(remote.name)
                self._fill(remote.name)
                self._status(f"Added {remote.name}:", "sky-ok")

        wizard = ConfigWizard(self.config, store=self.store, **self.wizard_options)
        self.app.push_screen(wizard, saved)

    def action_edit(self) -> None:
        name = self.selected
        if name is None:
            return

        def saved(remote: RemoteConfig | None) -> None:
            if remote is not None:
                self._edited.append(remote.name)
                self._fill(remote.name)
                self._status(f"Saved {remote.name}:", "sky-ok")

        wizard = ConfigWizard(
            self.config, existing=self.config.remote(name), store=self.store, **self.wizard_options
        )
        self.app.push_screen(wizard, saved)

    def _check_new_name(self, name: str) -> str | None:
        try:
            validate_remote_name(name)
        except SkypaneError as exc:
            return str(exc)
        return f"a remote named {name!r} already exists" if name in self.config.remotes else None

    @work(exclusive=True, group="remotes")
    async def action_rename(self) -> None:
        old = self.selected
        if old is None:
            return
        new = await self.app.push_screen_wait(
            InputDialog("Rename remote", f"New name for {old}:", old, check=self._check_new_name)
        )
        if not new or new == old:
            return
        try:
            self.config.rename_remote(old, new)
            self.config.save()
        except (SkypaneError, OSError) as exc:
            self._status(f"Cannot rename: {exc}", "sky-error")
            return
        blob = self.store.load(old)
        if blob is not None:  # the sign-in goes with the remote
            self.store.save(new, blob)
            self.store.delete(old)
        self._renamed.append((old, new))
        self._fill(new)
        self._status(f"Renamed {old}: to {new}:", "sky-ok")

    @work(exclusive=True, group="remotes")
    async def action_delete(self) -> None:
        name = self.selected
        if name is None:
            return
        ok = await self.app.push_screen_wait(
            ConfirmDialog(
                "Delete remote",
                f"Remove {name}: from the configuration and forget its sign-in? "
                "Nothing on the drive is touched.",
                yes="Delete",
                danger=True,
            )
        )
        if not ok:
            return
        try:
            self.config.delete_remote(name)
            self.config.save()
        except (SkypaneError, OSError) as exc:
            self._status(f"Cannot delete: {exc}", "sky-error")
            return
        with contextlib.suppress(Exception):  # a keyring that refuses must not undo the delete
            self.store.delete(name)
        self._deleted.append(name)
        self._fill()
        self._status(f"Deleted {name}:", "sky-ok")
