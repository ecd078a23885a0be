"""Small helpers shared by the OneDrive tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

from core.backend import ByteSource
from tests.backend_io import listing, read_all  # noqa: F401  (re-exported)


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


def count_connections(monkeypatch: Any) -> list[str]:
    """``host:port`` of every TCP connection the HTTP stack opens from now on (a connection
    handed out again from the pool is not counted twice)."""
    import aiohttp

    opened: list[str] = []
    seen: set[int] = set()
    real = aiohttp.BaseConnector.connect

    async def counting(self: Any, req: Any, *args: Any, **kw: Any) -> Any:
        conn = await real(self, req, *args, **kw)
        if id(conn.protocol) not in seen:
            seen.add(id(conn.protocol))
            opened.append(f"{req.url.host}:{req.url.port}")
        return conn

    monkeypatch.setattr(aiohttp.BaseConnector, "connect", counting)
    return opened
