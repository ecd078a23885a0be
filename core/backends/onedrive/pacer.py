"""The pacer: spacing, back-off and throttling shared by every request to one drive.

Figures follow rclone's OneDrive pacer (GRAPH.md §13.5): calls start at least ``sleep``
apart; ``sleep`` starts at 10 ms, doubles after each retryable failure (capped at 2 s) and
shrinks to ¾ after each success. A ``Retry-After`` answer closes the gate for every request
to the drive until that moment, exactly as long as the service asked; requests already
waiting re-check the gate when they wake, so one throttled request pauses the others.
Transfers to pre-authenticated URLs skip the spacing while nothing fails (``wait_turn``):
without that, 1,000 small files cost 10 s of spacing alone.

The clock and the sleep function are injectable so tests run without waiting.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from core.backend import patient_sleep

MIN_SLEEP = 0.01
MAX_SLEEP = 2.0
DECAY = 2
ATTACK = 1
#: Tries per call (rclone's --low-level-retries).
MAX_ATTEMPTS = 10

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class PacerState:
    """What the UI shows: throttled until (``clock`` time) and retries so far."""

    throttled_until: float | None
    retry_count: int
    sleep: float


Listener = Callable[[PacerState], None]


class Pacer:
    """Shared by all requests to one drive (one per ``GraphClient``)."""

    def __init__(
        self,
        *,
        min_sleep: float = MIN_SLEEP,
        max_sleep: float = MAX_SLEEP,
        max_attempts: int = MAX_ATTEMPTS,
        clock: Clock = time.monotonic,
        sleep: Sleep = patient_sleep,
    ) -> None:
        self.min_sleep = min_sleep
        self.max_sleep = max_sleep
        self.max_attempts = max_attempts
        self.clock = clock
        self._sleep_fn = sleep
        self._sleep = min_sleep
        self._next_start = 0.0
        #: ``clock`` time until which no request may start, while the service throttles us.
        self.throttled_until: float | None = None
        #: Retries made since this pacer was created (for the status line).
        self.retry_count = 0
        self._listeners: list[Listener] = []

    @property
    def state(self) -> PacerState:
        until = self.throttled_until
        if until is not None and until <= self.clock():
            until = None
        return PacerState(until, self.retry_count, self._sleep)

    def add_listener(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` whenever throttling starts or ends; returns a remover."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def _notify(self) -> None:
        state = self.state
        for listener in list(self._listeners):
            listener(state)

    async def wait_turn(self, *, spaced: bool = True) -> None:
        """Wait until this request may start: after the gate opens and ``sleep`` after the last.

        ``spaced=False`` is for transfers to pre-authenticated URLs (download URLs, upload
        sessions): they honour the gate, and the spacing too while the pacer is backing off
        after failures, but while all is well they neither wait for nor take a turn of
        the ``min_sleep`` spacing meant for Graph's API calls.
        """
        while True:
            now = self.clock()
            gate = self.throttled_until or 0.0
            if not spaced and self._sleep <= self.min_sleep:
                start = max(now, gate)
            else:
                start = max(now, self._next_start, gate)
                self._next_start = start + self._sleep
            if start > now:
                await self._sleep_fn(start - now)
            # Another request may have been throttled while we slept: honour the new gate.
            if self.throttled_until is None or self.throttled_until <= self.clock():
                if self.throttled_until is not None:
                    self.throttled_until = None
                    self._notify()
                return

    def success(self) -> None:
        """A call went through: relax the spacing."""
        shrunk = (self._sleep * ((1 << DECAY) - 1)) / (1 << DECAY)
        self._sleep = max(self.min_sleep, shrunk)

    def failure(self, retry_after: float | None = None, *, retrying: bool = True) -> None:
        """A call failed: widen the spacing, and close the gate for ``retry_after`` s if given."""
        if retrying:
            self.retry_count += 1
        self._sleep = min(self.max_sleep, self._sleep * (1 << ATTACK))
        self._next_start = max(self._next_start, self.clock() + self._sleep)
        if retry_after is not None:
            until = self.clock() + max(retry_after, self.min_sleep)
            if self.throttled_until is None or until > self.throttled_until:
                self.throttled_until = until
            self._notify()

    async def pause(self, seconds: float) -> None:
        """Sleep through the pacer's sleep function (for polling loops)."""
        await self._sleep_fn(seconds)


async def settle(task: asyncio.Task[Any]) -> None:
    """Cancel ``task`` and wait for it, consuming its outcome (our own cancellation still
    propagates: ``asyncio.wait`` does not swallow it)."""
    task.cancel()
    await asyncio.wait([task])
    if not task.cancelled():
        task.exception()  # mark retrieved: the caller is already failing or done
