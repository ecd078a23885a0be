"""Per-job counters, the smoothed rate and the snapshots ``on_progress`` receives.

Counters change on every chunk (an integer add); snapshots are built only by the engine's
ticker, at most every ``interval`` seconds per job, so a UI is never called per chunk.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from core.transfer.model import Item, ItemState, Job, JobState, ProgressSnapshot

#: Time constant of the rate's exponential smoothing, in seconds.
RATE_TAU = 3.0


class JobCounters:
    """Running totals of one job, updated incrementally as items change state."""

    __slots__ = (
        "_last_bytes",
        "_last_time",
        "bytes_done",
        "bytes_total",
        "current",
        "dirty",
        "failed",
        "items_done",
        "items_total",
        "rate",
        "skipped",
    )

    def __init__(self) -> None:
        self.bytes_done = 0
        self.bytes_total = 0
        self.items_done = 0
        self.items_total = 0
        self.failed = 0
        self.skipped = 0
        self.current: dict[int, str] = {}
        self.rate = 0.0
        self.dirty = True
        self._last_bytes = 0
        self._last_time: float | None = None

    def reset_from(self, job: Job) -> None:
        """Recount from the items (after planning or loading from the journal)."""
        self.items_total = len(job.items)
        self.bytes_total = sum(i.size for i in job.items if _moves_bytes(i))
        self.items_done = self.failed = self.skipped = 0
        self.bytes_done = 0
        for it in job.items:
            self._count(it, it.state, +1)
            if it.state is ItemState.DONE and _moves_bytes(it):
                self.bytes_done += it.size
            elif it.state is ItemState.PENDING and it.resume and _moves_bytes(it):
                # Bytes a resumed write already stored are counted when the backend reports them.
                pass
        self._last_bytes = self.bytes_done
        self.dirty = True

    def _count(self, it: Item, state: ItemState, sign: int) -> None:
        if state is ItemState.DONE:
            self.items_done += sign
        elif state is ItemState.FAILED:
            self.failed += sign
        elif state in (ItemState.SKIPPED, ItemState.CANCELLED):
            self.skipped += sign
            if _moves_bytes(it):
                self.bytes_total -= sign * it.size

    def move(self, it: Item, new: ItemState) -> None:
        """Account for ``it`` going from its current state to ``new`` (caller then sets it)."""
        if new is it.state:
            return
        self._count(it, it.state, -1)
        self._count(it, new, +1)
        if new is ItemState.RUNNING:
            self.current[it.seq] = it.src_path
        else:
            self.current.pop(it.seq, None)
        self.dirty = True

    def advance(self, it: Item, nbytes: int) -> None:
        it.bytes_done += nbytes
        self.bytes_done += nbytes
        self.dirty = True

    def advance_held(self, it: Item, nbytes: int) -> None:
        """Bytes that are at the destination without having moved now: what a resumed write
        already stored, a rename, a server-side copy. They count as done but not in the rate
        (300 MB renamed in a millisecond is no speed)."""
        self.advance(it, nbytes)
        self._last_bytes += nbytes

    def rewind(self, it: Item) -> None:
        """Forget an item's bytes before it is tried again."""
        self.bytes_done -= it.bytes_done
        self._last_bytes -= it.bytes_done
        it.bytes_done = 0
        self.dirty = True

    def pause(self) -> None:
        """Nothing moves while a job is paused: the rate starts afresh when it resumes."""
        self.rate = 0.0
        self._last_time = None
        self.dirty = True

    def tick(self, now: float) -> None:
        """Fold the bytes since the last tick into the smoothed rate."""
        if self._last_time is None:
            self._last_time = now
            self._last_bytes = self.bytes_done
            return
        dt = now - self._last_time
        if dt <= 0:
            return
        inst = max(self.bytes_done - self._last_bytes, 0) / dt
        if self.rate == 0.0:
            self.rate = inst
        else:
            alpha = 1.0 - math.exp(-dt / RATE_TAU)
            self.rate += alpha * (inst - self.rate)
        self._last_time = now
        self._last_bytes = self.bytes_done

    def snapshot(
        self,
        job: Job,
        state: JobState,
        *,
        throttled_until: datetime | None,
        concurrency: int,
    ) -> ProgressSnapshot:
        left = max(self.bytes_total - self.bytes_done, 0)
        moving = state in (JobState.RUNNING, JobState.THROTTLED)
        rate = self.rate if moving else 0.0
        eta = left / rate if rate > 1.0 else (0.0 if left == 0 else None)
        current = tuple(self.current[k] for k in sorted(self.current))
        return ProgressSnapshot(
            job_id=job.id,
            kind=job.kind,
            state=state,
            bytes_done=self.bytes_done,
            bytes_total=self.bytes_total,
            items_done=self.items_done,
            items_total=self.items_total,
            items_failed=self.failed,
            items_skipped=self.skipped,
            rate=rate,
            eta=eta if moving else None,
            current=current,
            throttled_until=throttled_until,
            concurrency=concurrency,
            error=job.error,
        )


def _moves_bytes(it: Item) -> bool:
    from core.transfer.model import ItemKind

    # A move within one drive is an item of its own; its file's bytes count like a copy's.
    return it.kind in (ItemKind.FILE, ItemKind.MOVE) and not it.is_dir


class ItemProgress:
    """The ``WriteProgress`` handed to a backend for one item."""

    __slots__ = ("_counters", "_item", "_on_checkpoint", "_resuming")

    def __init__(self, counters: JobCounters, item: Item, on_checkpoint: Any) -> None:
        self._counters = counters
        self._item = item
        self._on_checkpoint = on_checkpoint
        #: A resumed write first reports, in one call, the bytes the destination already holds.
        self._resuming = bool(item.resume)

    def advance(self, nbytes: int) -> None:
        if self._resuming:
            self._resuming = False
            self._counters.advance_held(self._item, nbytes)
            return
        self._counters.advance(self._item, nbytes)

    def checkpoint(self, state: Mapping[str, Any]) -> None:
        self._item.resume = dict(state)
        self._on_checkpoint(self._item)
