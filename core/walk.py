"""Walk a folder tree through any backend, a few folders listed at once.

Links to folders are never followed, a folder met twice (by id where the backend gives
one, else by path) is listed once, and the depth is bounded, so a hostile server or a
looping mount cannot make a walk run forever.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

from core import errors
from core.backend import Backend
from core.model import Entry

#: Folders listed at once.
CONCURRENCY = 4
#: Deepest folder level a walk goes to (OneDrive paths stop at 400 characters anyway).
MAX_DEPTH = 256


@dataclass(frozen=True, slots=True)
class Listed:
    """One folder of a walk: its path, depth below the top (0 = the top) and children."""

    path: str
    depth: int
    entries: list[Entry]
    error: errors.SkypaneError | None = None


async def list_folder(backend: Backend, path: str) -> list[Entry]:
    out: list[Entry] = []
    async for page in backend.list(path):
        out.extend(page)
    return out


async def walk(
    backend: Backend, top: str, *, concurrency: int = CONCURRENCY, max_depth: int = MAX_DEPTH
) -> AsyncIterator[Listed]:
    """Every folder below (and including) ``top``, parents before their children.

    A folder that cannot be listed comes back with ``error`` set and no entries; the walk
    goes on with the others.
    """
    seen: set[str] = {top}
    frontier: list[tuple[str, int]] = [(top, 0)]

    async def one(path: str, depth: int) -> Listed:
        try:
            return Listed(path, depth, await list_folder(backend, path))
        except errors.SkypaneError as exc:
            return Listed(path, depth, [], exc)

    while frontier:
        batch, frontier = frontier[:concurrency], frontier[concurrency:]
        for listed in await asyncio.gather(*(one(p, d) for p, d in batch)):
            yield listed
            if listed.depth >= max_depth:
                continue
            for e in listed.entries:
                if not e.is_dir or e.is_link:
                    continue
                key = f"id:{e.id}" if e.id else e.path
                if key in seen or e.path in seen:
                    continue
                seen.add(key)
                seen.add(e.path)
                frontier.append((e.path, listed.depth + 1))
