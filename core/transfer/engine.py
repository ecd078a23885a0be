"""``TransferEngine``: jobs in, planned and verified transfers out, on the caller's event loop.

See the package docstring (``core.transfer``) for the public surface. Internally each job
has a driver task that plans it, then runs its items in three groups (folders to create,
shallow first; files; emptied source folders, deep first). Items of every job share one
``AdaptiveLimiter``: ``workers`` at most, fewer while a drive throttles. Pause, cancel and
close stop streaming items cooperatively at the next chunk boundary (a backend's blocking
write is never interrupted in the middle), keeping resume state for pause and close.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

from core import errors
from core.backend import Backend, patient_sleep, stop_check
from core.paths import Location
from core.transfer.journal import Journal
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
from core.transfer.runner import ItemRunner, JobRun, discard_resume

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
        self._runner = ItemRunner(self)
        self._ticker: asyncio.Task[None] | None = None
        self._closed = False
        self._throttle_counts: dict[tuple[str, int], int] = {}

    # -- public ----------------------------------------------------------------

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
    ) -> Job:
        """Queue a job. With ``dry_run`` plan it and return the report (``job.plan``) only."""
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
            use_trash=use_trash,
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
            self.journal.save_job(job)
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
        run = self._run(job_id)
        if run.job.state.finished or run.paused:
            return
        run.paused = True
        self._set_state(run, JobState.PAUSED)
        run.wake.set()
        run.stop_signal.set()

    def resume(self, job_id: str) -> None:
        """Continue a paused job (or one loaded from the journal)."""
        run = self._run(job_id)
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
        run = self._run(job_id)
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
        run = self._run(job_id)
        if not run.job.state.finished:
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
        """Wait until the job is done, failed or cancelled (not while it is paused)."""
        run = self._run(job_id)
        while not run.job.state.finished:
            await run.finished.wait()
        return run.job

    async def resume_unfinished(self, job_ids: Sequence[str] | None = None) -> list[Job]:
        """Load unfinished jobs from the journal and continue them (paused ones stay paused)."""
        if self.journal is None:
            return []
        out = []
        for job in self.journal.jobs(unfinished_only=True):
            if job_ids is not None and job.id not in job_ids:
                continue
            if job.id in self._runs:
                continue
            run = JobRun(job)
            for it in job.items:
                if it.state is ItemState.RUNNING:
                    it.state = ItemState.PENDING
                    run.recheck.add(it.seq)
            run.counters.reset_from(job)
            self._runs[job.id] = run
            out.append(job)
            if job.state is JobState.PAUSED and job_ids is None:
                run.paused = True
                continue
            run.paused = False
            self._start(run)
        return out

    async def close(self) -> None:
        """Stop running items at their next chunk (resumable), then close backends."""
        self._closed = True
        for run in self._runs.values():
            run.closing = True
            run.wake.set()
            run.stop_signal.set()
        tasks = [r.task for r in self._runs.values() if r.task is not None and not r.task.done()]
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
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

    def _start(self, run: JobRun) -> None:
        run.task = asyncio.create_task(self._drive(run), name=f"transfer-{run.job.id}")
        if self._ticker is None or self._ticker.done():
            self._ticker = asyncio.create_task(self._tick(), name="transfer-progress")

    def _save_item(self, run: JobRun, item: Item) -> None:
        if self.journal is not None and not run.job.dry_run:
            self.journal.update_item(run.job.id, item)

    def _set_state(self, run: JobRun, state: JobState) -> None:
        if run.job.state is state:
            return
        run.job.state = state
        if self.journal is not None:
            self.journal.update_job(run.job)
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
        return run.counters.snapshot(
            run.job, state, throttled_until=until, concurrency=self.limiter.limit
        )

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
            self._poll_pacers()
            active = False
            for run in self._runs.values():
                if run.job.state.finished:
                    continue
                active = True
                run.counters.tick(now)
                if run.counters.dirty or self.limiter.throttled_for > 0:
                    self._emit(run)
            if not active:
                return

    def _poll_pacers(self) -> None:
        """Backends with a pacer (OneDrive's ``graph.pacer``) say when the drive throttles."""
        for b in self._backends.values():
            pacer = getattr(b, "pacer", None) or getattr(getattr(b, "graph", None), "pacer", None)
            if pacer is None:
                continue
            try:
                until = pacer.state.throttled_until
                left = float(until) - float(pacer.clock()) if until is not None else 0.0
            except (AttributeError, TypeError, ValueError):
                continue
            if left > 0:
                self.limiter.note_pacer(left)

    async def _drive(self, run: JobRun) -> None:
        job = run.job
        try:
            if not job.items and job.plan is None and not run.cancelled:
                self._set_state(run, JobState.PLANNING)
                job.plan, job.items = await plan_job(job, self.backend)
                run.counters.reset_from(job)
                if self.journal is not None:
                    self.journal.save_job(job)
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
