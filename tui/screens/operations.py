"""FileOperations: what the keys do to files — view, edit, mkdir, rename, and the copies,
moves and deletes handed to the transfer engine, with the dialogs that ask first.

It reaches the panes only through the PaneNavigator and starts transfers through
``Transfers``; ``host`` (the screen) runs its workers and shows its dialogs.
"""

from __future__ import annotations

import os
from collections.abc import Coroutine
from typing import Any

from textual.screen import Screen

from core.backend import Backend, Trash
from core.config import Config
from core.errors import SkypaneError
from core.guard import deletion_size, protected_reason, refusal_message
from core.model import Entry
from core.paths import Location, join, parent, parse_location
from tui.dialogs.confirm import ConfirmDialog
from tui.dialogs.text_input import InputDialog
from tui.format import cannot_open, fmt_count, fmt_size_long, safe_name
from tui.screens.log import report_error
from tui.screens.panes import PaneNavigator
from tui.screens.viewer import ViewerScreen
from tui.transfers import Transfers
from tui.widgets.listing import PARENT
from tui.widgets.pane import Pane
from tui.widgets.path_bar import location_text


def check_name(name: str) -> str | None:
    if "/" in name or name in (".", ".."):
        return "a name cannot contain '/' or be '.' or '..'"
    return None


def describe(entries: list[Entry]) -> str:
    if len(entries) == 1:
        kind = "folder" if entries[0].is_dir else "file"
        return f"{kind} '{safe_name(entries[0].name)}'"
    size = sum(e.size for e in entries)
    return f"{fmt_count(len(entries))} items ({fmt_size_long(size)})"


