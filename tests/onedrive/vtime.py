"""Virtual time for pacer tests: sleeps end in deadline order without waiting."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Awaitable
from typing import Any


class VirtualTime:
    """A clock and a sleep function; ``run`` advances time whenever every task is blocked."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []
        self._waiters: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (self.now + max(seconds, 0.0), next(self._seq), future))
        await future

    async def _settle(self) -> None:
        for _ in range(100):
            await asyncio.sleep(0)

    async def run(self, *aws: Awaitable[Any]) -> list[Any]:
        """Run ``aws`` concurrently to completion in virtual time; results in order."""
        tasks = [asyncio.ensure_future(a) for a in aws]
        while True:
            await self._settle()
            if all(t.done() for t in tasks):
                break
            if not self._waiters:
                raise RuntimeError("deadlock: tasks blocked with no pending sleep")
            wake, _, future = heapq.heappop(self._waiters)
            self.now = max(self.now, wake)
            future.set_result(None)
        return [t.result() for t in tasks]
