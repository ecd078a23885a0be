"""``TransferEngine``: jobs in, planned and verified transfers out, on the caller's event loop.

See the package docstring (``core.transfer``) for the public surface. Internally each job
has a driver task that plans it, then runs its items in three groups (folders to create,
shallow first; files; emptied source folders, deep first). Items of every job share one
``AdaptiveLimiter``: ``workers`` at most, fewer while a drive throttles. Pause, cancel and
close stop streaming items cooperatively at the next chunk boundary (a backend's blocking
write is never interrupted in the middle), keeping resume state for pause and close.

With a journal, every job the engine runs is leased to it (``core.transfer.lease``): taken
when the job is submitted or resumed, renewed by a heartbeat task, released when the job ends
or the engine closes. Jobs another process holds are left to it; ``watch`` shows them
read-only (progress read from the journal) and takes them over once their owner is gone.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

from core import errors
from core.backend import Backend, patient_sleep, stop_check, throttled_seconds
from core.paths import Location
from core.transfer.journal import Journal
from core.transfer.lease import HEARTBEAT_INTERVAL, JobHeldElsewhere, Lease, Owner
from core.transfer.limiter import AdaptiveLimiter
from core.transfer.model import (
    ConflictAction,
    ConflictDecision,
    ConflictPolicy,
    ConflictQuestion,
    Item,
    ItemKind,
    ItemState,
    Job,
    JobKind,
    JobState,
    ProgressSnapshot,
)
from core.transfer.planner import plan_job
from core.transfer.runner import STREAM_CUTOFF, STREAMS, ItemRunner, JobRun, discard_resume

#: Seconds a cancel spends removing each unfinished partial write before leaving it behind.
DISCARD_TIMEOUT = 2.0

log = logging.getLogger(__name__)

OpenBackend = Callable[[str | None], Backend]
ProgressSink = Callable[[ProgressSnapshot], None]
ConflictCallback = Callable[[ConflictQuestion], Awaitable[ConflictDecision]]
JobDoneCallback = Callable[[Job], None]

#: Attempts per item for errors that may go away (5xx, dropped connections).
TRANSIENT_ATTEMPTS = 3
#: Attempts per item after a failed verification: the first plus one retry.
INTEGRITY_ATTEMPTS = 2
#: Throttles one item may meet before it fails.
MAX_THROTTLES = 50
#: First pause before retrying an item after a transient error (doubles each time).
RETRY_BACKOFF = 0.2
#: Seconds between two looks at the journal for jobs another process runs.
WATCH_INTERVAL = 2.0


class TransferEngine:
    """Runs copy, move, delete and mkdir jobs between any backends."""

    def __init__(
        self,
        open_backend: OpenBackend,
        journal: Journal | None = None,
        workers: int = 4,
        on_progress: ProgressSink | None = None,
        on_conflict: ConflictCallback | None = None,
        on_job_done: JobDoneCallback | None = None,
        *,
        owns_backends: bool = True,
        progress_interval: float = 0.1,
        retry_backoff: float = RETRY_BACKOFF,
        owner: Owner | None = None,
        heartbeat_interval: float = HEARTBEAT_INTERVAL,
        watch_interval: float = WATCH_INTERVAL,
        streams: int = STREAMS,
        stream_cutoff: int = STREAM_CUTOFF,
    ) -> None:
        self._open_backend = open_backend
        self.journal = journal
        self.on_progress = on_progress
        self.on_conflict = on_conflict
        self.on_job_done = on_job_done
        self.owns_backends = owns_backends
        self.progress_interval = progress_interval
        self.retry_backoff = retry_backoff
        self.limiter = AdaptiveLimiter(workers)
        self._backends: dict[str, Backend] = {}
        self._runs: dict[str, JobRun] = {}
        self._runner = ItemRunner(self, streams=streams, stream_cutoff=stream_cutoff)
        self._ticker: asyncio.Task[None] | None = None
        self._closed = False
        self._throttle_counts: dict[tuple[str, int], int] = {}
        self._owner = owner
        self.heartbeat_interval = heartbeat_interval
        self.watch_interval = watch_interval
        #: Jobs ``resume_unfinished`` left alone because another process runs them.
        self.elsewhere: dict[str, Lease] = {}
        #: Jobs this engine took over from an owner that was gone, with that owner's lease.
        self.took_over: dict[str, Lease] = {}
        self._heartbeat: asyncio.Task[None] | None = None
        self._watcher: asyncio.Task[None] | None = None

    # -- public ----------------------------------------------------------------

    @property
    def owner(self) -> Owner:
        """Who this engine is in the journal's leases (made when first needed)."""
        if self._owner is None:
            self._owner = Owner.current()
        return self._owner

    @property
    def workers(self) -> int:
        return self.limiter.maximum

    async def set_workers(self, workers: int) -> None:
        """Change how many items may run at once."""
        await self.limiter.resize(workers)

    async def submit(
        self,
        kind: JobKind | str,
        sources: Sequence[Location],
        dest: Location | None = None,
        *,
        policy: ConflictPolicy | str = ConflictPolicy.ASK,
        dry_run: bool = False,
        use_trash: bool = True,
        max_delete: int | None = None,
    ) -> Job:
        """Queue a job. With ``dry_run`` plan it and return the report (``job.plan``) only.

        ``max_delete`` bounds the deletions a mirror may plan (more makes the plan fatal).
        """
        if self._closed:
            raise errors.SkypaneError("the transfer engine is closed")
        kind = JobKind(kind)
        if kind is JobKind.MKDIR and dest is None and len(sources) == 1:
            dest, sources = sources[0], []
        job = Job(
            id=uuid.uuid4().hex[:12],
            kind=kind,
            sources=tuple(sources),
            dest=dest,
            policy=ConflictPolicy(policy),
            created=datetime.now(UTC),
            dry_run=dry_run,
            use_trash=use_trash or kind is JobKind.MIRROR,
            max_delete=max_delete,
        )
        run = JobRun(job)
        if dry_run:
            job.state = JobState.PLANNING
            try:
                job.plan, job.items = await plan_job(job, self.backend)
                job.state = JobState.DONE
            except errors.SkypaneError as exc:
                job.error, job.state = str(exc), JobState.FAILED
            run.counters.reset_from(job)
            job.last_snapshot = self._snapshot(run)
            return job
        self._runs[job.id] = run
        if self.journal is not None:
            self.journal.add_job(job, self.owner)
        self._start(run)
        return job

    def jobs(self) -> list[Job]:
        """Jobs of this session (and those loaded by ``resume_unfinished``), oldest first."""
        return [r.job for r in self._runs.values()]

    def job(self, job_id: str) -> Job:
        return self._run(job_id).job

    def snapshot(self, job_id: str) -> ProgressSnapshot:
        """A fresh progress snapshot of one job."""
        return self._snapshot(self._run(job_id))

    def pause(self, job_id: str) -> None:
        """Stop starting items and stop running ones at their next chunk; keep resume state."""
        run = self._own_run(job_id)
        if run.job.state.finished or run.paused:
            return
        run.paused = True
        run.counters.pause()
        self._set_state(run, JobState.PAUSED)
        run.wake.set()
        run.stop_signal.set()

    def resume(self, job_id: str) -> None:
        """Continue a paused job (or one loaded from the journal)."""
        run = self._own_run(job_id)
        if run.job.state.finished:
            return
        run.paused = False
        run.stop_signal.clear()
        if run.task is None or run.task.done():
            self._start(run)
        else:
            self._set_state(run, JobState.RUNNING if run.job.items else JobState.PLANNING)
        run.wake.set()

    def cancel(self, job_id: str) -> None:
        """Stop the job; partial writes are discarded, finished items stay."""
        run = self._own_run(job_id)
        if run.job.state.finished:
            return
        run.cancelled = True
        run.paused = False
        run.wake.set()
        run.stop_signal.set()
        if run.task is None or run.task.done():
            self._start(run)  # a paused job from the journal: let the driver clean up

    def retry_failed(self, job_id: str) -> None:
        """Run a job's failed (and never started) items again."""
        run = self._own_run(job_id)
        if not run.job.state.finished:
            return
        if self.journal is not None:  # its lease went when it finished: take it again
            claim = self.journal.claim(job_id, self.owner)
            if claim.holder is not None:
                raise JobHeldElsewhere(claim.holder)
            # Another skypane may have retried it since we read it: go by what it recorded.
            fresh = self.journal.load_job(job_id)
            if fresh is not None:
                _copy_job(fresh, run.job)
                run.counters.reset_from(run.job)
            if run.job.state is not JobState.FAILED:
                self.journal.release(job_id, self.owner)
                self._emit(run)
                return
        for it in run.job.items:
            if it.state is ItemState.FAILED:
                run.counters.move(it, ItemState.PENDING)
                it.state, it.error, it.attempts = ItemState.PENDING, None, 0
                self._save_item(run, it)
        run.cancelled = run.paused = False
        run.stop_signal.clear()
        run.halted = run.job.error = None
        run.finished = asyncio.Event()
        self._set_state(run, JobState.QUEUED)  # not finished any more: wait() waits again
        self._start(run)

    def retry_journaled(self, job_id: str) -> Job:
        """Run the failed items of a finished job again, loading it from the journal if
        this engine does not know it (``skypane resume --failed``, after a restart).

        A job that failed before it had items (its planning failed) is planned again.
        """
        run = self._runs.get(job_id)
        if run is None:
            job = self.journal.load_job(job_id) if self.journal is not None else None
            if job is None:
                raise errors.NotFound("no job with that id", path=job_id)
            if not job.state.finished:
                raise errors.SkypaneError("the job is not finished: resume it instead", path=job_id)
            run = JobRun(job)
            run.counters.reset_from(job)
            self._runs[job_id] = run
        job = run.job
        if job.state is not JobState.FAILED:
            raise errors.SkypaneError(f"the job is {job.state.value}: nothing failed", path=job_id)
        self.retry_failed(job_id)
        return job

    async def wait(self, job_id: str) -> Job:
        """Wait until the job is done, failed or cancelled (not while it is paused).

        A watched job is waited for until its owner finishes it (or this engine takes it
        over and does); a job another process took from this one returns as it was left.
        """
        while True:
            run = self._run(job_id)  # a watched job gets a new run when it is taken over
            if run.job.state.finished or run.lost:
                return run.job
            await run.finished.wait()

    def resumable(self) -> list[Job]:
        """Unfinished jobs in the journal that no live process runs (what a start-up offers)."""
        if self.journal is None:
            return []
        leases = self.journal.leases()
        now = time.time()
        return [
            job
            for job in self.journal.jobs(unfinished_only=True)
            if (lease := leases.get(job.id)) is None
            or lease.held_by(self.owner)
            or lease.owner_gone(now)
        ]

    def runs_here(self, job_id: str) -> bool:
        """Whether this engine runs the job (not only shows it for another process)."""
        return not self._run(job_id).foreign

    def lost(self, job_id: str) -> bool:
        """Whether another process took this job from this engine (it thought us gone)."""
        return self._run(job_id).lost

    def holder(self, job_id: str) -> Lease | None:
        """The other process running this job, when this engine only watches it."""
        run = self._run(job_id)
        return run.holder if run.foreign else None

    async def resume_unfinished(self, job_ids: Sequence[str] | None = None) -> list[Job]:
        """Claim unfinished jobs in the journal and continue them (paused ones stay paused).

        A job another live process runs is left to it and listed in ``elsewhere``.
        """
        if self.journal is None:
            return []
        out = []
        for job_id in self.journal.job_ids(unfinished_only=True):
            if job_ids is not None and job_id not in job_ids:
                continue
            known = self._runs.get(job_id)
            if known is not None and not known.foreign:
                continue
            job = self._claim(job_id)
            if job is None:
                continue
            run = self._adopt(job, known)
            if job.kind is JobKind.MIRROR and job.plan is None and not job.items:
                # Stopped while planning: its deletion limit is not journaled, so it is not
                # planned again without it. The user runs the mirror again.
                job.error = "the mirror stopped before its plan was made; run it again"
                self._finish(run, JobState.FAILED)
                out.append(job)
                continue
            out.append(job)
            if job.state is JobState.PAUSED and job_ids is None:
                run.paused = True
                continue
            run.paused = False
            self._start(run)
        self._keep_leases()
        return out

    def watch(self, job_ids: Sequence[str] | None = None) -> list[Job]:
        """Show unfinished jobs other processes run, read-only, until they finish.

        Their progress is read from the journal every ``watch_interval`` seconds; a job whose
        owner finishes it ends here too (``on_job_done``), one whose owner is gone is taken
        over and run (kept paused if it was paused).
        """
        if self.journal is None:
            return []
        out = []
        leases = self.journal.leases()
        now = time.time()
        for job_id in self.journal.job_ids(unfinished_only=True):
            if (job_ids is not None and job_id not in job_ids) or job_id in self._runs:
                continue
            lease = leases.get(job_id)
            if lease is None or lease.held_by(self.owner) or lease.owner_gone(now):
                continue  # free to resume: not this method's business
            job = self.journal.load_job(job_id)
            if job is None:
                continue
            run = JobRun(job, foreign=True, holder=lease)
            self._show_foreign(run, job, lease)
            self._runs[job_id] = run
            out.append(job)
        if out:
            self._keep_watching()
        return out

    def _claim(self, job_id: str) -> Job | None:
        """Take the job's lease and load it fresh; None if it runs elsewhere or is over."""
        assert self.journal is not None
        try:
            claim = self.journal.claim(job_id, self.owner)
        except errors.NotFound:
            return None
        if claim.holder is not None:
            self.elsewhere[job_id] = claim.holder
            return None
        self.elsewhere.pop(job_id, None)
        if claim.took_over is not None:
            self.took_over[job_id] = claim.took_over
            log.info("job %s: took over from %s", job_id, claim.took_over.describe())
        job = self.journal.load_job(job_id)  # read after the claim: what the last owner left
        if job is None or job.state.finished:
            self.journal.release(job_id, self.owner)
            return None
        return job

    def _adopt(self, job: Job, known: JobRun | None) -> JobRun:
        """A run for a job just claimed (replacing the read-only view of it, if any)."""
        run = JobRun(job)
        for it in job.items:
            if it.state is ItemState.RUNNING:
                it.state = ItemState.PENDING
                run.recheck.add(it.seq)
        run.counters.reset_from(job)
        if known is not None:  # keep the Job object callers hold, with the fresh contents
            _copy_job(job, known.job)
            run.job = known.job
            known.finished.set()  # waiters on the old run look again and find this one
        self._runs[job.id] = run
        return run

    async def close(self, grace: float | None = None) -> None:
        """Stop running items at their next chunk (resumable), then close backends.

        With ``grace``, items still running after that many seconds (a read blocked in the
        kernel, a slow fragment) are cancelled where they wait: their journal rows stay
        "running" with the resume state of their last checkpoint, as after a crash, and the
        next start resumes them from there. The leases of unfinished jobs are released, so
        the next skypane may resume them; also when the wait is cut short (the process is
        about to exit, and its journal writes stay fenced until it does).
        """
        self._closed = True
        for run in self._runs.values():
            run.closing = True
            run.wake.set()
            run.stop_signal.set()
        tasks = [r.task for r in self._runs.values() if r.task is not None and not r.task.done()]
        try:
            if tasks:
                await _wait_or_cancel(tasks, [r.running for r in self._runs.values()], grace)
        finally:
            background = [t for t in (self._ticker, self._heartbeat, self._watcher) if t]
            for task in background:
                task.cancel()
            self._release_all()
        for task in background:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self.owns_backends:
            for b in self._backends.values():
                with contextlib.suppress(Exception):
                    await b.close()
        self._backends.clear()

    # -- Env (used by the item runner) -------------------------------------------

    def backend(self, remote: str | None) -> Backend:
        key = "local" if remote is None else remote
        b = self._backends.get(key)
        if b is None:
            b = self._open_backend(remote)
            self._backends[key] = b
        return b

    def save_item(self, run: JobRun, item: Item) -> None:
        self._save_item(run, item)

    async def ask(self, run: JobRun, question: ConflictQuestion) -> ConflictAction:
        if self.on_conflict is None:
            return ConflictAction.SKIP
        decision = await self.on_conflict(question)
        if decision.apply_to_all and decision.action is not ConflictAction.CANCEL:
            run.job.policy = ConflictPolicy(str(decision.action))
            if self.journal is not None:
                self.journal.update_job(run.job)
        return decision.action

    # -- internals ---------------------------------------------------------------

    def _run(self, job_id: str) -> JobRun:
        try:
            return self._runs[job_id]
        except KeyError:
            raise errors.NotFound("no such job", path=job_id) from None

    def _own_run(self, job_id: str) -> JobRun:
        """The run of a job this engine runs (not one it only watches)."""
        run = self._run(job_id)
        if run.foreign and run.holder is not None:
            raise JobHeldElsewhere(run.holder)
        if run.foreign:
            raise errors.SkypaneError("running in another skypane", path=job_id)
        return run

    def _start(self, run: JobRun) -> None:
        run.task = asyncio.create_task(self._drive(run), name=f"transfer-{run.job.id}")
        if self._ticker is None or self._ticker.done():
            self._ticker = asyncio.create_task(self._tick(), name="transfer-progress")
        self._keep_leases()

    def _save_item(self, run: JobRun, item: Item) -> None:
        if self.journal is None or run.job.dry_run or run.foreign:
            return
        if not self.journal.update_item(run.job.id, item, self.owner):
            self._lose(run)

    def _set_state(self, run: JobRun, state: JobState) -> None:
        if run.job.state is state:
            return
        run.job.state = state
        if (
            self.journal is not None
            and not run.foreign
            and not self.journal.update_job(run.job, self.owner)
        ):
            self._lose(run)
            return
        self._emit(run)

    # -- leases --------------------------------------------------------------------

    def _release_all(self) -> None:
        if self.journal is None:
            return
        for run in self._runs.values():
            if not run.foreign and not run.job.dry_run:
                self.journal.release(run.job.id, self.owner)

    def _keep_leases(self) -> None:
        """Run the heartbeat while this engine holds any unfinished job."""
        if self.journal is None or self._closed:
            return
        if self._heartbeat is None or self._heartbeat.done():
            self._heartbeat = asyncio.create_task(self._beat(), name="transfer-heartbeat")

    def _held_runs(self) -> list[JobRun]:
        return [
            r
            for r in self._runs.values()
            if not r.foreign and not r.job.state.finished and not r.job.dry_run
        ]

    async def _beat(self) -> None:
        assert self.journal is not None
        while True:
            await asyncio.sleep(self.heartbeat_interval)
            runs = self._held_runs()
            if not runs:
                return
            progress = {r.job.id: max(r.counters.bytes_done, 0) for r in runs}
            try:
                held = self.journal.renew(self.owner, progress)
            except Exception:  # a locked or failing journal: try again at the next beat
                log.exception("lease heartbeat failed")
                continue
            for run in runs:
                if run.job.id not in held and not run.job.state.finished:
                    self._lose(run)

    def _lose(self, run: JobRun) -> None:
        """Another process took the job (it thought us gone): stop at once, write nothing more."""
        if run.lost or run.foreign:
            return
        holder = self.journal.lease(run.job.id) if self.journal is not None else None
        log.warning(
            "job %s was taken over by %s; stopping here",
            run.job.id,
            holder.describe() if holder else "another skypane",
        )
        run.lost = run.foreign = True
        run.holder = holder
        run.closing = True
        run.wake.set()
        run.stop_signal.set()
        run.finished.set()
        self._emit(run)
        self._keep_watching()

    def _keep_watching(self) -> None:
        if self.journal is None or self._closed:
            return
        if self._watcher is None or self._watcher.done():
            self._watcher = asyncio.create_task(self._watch(), name="transfer-watch")

    async def _watch(self) -> None:
        assert self.journal is not None
        while True:
            await asyncio.sleep(self.watch_interval)
            runs = [r for r in self._runs.values() if r.foreign and not r.job.state.finished]
            if not runs:
                return
            for run in runs:
                try:
                    self._look_at(run)
                except Exception:  # one unreadable job must not end the watch of the others
                    log.exception("watching job %s failed", run.job.id)

    def _look_at(self, run: JobRun) -> None:
        """One look at a job another process runs: follow it, see it end, or take it over."""
        assert self.journal is not None
        if run.task is not None and not run.task.done():
            return  # our own items of a lost job are still stopping
        job_id = run.job.id
        lease = self.journal.lease(job_id)
        elsewhere = (
            lease is not None
            and not lease.held_by(self.owner)
            and not lease.owner_gone(time.time())
        )
        job = None if elsewhere else self._claim(job_id)
        if job is None:  # its owner runs it still, finished it, or another took it first
            fresh = self.journal.load_job(job_id)
            if fresh is None:
                return
            lease = self.journal.lease(job_id)
            self._show_foreign(run, fresh, lease)
            if fresh.state.finished:
                self._end_foreign(run)
            return
        paused = job.state is JobState.PAUSED
        log.info("job %s: its owner is gone; running it here", job_id)
        mine = self._adopt(job, run)
        mine.paused = paused
        if paused:
            self._keep_leases()
            self._emit(mine)
        else:
            self._start(mine)

    def _end_foreign(self, run: JobRun) -> None:
        """Its owner finished a watched job: show how it ended, once."""
        run.foreign, run.holder = False, None
        run.finished.set()
        self._emit(run)
        if self.on_job_done is not None:
            try:
                self.on_job_done(run.job)
            except Exception:
                log.exception("job-done callback failed")

    def _show_foreign(self, run: JobRun, fresh: Job, lease: Lease | None) -> None:
        """Refresh the read-only view of a job from what its owner journaled."""
        _copy_job(fresh, run.job)
        run.holder = lease
        run.counters.reset_from(run.job)
        if lease is not None and lease.bytes_done > run.counters.bytes_done:
            run.counters.bytes_done = min(lease.bytes_done, run.counters.bytes_total)
        self._emit(run)

    def _set_item(self, run: JobRun, item: Item, state: ItemState) -> None:
        run.counters.move(item, state)
        item.state = state
        self._save_item(run, item)

    def _snapshot(self, run: JobRun) -> ProgressSnapshot:
        state = run.job.state
        until = self.limiter.throttled_until
        if state is JobState.RUNNING and until is not None:
            state = JobState.THROTTLED
        snap = run.counters.snapshot(
            run.job, state, throttled_until=until, concurrency=self.limiter.limit
        )
        if run.foreign and run.holder is not None:
            snap = dataclasses.replace(snap, holder=run.holder, throttled_until=None)
        return snap

    def _emit(self, run: JobRun) -> None:
        snap = self._snapshot(run)
        run.job.last_snapshot = snap
        run.counters.dirty = False
        if self.on_progress is not None:
            try:
                self.on_progress(snap)
            except Exception:  # a broken sink must not break transfers
                log.exception("progress sink failed")

    async def _tick(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self.progress_interval)
            now = loop.time()
            self._poll_throttling()
            active = False
            for run in self._runs.values():
                if run.job.state.finished or run.foreign:
                    continue
                active = True
                run.counters.tick(now)
                if run.counters.dirty or self.limiter.throttled_for > 0:
                    self._emit(run)
            if not active:
                return

    def _poll_throttling(self) -> None:
        """Backends that pace their requests (``Throttling``) say when the service throttles."""
        for b in self._backends.values():
            left = throttled_seconds(b)
            if left > 0:
                self.limiter.note_pacer(left)

    async def _drive(self, run: JobRun) -> None:
        job = run.job
        try:
            if not job.items and job.plan is None and not run.cancelled:
                self._set_state(run, JobState.PLANNING)
                job.plan, job.items = await plan_job(job, self.backend)
                run.counters.reset_from(job)
                if self.journal is not None and not self.journal.save_job(job, self.owner):
                    self._lose(run)
                    return
                if job.plan.fatal:
                    fatal = next(p for p in job.plan.problems if p.severity == "fatal")
                    job.error = f"{fatal.reason}: {fatal.path}" if fatal.path else fatal.reason
                    self._finish(run, JobState.FAILED)
                    return
            if not run.paused:
                self._set_state(run, JobState.RUNNING)
            groups: list[list[Item]] = []
            mkdirs = [i for i in job.items if i.kind is ItemKind.MKDIR]
            for depth in sorted({i.dst_path.count("/") for i in mkdirs}):
                groups.append([i for i in mkdirs if i.dst_path.count("/") == depth])
            groups.append(
                [i for i in job.items if i.kind in (ItemKind.FILE, ItemKind.MOVE, ItemKind.DELETE)]
            )
            rmdirs = [i for i in job.items if i.kind is ItemKind.RMDIR]
            for depth in sorted({i.src_path.count("/") for i in rmdirs}, reverse=True):
                groups.append([i for i in rmdirs if i.src_path.count("/") == depth])
            for group in groups:
                await self._run_group(run, group)
                if run.closing:
                    return
                if run.halted or run.cancelled:
                    break
            await self._conclude(run)
        except errors.SkypaneError as exc:
            job.error = str(exc)
            self._finish(run, JobState.FAILED)
        except Exception as exc:  # a bug must end the job visibly, not hang its waiters
            log.exception("transfer job %s crashed", job.id)
            job.error = f"internal error: {exc!r}"
            self._finish(run, JobState.FAILED)

    async def _conclude(self, run: JobRun) -> None:
        job = run.job
        if run.cancelled:
            pending = [it for it in job.items if it.state is ItemState.PENDING]
            await asyncio.gather(
                *(
                    discard_resume(self.backend(it.dst_remote), it, timeout=DISCARD_TIMEOUT)
                    for it in pending
                    if it.resume
                )
            )
            for it in pending:
                run.counters.rewind(it)  # a paused write's bytes were discarded
                self._set_item(run, it, ItemState.CANCELLED)
            self._finish(run, JobState.CANCELLED)
            return
        if run.halted:
            job.error = run.halted
            self._finish(run, JobState.FAILED)
            return
        if any(i.state is ItemState.PENDING for i in job.items):
            return  # paused: the driver ends; resume() starts a new one
        failed = any(i.state is ItemState.FAILED for i in job.items)
        if failed and job.error is None:
            n = sum(1 for i in job.items if i.state is ItemState.FAILED)
            job.error = f"{n} item{'s' if n != 1 else ''} failed"
        plan_errors = job.plan is not None and not job.plan.ok
        if plan_errors and job.error is None and job.plan is not None:
            bad = [p for p in job.plan.problems if p.severity != "warning"]
            job.error = f"{bad[0].reason}: {bad[0].path}"
            if len(bad) > 1:
                job.error += f" (and {len(bad) - 1} more problems)"
        self._finish(run, JobState.FAILED if failed or plan_errors else JobState.DONE)

    def _finish(self, run: JobRun, state: JobState) -> None:
        self._set_state(run, state)
        if run.lost:
            return  # the job is another process's now: it writes how it ends
        if self.journal is not None and not run.job.dry_run:
            self.journal.release(run.job.id, self.owner)
        run.finished.set()
        if self.on_job_done is not None:
            try:
                self.on_job_done(run.job)
            except Exception:
                log.exception("job-done callback failed")

    async def _run_group(self, run: JobRun, group: list[Item]) -> None:
        queue = deque(i for i in group if i.state is ItemState.PENDING)
        while True:
            run.wake.clear()
            queue.extend(run.requeue)
            run.requeue.clear()
            if run.closing or run.cancelled or run.halted:
                if not run.running:
                    return
            elif run.paused:
                if not run.running:
                    await run.wake.wait()
                    continue
            elif queue:
                if not await self._acquire_unless_stopped(run):
                    continue
                if run.stopping or run.halted:
                    await self.limiter.release(succeeded=False)
                    continue
                item = queue.popleft()
                run.running[item.seq] = asyncio.create_task(self._item_task(run, item))
                continue
            elif not run.running:
                return
            await run.wake.wait()

    async def _item_task(self, run: JobRun, item: Item) -> None:
        # The backends' waits (Retry-After, back-off) in this task end early on pause/cancel.
        stop_check.set(run.check_stop)
        holding = True
        try:
            while True:
                delay = await self._attempt(run, item)
                if delay is None:
                    return
                await self.limiter.release(succeeded=False)
                holding = False
                if delay > 0:
                    with contextlib.suppress(errors.Cancelled):
                        await patient_sleep(delay)
                if run.stopping:
                    self._stop_item(run, item)
                    return
                if not await self._acquire_unless_stopped(run):
                    self._stop_item(run, item)
                    return
                holding = True
        finally:
            run.running.pop(item.seq, None)
            if holding:
                await self.limiter.release(succeeded=item.state is ItemState.DONE)
            run.wake.set()

    async def _acquire_unless_stopped(self, run: JobRun) -> bool:
        """A worker slot, or False once the job is paused, cancelled or closing."""
        return await self.limiter.acquire_unless(run.stop_signal, lambda: run.stopping)

    def _stop_item(self, run: JobRun, item: Item) -> None:
        """An item interrupted by pause/cancel/close goes back to pending."""
        if not (run.paused and item.resume):
            # A paused write that can resume keeps its bytes on show: they are at the
            # destination, and the resumed write reports them again (after a rewind).
            run.counters.rewind(item)
        item.attempts = max(item.attempts - 1, 0)
        self._set_item(run, item, ItemState.PENDING)
        if run.paused:
            run.requeue.append(item)

    async def _attempt(self, run: JobRun, item: Item) -> float | None:
        """One try at ``item``; returns None when it is settled, else the delay before the next."""
        item.attempts += 1
        self._set_item(run, item, ItemState.RUNNING)
        try:
            state, note = await self._runner.run(run, item)
        except errors.Cancelled as exc:
            if run.stopping:
                self._stop_item(run, item)
            else:  # "cancel" answered at a conflict
                run.cancelled = True
                item.error = str(exc)
                self._set_item(run, item, ItemState.CANCELLED)
            return None
        except errors.Throttled as exc:
            await self.limiter.throttled(exc.retry_after)
            item.attempts -= 1
            run.counters.rewind(item)
            if self._throttles(run, item) > MAX_THROTTLES:
                self._fail(run, item, exc)
                return None
            self._set_item(run, item, ItemState.PENDING)
            return 0.0
        except errors.QuotaExceeded as exc:
            run.halted = f"the destination is full: {exc}"
            self._fail(run, item, exc)
            return None
        except (errors.TransientError, errors.IntegrityError, errors.ResumeLost) as exc:
            run.counters.rewind(item)
            limit = (
                INTEGRITY_ATTEMPTS if isinstance(exc, errors.IntegrityError) else TRANSIENT_ATTEMPTS
            )
            if item.attempts >= limit or run.stopping:
                self._fail(run, item, exc)
                return None
            item.error = str(exc)
            self._set_item(run, item, ItemState.PENDING)
            return float(self.retry_backoff * 2 ** (item.attempts - 1))
        except errors.SkypaneError as exc:
            self._fail(run, item, exc)
            return None
        except Exception as exc:  # unexpected: fail this item, keep the job going
            log.exception("item %s of job %s crashed", item.src_path, run.job.id)
            self._fail(run, item, errors.SkypaneError(f"internal error: {exc!r}"))
            return None
        item.error, item.note = None, note
        self._set_item(run, item, state)
        return None

    def _throttles(self, run: JobRun, item: Item) -> int:
        key = (run.job.id, item.seq)
        self._throttle_counts[key] = self._throttle_counts.get(key, 0) + 1
        return self._throttle_counts[key]

    def _fail(self, run: JobRun, item: Item, exc: errors.SkypaneError) -> None:
        item.error = str(exc)
        self._set_item(run, item, ItemState.FAILED)


def _copy_job(src: Job, dst: Job) -> None:
    """Give ``dst`` (a Job object callers hold) the journaled contents of ``src``."""
    dst.state, dst.policy, dst.error = src.state, src.policy, src.error
    dst.items = src.items


async def _wait_or_cancel(
    tasks: list[asyncio.Task[None]],
    running: list[dict[int, asyncio.Task[None]]],
    grace: float | None,
) -> None:
    """Wait for the job drivers; after ``grace`` seconds cancel their items and then them."""
    _, late = await asyncio.wait(tasks, timeout=grace)
    if not late:
        return
    log.warning("%d job(s) did not stop within %.1f s: cancelling their items", len(late), grace)
    items = [t for items in running for t in items.values() if not t.done()]
    for task in (*items, *late):
        task.cancel()
    # A cancelled await returns at once, even when the thread it waited for is still stuck.
    await asyncio.wait([*items, *late], timeout=grace)
