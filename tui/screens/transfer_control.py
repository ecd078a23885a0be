"""TransferControl: the transfer panel and what the engine reports (progress, jobs done).

It draws ``TransferProgress`` / ``TransferDone`` (merging dataclass messages, tui/messages.py)
into the TransferPanel and the status bar, tells how a job ended, re-lists the folders a job
changed, passes the panel's commands (pause, cancel, retry) to ``Transfers`` and offers to
resume what a previous session left unfinished.
"""

from __future__ import annotations

from textual.screen import Screen

from core.errors import SkypaneError
from core.transfer import Job, JobState
from tui.dialogs.confirm import ConfirmDialog
from tui.format import safe_name
from tui.messages import TransferDone, TransferProgress
from tui.screens.log import report_error
from tui.screens.panes import PANE_IDS, PaneNavigator
from tui.screens.status import StatusReporter
from tui.transfers import Transfers, affected_folders, job_title
from tui.widgets.transfer_panel import TransferPanel


class TransferControl:
    def __init__(
        self,
        screen: Screen[None],
        panes: PaneNavigator,
        status: StatusReporter,
        transfers: Transfers,
    ) -> None:
        self.screen = screen
        self.panes = panes
        self.status = status
        self.transfers = transfers

    @property
    def panel(self) -> TransferPanel:
        return self.screen.query_one(TransferPanel)

    def start(self) -> None:
        """At mount: the panel hides until a job starts; jobs of other skypanes show (not
        touched); jobs a previous session left are offered for resuming."""
        self.panel.display = False
        self.transfers.watch_others()
        if self.transfers.unfinished():
            self.screen.run_worker(self._offer_resume(), group="resume-offer")

    async def _offer_resume(self) -> None:
        jobs = self.transfers.unfinished()
        lines = "\n".join(f"• {job_title(job)}" for job in jobs[:5])
        more = f"\n… and {len(jobs) - 5} more" if len(jobs) > 5 else ""
        ok = await self.screen.app.push_screen_wait(
            ConfirmDialog(
                "Unfinished transfers",
                f"{len(jobs)} transfer(s) did not finish last time:\n{lines}{more}\n\nResume now?",
                yes="Resume",
                no="Not now",
            )
        )
        if ok:
            await self.transfers.resume_unfinished()

    def toggle_panel(self) -> None:
        # Shown but not focused (it appears by itself when a job starts): take the focus.
        panel = self.panel
        if panel.display and not panel.has_focus:
            panel.focus()
            return
        panel.display = not panel.display
        if panel.display:
            panel.focus()
        else:
            self.panes.active.file_list.focus()

    def progress(self, event: TransferProgress) -> None:
        panel = self.panel
        new = event.job.id not in panel.jobs
        panel.update_job(job_title(event.job), event.snapshot)
        if new:
            panel.display = True  # show that something started, without taking the focus
        self.status.job_throttled(event.snapshot)

    def done(self, event: TransferDone) -> None:
        job = event.job
        if job.last_snapshot is not None:
            self.panel.update_job(job_title(job), job.last_snapshot)
        self.status.job_ended()
        self._report(job)
        folders = affected_folders(job)
        for pane_id in PANE_IDS:
            pane = self.panes.pane(pane_id)
            if pane.location in folders:
                pane.reload()
        self.status.fetch_quota()

    def _report(self, job: Job) -> None:
        app = self.screen.app
        failed = job.failed_items()
        if job.state is JobState.DONE and not failed:
            done = sum(1 for i in job.items if i.state == "done")
            skipped = sum(1 for i in job.items if i.state == "skipped")
            counts = f"{done} done" + (f", {skipped} skipped" if skipped else "")
            # Where deleted items went and how to get them back (the backend's words).
            where = sorted({i.note for i in job.items if i.kind == "delete" and i.note})
            tail = f"\n{safe_name(where[0])}" if len(where) == 1 else ""
            app.notify(
                f"{safe_name(job_title(job))}: {counts}{tail}",
                title=f"{job.kind} finished",
                markup=False,
                timeout=15 if tail else 5,
            )
            return
        if job.state is JobState.CANCELLED:
            app.notify(
                safe_name(job_title(job)),
                title=f"{job.kind} cancelled",
                severity="warning",
                markup=False,
            )
            return
        details = "; ".join(f"{i.src_path}: {i.error}" for i in failed[:20])
        report_error(
            app,
            f"{job.kind} failed",
            SkypaneError(job.error or f"{len(failed)} item(s) failed", detail=details or None),
        )

    def command(self, event: TransferPanel.Command) -> None:
        panel = self.panel
        if event.command == "hide":
            panel.display = False
            self.panes.active.file_list.focus()
        elif event.command == "clear":
            panel.remove_finished()
        elif event.job_id is not None:
            self.transfers.command(event.command, event.job_id)
