"""How many items may run at once, and the shared wait when a drive throttles.

Additive increase, multiplicative decrease: a throttle halves the allowed concurrency and
makes every worker wait until the drive's ``Retry-After`` has passed; then one more slot is
given back per ``recover_after`` seconds without a throttle, up to the configured maximum.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from datetime import UTC, datetime

#: Wait used when a throttle carries no Retry-After.
DEFAULT_BACKOFF = 1.0


class AdaptiveLimiter:
    """A semaphore whose size drops under throttling and recovers afterwards."""

    def __init__(self, maximum: int, *, recover_after: float = 2.0) -> None:
        if maximum < 1:
            raise ValueError("at least one worker is needed")
        self.maximum = maximum
        self.limit = maximum
        self.active = 0
        self.recover_after = recover_after
        self._until = 0.0  # loop-clock time the drive lets us go again
        self._last_throttle = -1e9
        self._cond: asyncio.Condition | None = None

    def _condition(self) -> asyncio.Condition:
        if self._cond is None:
            self._cond = asyncio.Condition()
        return self._cond

    @staticmethod
    def _now() -> float:
        return asyncio.get_running_loop().time()

    @property
    def throttled_for(self) -> float:
        """Seconds until the current throttle ends (0 when not throttled)."""
        try:
            return max(self._until - self._now(), 0.0)
        except RuntimeError:
            return 0.0

    @property
    def throttled_until(self) -> datetime | None:
        left = self.throttled_for
        if left <= 0:
            return None
        return datetime.fromtimestamp(time.time() + left, UTC)

    async def acquire(self) -> None:
        cond = self._condition()
        async with cond:
            while True:
                wait = self._until - self._now()
                if wait > 0:
                    # Wake early when someone notifies (a resize), else when the throttle ends.
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(cond.wait(), timeout=wait)
                    continue
                if self.active < self.limit:
                    self.active += 1
                    return
                await cond.wait()

    async def acquire_unless(self, stop: asyncio.Event, stopping: Callable[[], bool]) -> bool:
        """``acquire``, or False as soon as ``stop`` is set while ``stopping()`` holds.

        While the drive throttles, every slot waits until Retry-After has passed (minutes,
        at worst); a job paused or cancelled meanwhile must not wait for it.
        """
        acquire = asyncio.ensure_future(self.acquire())
        while True:
            waker = asyncio.ensure_future(stop.wait())
            await asyncio.wait({acquire, waker}, return_when=asyncio.FIRST_COMPLETED)
            waker.cancel()
            if acquire.done():
                acquire.result()
                return True
            if not stopping():  # resumed before we looked: keep waiting
                await asyncio.sleep(0)
                continue
            acquire.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await acquire
            if not acquire.cancelled():  # granted just as it was withdrawn
                await self.release(succeeded=False)
            return False

    async def release(self, *, succeeded: bool = True) -> None:
        cond = self._condition()
        async with cond:
            self.active -= 1
            if succeeded:
                self._maybe_recover()
            cond.notify_all()

    def _maybe_recover(self) -> None:
        now = self._now()
        if self.limit < self.maximum and now - self._last_throttle >= self.recover_after:
            self.limit += 1
            self._last_throttle = now  # space the increases out

    async def throttled(self, retry_after: float | None) -> None:
        """A request was throttled: everyone waits ``retry_after`` s and concurrency halves."""
        cond = self._condition()
        async with cond:
            now = self._now()
            wait = retry_after if retry_after is not None and retry_after >= 0 else DEFAULT_BACKOFF
            self._until = max(self._until, now + wait)
            # Halve once per throttle burst, not once per request that hit the same wall.
            if (
                now - self._last_throttle > min(wait, self.recover_after)
                or self.limit == self.maximum
            ):
                self.limit = max(1, self.limit // 2)
            self._last_throttle = now
            cond.notify_all()

    def note_pacer(self, until_seconds: float) -> None:
        """A backend's own pacer says the drive is throttled for ``until_seconds`` more."""
        if until_seconds > 0:
            now = self._now()
            if now + until_seconds > self._until:
                self._until = now + until_seconds
                self.limit = max(1, min(self.limit, self.maximum // 2))
                self._last_throttle = now

    async def resize(self, maximum: int) -> None:
        """Change the configured number of workers."""
        if maximum < 1:
            raise ValueError("at least one worker is needed")
        cond = self._condition()
        async with cond:
            at_full = self.limit >= self.maximum
            self.maximum = maximum
            self.limit = maximum if at_full else min(self.limit, maximum)
            cond.notify_all()
