"""Transfers: the main screen's link to the transfer engine.

The engine runs on Textual's event loop, so its callbacks arrive on the UI's thread; they
are turned into messages (progress, job done; tui/messages.py) posted to the widget that owns
this link (the screen), which draws them. A conflict question pushes the ConflictDialog and
waits for its answer through a future, one dialog at a time.

Jobs another skypane process runs (a second TUI, a ``skypane resume``) are shown read-only:
the engine follows them in the journal and takes them over when their owner goes away.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from textual.widget import Widget

from core.backend import Backend
from core.errors import SkypaneError
from core.paths import Location, basename, parent
from core.transfer import (
    ConflictAction,
    ConflictDecision,
    ConflictQuestion,
    Job,
    JobKind,
    JobState,
    Journal,
    ProgressSnapshot,
    TransferEngine,
)
from core.transfer.lease import JobHeldElsewhere
from tui.dialogs.conflict import ConflictDialog
from tui.messages import TransferDone, TransferProgress
from tui.screens.log import report_error
from tui.widgets.path_bar import location_text


def affected_folders(job: Job) -> set[Location]:
    """Folders whose listing a finished job changed."""
    out: set[Location] = set()
    if job.dest is not None:
        out.add(job.dest)
        out.add(Location(job.dest.remote, parent(job.dest.path)))
    if job.kind in (JobKind.MOVE, JobKind.DELETE):
        for src in job.sources:
            out.add(Location(src.remote, parent(src.path)))
    return out


def job_title(job: Job) -> str:
    """``copy a.txt, b.txt (+3) → work:/Backup``: names, not full paths, fit a panel line."""
    names = [basename(s.path) or str(s) for s in job.sources[:2]]
    text = ", ".join(names)
    if len(job.sources) > 2:
        text += f" (+{len(job.sources) - 2})"
    if job.dest is None or job.kind is JobKind.DELETE:
        return f"{job.kind} {text}"
    return f"{job.kind} {text} → {location_text(job.dest)}"


class Transfers:
    """Owns the engine for one main screen: ``host`` runs its workers, receives its messages
    and shows its dialogs; ``backend_for`` gives the backend of a remote (shared with the panes)."""

    def __init__(
        self,
        host: Widget,
        backend_for: Callable[[str | None], Backend],
        journal: Journal | None,
        workers: int = 4,
    ) -> None:
        self.host = host
        self.journal = journal
        self.engine = TransferEngine(
            backend_for,
            journal,
            workers,
            on_progress=self._progress,
            on_conflict=self._ask,
            on_job_done=self._done,
            owns_backends=False,
        )
        self._dialog_lock = asyncio.Lock()

    # -- starting work -----------------------------------------------------------------

    def submit(self, verb: str, sources: Sequence[Location], dest: Location) -> None:
        self.host.run_worker(
            self._submit(JobKind(verb), list(sources), dest),
            group="transfers",
            exit_on_error=False,
        )

    def delete(self, sources: Sequence[Location], *, trash: bool) -> None:
        self.host.run_worker(
            self._submit(JobKind.DELETE, list(sources), None, use_trash=trash),
            group="transfers",
            exit_on_error=False,
        )

    async def _submit(
        self,
        kind: JobKind,
        sources: list[Location],
        dest: Location | None,
        *,
        use_trash: bool = True,
    ) -> Job | None:
        try:
            job = await self.engine.submit(kind, sources, dest, use_trash=use_trash)
        except SkypaneError as exc:
            report_error(self.host.app, f"cannot start {kind}", exc)
            return None
        self.host.post_message(TransferProgress(job, self.engine.snapshot(job.id)))
        return job

    def unfinished(self) -> list[Job]:
        """Jobs a previous session left unfinished and no other skypane runs now."""
        return self.engine.resumable()

    def watch_others(self) -> list[Job]:
        """Show the jobs other skypane processes run, read-only, until they end or are ours."""
        jobs = self.engine.watch()
        for job in jobs:
            self.host.post_message(TransferProgress(job, self.engine.snapshot(job.id)))
        return jobs

    async def resume_unfinished(self) -> list[Job]:
        jobs = await self.engine.resume_unfinished()
        for job in jobs:
            self.host.post_message(TransferProgress(job, self.engine.snapshot(job.id)))
        return jobs

    # -- commands from the panel ---------------------------------------------------------

    def command(self, command: str, job_id: str) -> None:
        try:
            job = self.engine.job(job_id)
        except SkypaneError:
            return
        try:
            if command == "pause":
                if job.state is JobState.PAUSED:
                    self.engine.resume(job_id)
                else:
                    self.engine.pause(job_id)
            elif command == "cancel":
                self.engine.cancel(job_id)
            elif command == "retry":
                self.engine.retry_failed(job_id)
        except JobHeldElsewhere as exc:
            self.host.app.notify(
                f"{job_title(job)} is {exc.message}: control it there.",
                title="Not this window's transfer",
                severity="warning",
            )
            return
        self.host.post_message(TransferProgress(job, self.engine.snapshot(job_id)))

    @property
    def active(self) -> list[Job]:
        """Unfinished jobs this window runs (not those it only shows for another skypane)."""
        return [
            j
            for j in self.engine.jobs()
            if not j.state.finished
            and self.engine.holder(j.id) is None
            and not self.engine.lost(j.id)
        ]

    async def close(self, grace: float | None = None) -> None:
        await self.engine.close(grace)

    # -- engine callbacks (on the event loop) ----------------------------------------------

    def _progress(self, snapshot: ProgressSnapshot) -> None:
        try:
            job = self.engine.job(snapshot.job_id)
        except SkypaneError:
            return
        self.host.post_message(TransferProgress(job, snapshot))

    def _done(self, job: Job) -> None:
        self.host.post_message(TransferDone(job))

    async def _ask(self, question: ConflictQuestion) -> ConflictDecision:
        # One dialog at a time even when several jobs hit conflicts together.
        async with self._dialog_lock:
            future: asyncio.Future[ConflictDecision] = asyncio.get_running_loop().create_future()

            def answered(decision: ConflictDecision | None) -> None:
                if not future.done():
                    future.set_result(decision or ConflictDecision(ConflictAction.SKIP))

            self.host.app.push_screen(ConflictDialog(question), answered)
            return await future
