"""What MainScreen does to files: view, edit, mkdir, rename, and the transfers (copy, move,
delete) it hands to the engine, with the dialogs that ask first.

A base class of MainScreen, kept apart so each module stays readable; it knows the panes
only through ``active``/``other`` and reports errors through the log.
"""

from __future__ import annotations

import os

from textual import on, work
from textual.screen import Screen

from core.backend import Backend, Trash
from core.config import Config
from core.errors import SkypaneError
from core.guard import deletion_size, protected_reason, refusal_message
from core.model import Entry
from core.paths import Location, join, parent, parse_location
from core.transfer import Job, JobState
from tui.dialogs.confirm import ConfirmDialog
from tui.dialogs.text_input import InputDialog
from tui.format import Clock, cannot_open, fmt_count, fmt_size_long, safe_name
from tui.screens.log import report_error
from tui.screens.viewer import ViewerScreen
from tui.transfers import (
    TransferDone,
    TransferProgress,
    Transfers,
    affected_folders,
    job_title,
)
from tui.widgets.listing import PARENT
from tui.widgets.pane import Pane
from tui.widgets.path_bar import location_text
from tui.widgets.status_bar import StatusBar
from tui.widgets.transfer_panel import TransferPanel


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


class FileOperations(Screen[None]):
    """The operation half of MainScreen."""

    config: Config
    clock: Clock
    transfers: Transfers
    active_id: str

    def _fetch_quota(self) -> None:
        """Refresh the quota shown for the active pane (MainScreen draws it)."""

    def reload_location(self, location: Location) -> None:
        """Re-list every pane showing ``location`` (after something changed it)."""
        for pane_id in ("left", "right"):
            pane = self.pane(pane_id)
            if pane.location == location:
                pane.reload()

    def pane(self, pane_id: str) -> Pane:
        return self.query_one(f"#{pane_id}", Pane)

    @property
    def active(self) -> Pane:
        return self.pane(self.active_id)

    @property
    def other(self) -> Pane:
        return self.pane("right" if self.active_id == "left" else "left")

    # -- viewing and editing ---------------------------------------------------------

    @on(Pane.FileOpened)
    def _file_opened(self, event: Pane.FileOpened) -> None:
        self._view(event.pane, event.entry)

    def action_view(self) -> None:
        entry = self.active.file_list.cursor_entry
        if entry is None:
            return
        if entry.is_dir:
            self.active.file_list.action_open()
            return
        self._view(self.active, entry)

    def _view(self, pane: Pane, entry: Entry) -> None:
        if pane.backend is None or self._refused(entry):
            return
        title = location_text(Location(pane.location.remote, entry.path))
        self.app.push_screen(ViewerScreen(pane.backend, entry, title))

    def action_edit(self) -> None:
        from tui.edit import edit_entry

        pane = self.active
        entry = pane.file_list.cursor_entry
        if pane.backend is None or entry is None or entry.is_dir or self._refused(entry):
            return
        self.run_worker(edit_entry(self, pane, entry), group="edit", exit_on_error=False)

    def _refused(self, entry: Entry) -> bool:
        refused = cannot_open(entry)
        if refused is not None:
            self.app.notify(refused, severity="error", markup=False)
        return refused is not None

    # -- simple operations (one request each) --------------------------------------------

    def action_mkdir(self) -> None:
        pane = self.active

        def named(name: str | None) -> None:
            if name and pane.backend is not None:
                self._run_op(self._mkdir(pane, pane.backend, join(pane.location.path, name)))

        self.app.push_screen(
            InputDialog(
                "Make folder", f"New folder in {location_text(pane.location)}:", check=check_name
            ),
            named,
        )

    async def _mkdir(self, pane: Pane, backend: Backend, path: str) -> None:
        try:
            entry = await backend.mkdir(path)
        except SkypaneError as exc:
            report_error(self.app, "cannot make folder", exc)
            return
        self._after_change(pane, keep=entry.name)

    def action_rename(self) -> None:
        pane = self.active
        entry = pane.file_list.cursor_entry
        if entry is None or entry is PARENT or pane.backend is None:
            return
        backend = pane.backend

        def named(name: str | None) -> None:
            if name and name != entry.name:
                self._run_op(self._rename(pane, backend, entry, name))

        self.app.push_screen(
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
            report_error(self.app, f"cannot rename {entry.name}", exc)
            return
        self._after_change(pane, keep=name)

    def _run_op(self, coro: object) -> None:
        self.run_worker(coro, group="file-ops", exit_on_error=False)  # type: ignore[arg-type]

    def _after_change(self, pane: Pane, keep: str | None = None) -> None:
        pane.reload(cursor=keep)
        if self.other.location == pane.location:
            self.other.reload()

    # -- transfers ---------------------------------------------------------------------

    def _destination(self, text: str, here: Location | None = None) -> Location | None:
        """Where the user's text points; a bare name (no ``/``, no ``remote:``) lies in
        ``here``, the source pane's folder, so F6 + a new name renames, as in mc."""
        if here is not None and "/" not in text and ":" not in text and not text.startswith("~"):
            return Location(here.remote, join(here.path, text))
        try:
            loc = parse_location(text, list(self.config.remotes))
        except SkypaneError as exc:
            report_error(self.app, "bad destination", exc)
            return None
        if loc.remote is None:
            loc = Location(None, os.path.abspath(os.path.expanduser(loc.path)))
        return loc

    def _ask_destination(self, verb: str) -> None:
        pane = self.active
        entries = pane.file_list.chosen_entries()
        if not entries:
            return
        # As the user would type it (~ for home); _destination expands it back.
        target = location_text(self.other.location)

        def answered(text: str | None) -> None:
            if text:
                dest = self._destination(text, pane.location)
                if dest is not None:
                    self.transfer(verb, pane, entries, dest)

        self.app.push_screen(
            InputDialog(verb.capitalize(), f"{verb.capitalize()} {describe(entries)} to:", target),
            answered,
        )

    def action_copy(self) -> None:
        self._ask_destination("copy")

    def action_move(self) -> None:
        self._ask_destination("move")

    def transfer(self, verb: str, pane: Pane, entries: list[Entry], dest: Location) -> None:
        """Hand a copy or move to the transfer engine."""
        sources = [Location(pane.location.remote, e.path) for e in entries]
        self.transfers.submit(verb, sources, dest)
        pane.listing.clear_marks()
        pane.file_list.marks_changed()

    def action_delete(self) -> None:
        self._delete(permanent=False)

    def action_delete_permanently(self) -> None:
        self._delete(permanent=True)

    @work(group="confirm", exclusive=True)
    async def _delete(self, permanent: bool) -> None:
        pane = self.active
        entries = pane.file_list.chosen_entries()
        if not entries or pane.backend is None:
            return
        sources = [Location(pane.location.remote, e.path) for e in entries]
        for source in sources:  # a root, the home folder, a whole drive: never
            reason = protected_reason(source, pane.backend)
            if reason is not None:
                self.notify(refusal_message(source, reason), title="Delete", severity="error")
                return
        has_trash = isinstance(pane.backend, Trash)
        where = "the recycle bin" if pane.location.remote else "the trash"
        if permanent or not has_trash:
            note = "" if permanent else " (this location has no trash)"
            question = f"Delete {describe(entries)} for good{note}? This cannot be undone."
            ok = await self.app.push_screen_wait(
                ConfirmDialog("Delete permanently", question, yes="Delete", danger=True)
            )
            permanent = True
        else:
            ok = await self.app.push_screen_wait(
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
            report_error(self.app, "cannot count what would be deleted; nothing deleted", exc)
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
        ok = await self.app.push_screen_wait(
            ConfirmDialog("Delete a lot", question, yes="Delete all", danger=True)
        )
        return ok is True

    def action_toggle_transfers(self) -> None:
        # Shown but not focused (it appears by itself when a job starts): take the focus.
        panel = self.query_one(TransferPanel)
        if panel.display and not panel.has_focus:
            panel.focus()
            return
        panel.display = not panel.display
        if panel.display:
            panel.focus()
        else:
            self.active.file_list.focus()

    @on(TransferProgress)
    def _transfer_progress(self, event: TransferProgress) -> None:
        panel = self.query_one(TransferPanel)
        new = event.job.id not in panel.jobs
        panel.update_job(job_title(event.job), event.snapshot)
        if new:
            panel.display = True  # show that something started, without taking the focus
        until = event.snapshot.throttled_until
        left = (until - self.clock()).total_seconds() if until is not None else 0.0
        bar = self.query_one(StatusBar)
        bar.throttled = max(left, 0.0) if not event.snapshot.state.finished else 0.0
        bar.set_class(bar.throttled > 0, "-throttled")

    @on(TransferDone)
    def _transfer_done(self, event: TransferDone) -> None:
        job = event.job
        panel = self.query_one(TransferPanel)
        if job.last_snapshot is not None:
            panel.update_job(job_title(job), job.last_snapshot)
        self.query_one(StatusBar).throttled = 0.0
        self.query_one(StatusBar).remove_class("-throttled")
        self._report_job(job)
        folders = affected_folders(job)
        for pane_id in ("left", "right"):
            pane = self.pane(pane_id)
            if pane.location in folders:
                pane.reload()
        self._fetch_quota()

    def _report_job(self, job: Job) -> None:
        failed = job.failed_items()
        if job.state is JobState.DONE and not failed:
            done = sum(1 for i in job.items if i.state == "done")
            skipped = sum(1 for i in job.items if i.state == "skipped")
            counts = f"{done} done" + (f", {skipped} skipped" if skipped else "")
            # Where deleted items went and how to get them back (the backend's words).
            where = sorted({i.note for i in job.items if i.kind == "delete" and i.note})
            tail = f"\n{safe_name(where[0])}" if len(where) == 1 else ""
            self.app.notify(
                f"{safe_name(job_title(job))}: {counts}{tail}",
                title=f"{job.kind} finished",
                markup=False,
                timeout=15 if tail else 5,
            )
            return
        if job.state is JobState.CANCELLED:
            self.app.notify(
                safe_name(job_title(job)),
                title=f"{job.kind} cancelled",
                severity="warning",
                markup=False,
            )
            return
        details = "; ".join(f"{i.src_path}: {i.error}" for i in failed[:20])
        from core.errors import SkypaneError as _Err

        report_error(
            self.app,
            f"{job.kind} failed",
            _Err(job.error or f"{len(failed)} item(s) failed", detail=details or None),
        )

    @on(TransferPanel.Command)
    def _transfer_command(self, event: TransferPanel.Command) -> None:
        panel = self.query_one(TransferPanel)
        if event.command == "hide":
            panel.display = False
            self.active.file_list.focus()
        elif event.command == "clear":
            panel.remove_finished()
        elif event.job_id is not None:
            self.transfers.command(event.command, event.job_id)
