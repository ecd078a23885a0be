"""Small helpers shared by the OneDrive tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

from core.backend import Backend, ByteSource
from core.model import Entry


def source_of(
    data: bytes, piece: int = 64 * 1024, on_read: Callable[[int], None] | None = None
) -> ByteSource:
    """A ``ByteSource`` over ``data``; ``on_read(offset)`` runs before each piece is handed out."""

    async def open_at(offset: int) -> AsyncIterator[bytes]:
        for start in range(offset, len(data), piece):
            if on_read is not None:
                on_read(start)
            yield data[start : start + piece]

    return open_at


async def read_all(backend: Any, path: str, offset: int = 0) -> bytes:
    out = bytearray()
    async for chunk in backend.open_read(path, offset):
        out += chunk
    return bytes(out)


async def listing(backend: Backend, path: str) -> dict[str, Entry]:
    out: dict[str, Entry] = {}
    async for page in backend.list(path):
        for e in page:
            out[e.name] = e
    return out


class Progress:
    """A ``WriteProgress`` that keeps what it was told."""

    def __init__(self) -> None:
        self.advanced: list[int] = []
        self.checkpoints: list[dict[str, Any]] = []

    def advance(self, nbytes: int) -> None:
        self.advanced.append(nbytes)

    def checkpoint(self, state: Mapping[str, Any]) -> None:
        self.checkpoints.append(dict(state))

    @property
    def total(self) -> int:
        return sum(self.advanced)
