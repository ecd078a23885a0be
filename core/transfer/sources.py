"""The ``ByteSource`` the engine hands to ``Backend.write``: reads the source backend and,
where the source has no hash of its own, computes its QuickXorHash on the way.

A backend may call the source again at an earlier offset (a fragment retried) or a later one
(a resumed upload). The hash must see every byte once and in order, so bytes before the
hashed position are passed through unhashed, and a jump forward first hashes the gap.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable

from core.hashing import QuickXorHasher

OpenRead = Callable[[int], AsyncIterator[bytes]]
OpenRange = Callable[[int, int], AsyncIterator[bytes]]


class HashingSource:
    """Callable as ``source(offset)``; ``value()`` is the QuickXorHash once all was read."""

    def __init__(
        self,
        open_read: OpenRead,
        size: int,
        *,
        compute_hash: bool,
        open_range: OpenRange | None = None,
    ) -> None:
        self._open = open_read
        #: Reads ``[offset, end)``; only a source that hashes nothing offers ranges (the
        #: hash must see every byte in order).
        self._open_range = open_range if not compute_hash else None
        self.size = size
        self._hasher = QuickXorHasher() if compute_hash else None
        #: Bytes hashed so far, always a prefix of the file.
        self.hashed = 0

    def __call__(self, offset: int) -> AsyncIterator[bytes]:
        if self._hasher is None:
            return self._open(offset)  # nothing to do on the way: no layer of our own
        return self._read(offset)

    async def _read(self, offset: int) -> AsyncIterator[bytes]:
        if self._hasher is not None and offset > self.hashed:
            await self._hash_gap(offset)
        pos = offset
        stream = self._open(offset)
        async with contextlib.aclosing(stream):  # type: ignore[type-var]
            async for chunk in stream:
                end = pos + len(chunk)
                if self._hasher is not None and end > self.hashed and pos <= self.hashed:
                    self._hasher.update(chunk[self.hashed - pos :] if pos < self.hashed else chunk)
                    self.hashed = end
                pos = end
                yield chunk

    @property
    def ranged(self) -> bool:
        """Whether ``read_range`` may be used."""
        return self._open_range is not None

    async def read_range(self, offset: int, end: int) -> AsyncIterator[bytes]:
        """Bytes ``[offset, end)``, several ranges at once (only when ``ranged``)."""
        if self._open_range is None:
            raise ValueError("this source reads in order only")
        stream = self._open_range(offset, end)
        async with contextlib.aclosing(stream):  # type: ignore[type-var]
            async for chunk in stream:
                yield chunk

    async def _hash_gap(self, upto: int) -> None:
        assert self._hasher is not None
        pos = self.hashed
        stream = self._open(pos)
        async with contextlib.aclosing(stream):  # type: ignore[type-var]
            async for chunk in stream:
                take = min(len(chunk), upto - pos)
                self._hasher.update(chunk[:take] if take < len(chunk) else chunk)
                pos += take
                if pos >= upto:
                    break
        self.hashed = pos

    @property
    def complete(self) -> bool:
        return self._hasher is not None and self.hashed == self.size

    def value(self) -> str | None:
        """The source's QuickXorHash if every byte was hashed, else None."""
        if self._hasher is None or self._hasher.size != self.size:
            return None
        return self._hasher.value()
