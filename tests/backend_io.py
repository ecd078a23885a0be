"""Reading a backend whole, for assertions: all bytes of a file, all entries of a folder."""

from __future__ import annotations

from core.backend import Backend
from core.model import Entry


async def read_all(backend: Backend, path: str, offset: int = 0) -> bytes:
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
