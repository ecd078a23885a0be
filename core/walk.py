"""Walk a folder tree through any backend, a few folders listed at once.

Links to folders are never followed, a folder met twice (by id where the backend gives
one, else by path) is listed once, and the depth is bounded (``core.names.FolderGuard``),
so a hostile server or a looping mount cannot make a walk run forever. A name that cannot
be a path component (``..``, a separator, control characters: ``core.names.refusal``) is
left out and reported.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

from core import errors
from core.backend import Backend
from core.model import Entry
from core.names import MAX_DEPTH, FolderGuard, refusal

#: Folders listed at once.
CONCURRENCY = 4


@dataclass(frozen=True, slots=True)
class Listed:
    """One folder of a walk: its path, depth below the top (0 = the top) and children."""

    path: str
    depth: int
    entries: list[Entry]
    error: errors.SkypaneError | None = None
    #: Children left out, with why (a name that cannot be a path, a folder met twice).
    refused: tuple[tuple[str, str], ...] = ()


def usable(entries: list[Entry]) -> tuple[list[Entry], list[tuple[str, str]]]:
    """``entries`` whose names can be path components, and the others with the reason."""
    kept: list[Entry] = []
    refused: list[tuple[str, str]] = []
    for e in entries:
        why = refusal(e.name)
        if why is None:
            kept.append(e)
        else:
            refused.append((e.path, why))
    return kept, refused


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
    guard = FolderGuard(max_depth)
    frontier: list[tuple[str, int]] = [(top, 0)]

    async def one(path: str, depth: int) -> Listed:
        try:
            kept, refused = usable(await list_folder(backend, path))
        except errors.SkypaneError as exc:
            return Listed(path, depth, [], exc)
        for e in kept:
            if e.is_dir and not e.is_link:
                why = guard.enter(e, depth + 1)
                if why is None:
                    frontier.append((e.path, depth + 1))
                else:
                    refused.append((e.path, why))
        return Listed(path, depth, kept, refused=tuple(refused))

    while frontier:
        batch, frontier = frontier[:concurrency], frontier[concurrency:]
        for listed in await asyncio.gather(*(one(p, d) for p, d in batch)):
            yield listed