class FileOperations:
    def __init__(
        self, host: Screen[None], panes: PaneNavigator, transfers: Transfers, config: Config
    ) -> None:
        self.host = host
        self.panes = panes
        self.transfers = transfers
        self.config = config

    # -- viewing and editing ---------------------------------------------------------

    def view_cursor(self) -> None:
        """F3: the file under the cursor in the viewer (a folder opens)."""
        active = self.panes.active
        entry = active.file_list.cursor_entry
        if entry is None:
            return
        if entry.is_dir:
            active.file_list.action_open()
            return
        self.view(active, entry)

    def view(self, pane: Pane, entry: Entry) -> None:
        if pane.backend is None or self._refused(entry):
            return
        title = location_text(Location(pane.location.remote, entry.path))
        self.host.app.push_screen(ViewerScreen(pane.backend, entry, title))

    def edit(self) -> None:
        from tui.edit import edit_entry

        pane = self.panes.active
        entry = pane.file_list.cursor_entry
        if pane.backend is None or entry is None or entry.is_dir or self._refused(entry):
            return
        work = edit_entry(self.host.app, pane, entry, self.panes.reload_location)
        self.host.run_worker(work, group="edit", exit_on_error=False)

    def _refused(self, entry: Entry) -> bool:
        refused = cannot_open(entry)
        if refused is not None:
            self.host.app.notify(refused, severity="error", markup=False)
        return refused is not None

    # -- simple operations (one request each) --------------------------------------------

    def mkdir(self) -> None:
        pane = self.panes.active

        def named(name: str | None) -> None:
            if name and pane.backend is not None:
                self._run_op(self._mkdir(pane, pane.backend, join(pane.location.path, name)))

        self.host.app.push_screen(
            InputDialog(
                "Make folder", f"New folder in {location_text(pane.location)}:", check=check_name
            ),
            named,
        )

    async def _mkdir(self, pane: Pane, backend: Backend, path: str) -> None:
        try:
            entry = await backend.mkdir(path)
        except SkypaneError as exc:
            report_error(self.host.app, "cannot make folder", exc)
            return
        self.panes.after_change(pane, keep=entry.name)

    def rename(self) -> None:
        pane = self.panes.active
        entry = pane.file_list.cursor_entry
        if entry is None or entry is PARENT or pane.backend is None:
            return
        backend = pane.backend

        def named(name: str | None) -> None:
            if name and name != entry.name:
                self._run_op(self._rename(pane, backend, entry, name))

        self.host.app.push_screen(
            InputDialog(
                "Rename",
                f"New name for '{safe_name(entry.name)}':",
                entry.name,
                check=check_name,
            ),
            named,
        )

    async def _rename(self, pane: Pane, backend: Backend, entry: Entry, name: str) -> None:
        try:
            await backend.move(entry.path, join(parent(entry.path), name))
        except SkypaneError as exc:
            report_error(self.host.app, f"cannot rename {entry.name}", exc)
            return
        self.panes.after_change(pane, keep=name)

    def _run_op(self, work: Coroutine[Any, Any, None]) -> None:
        self.host.run_worker(work, group="file-ops", exit_on_error=False)

    # -- transfers ---------------------------------------------------------------------

    def _destination(self, text: str, here: Location | None = None) -> Location | None:
        """Where the user's text points; a bare name (no ``/``, no ``remote:``) lies in
        ``here``, the source pane's folder, so F6 + a new name renames, as in mc."""
        if here is not None and "/" not in text and ":" not in text and not text.startswith("~"):
            return Location(here.remote, join(here.path, text))
        try:
            loc = parse_location(text, list(self.config.remotes))
        except SkypaneError as exc:
            report_error(self.host.app, "bad destination", exc)
            return None
        if loc.remote is None:
            loc = Location(None, os.path.abspath(os.path.expanduser(loc.path)))
        return loc

    def ask_destination(self, verb: str) -> None:
        """F5 / F6: ask where to copy or move the chosen entries (the other pane by default)."""
        pane = self.panes.active
        entries = pane.file_list.chosen_entries()
        if not entries:
            return
        # As the user would type it (~ for home); _destination expands it back.
        target = location_text(self.panes.location(self.panes.other))

        def answered(text: str | None) -> None:
            if text:
                dest = self._destination(text, pane.location)
                if dest is not None:
                    self.transfer(verb, pane, entries, dest)

        self.host.app.push_screen(
            InputDialog(verb.capitalize(), f"{verb.capitalize()} {describe(entries)} to:", target),
            answered,
        )

    def transfer(self, verb: str, pane: Pane, entries: list[Entry], dest: Location) -> None:
        """Hand a copy or move to the transfer engine."""
        sources = [Location(pane.location.remote, e.path) for e in entries]
        self.transfers.submit(verb, sources, dest)
        pane.listing.clear_marks()
        pane.file_list.marks_changed()

    def delete(self, *, permanent: bool) -> None:
        """F8 (to the trash where there is one) or Shift+F8 (for good), after asking."""
        self.host.run_worker(self._delete(permanent), group="confirm", exclusive=True)

    async def _delete(self, permanent: bool) -> None:
        pane = self.panes.active
        entries = pane.file_list.chosen_entries()
        if not entries or pane.backend is None:
            return
        app = self.host.app
        sources = [Location(pane.location.remote, e.path) for e in entries]
        for source in sources:  # a root, the home folder, a whole drive: never
            reason = protected_reason(source, pane.backend)
            if reason is not None:
                app.notify(refusal_message(source, reason), title="Delete", severity="error")
                return
        has_trash = isinstance(pane.backend, Trash)
        where = "the recycle bin" if pane.location.remote else "the trash"
        if permanent or not has_trash:
            note = "" if permanent else " (this location has no trash)"
            question = f"Delete {describe(entries)} for good{note}? This cannot be undone."
            ok = await app.push_screen_wait(
                ConfirmDialog("Delete permanently", question, yes="Delete", danger=True)
            )
            permanent = True
        else:
            ok = await app.push_screen_wait(
                ConfirmDialog("Delete", f"Move {describe(entries)} to {where}?", yes="Delete")
            )
        if not ok or not await self._confirm_big_deletion(pane.backend, entries, permanent, where):
            return
        self.transfers.delete(sources, trash=not permanent)
        pane.listing.clear_marks()
        pane.file_list.marks_changed()

    async def _confirm_big_deletion(
        self, backend: Backend, entries: list[Entry], permanent: bool, where: str
    ) -> bool:
        """Above ``BIG_FILES`` files or ``BIG_BYTES``: say how much goes, and ask again."""
        try:
            size = await deletion_size(backend, entries)
        except SkypaneError as exc:
            report_error(self.host.app, "cannot count what would be deleted; nothing deleted", exc)
            return False
        if not size.big:
            return True
        how = "for good. This cannot be undone" if permanent else f"to {where}"
        files = f"{fmt_count(size.files)} file{'s' if size.files != 1 else ''}"
        folders = f"{fmt_count(size.folders)} folder{'s' if size.folders != 1 else ''}"
        question = (
            f"This deletes {files} in {folders} ({fmt_size_long(size.bytes)}) {how}."
            "\n\nDelete all of it?"
        )
        ok = await self.host.app.push_screen_wait(
            ConfirmDialog("Delete a lot", question, yes="Delete all", danger=True)
        )
        return ok is True
