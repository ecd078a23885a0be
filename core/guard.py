"""Guard rails for what deletes: roots and home are never deleted, big deletions are sized.

``protected_reason`` says why a path must not be deleted (or moved away) as a whole: a file
system's root, the user's home folder or a folder that holds it, a drive's root
(``REMOTE:`` or ``REMOTE:/``). What is *in* them can still be deleted by naming it. A link
is never protected: deleting it removes the link, not what it points to.

``deletion_size`` counts what deleting some entries would remove (files, folders, bytes), so
a command line or a dialog can state it and ask again above ``BIG_FILES`` or ``BIG_BYTES``.
Used by ``rm``, the TUI's delete, the planner (as a last line for every delete and move job)
and mirror deletions.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from dataclasses import dataclass

from core.backend import Backend
from core.model import Entry
from core.paths import Location

#: Deletions above either figure are big: stated, and asked about again.
BIG_FILES = 1000
BIG_BYTES = 10 * 1024**3
#: Folders listed at once while counting.
COUNT_CONCURRENCY = 4
#: Deepest folder level counted (a server that lists a folder inside itself stops here).
MAX_COUNT_DEPTH = 256


def home_folder() -> str:
    return os.path.realpath(os.path.expanduser("~"))


def local_reason(path: str, home: str | None = None) -> str | None:
    """Why the local ``path`` must not be deleted as a whole, or None."""
    absolute = os.path.abspath(path)
    if os.path.dirname(absolute) == absolute:
        return "it is the root of the file system"
    if os.path.islink(absolute):
        return None  # only the link goes
    real = os.path.realpath(absolute)
    if os.path.dirname(real) == real:
        return "it is the root of the file system"
    home = home if home is not None else home_folder()
    if real == home:
        return "it is your home folder"
    if home.startswith(real.rstrip(os.sep) + os.sep):
        return "it holds your home folder"
    return None


def protected_reason(location: Location, backend: Backend | None = None) -> str | None:
    """Why ``location`` must not be deleted or moved away as a whole, or None.

    A location is local when it names no remote or its backend is the local file system;
    anything else is a drive, whose root is protected.
    """
    if _is_local(location, backend):
        return local_reason(location.path)
    if location.path.strip("/") == "":
        return f"it is the whole drive {location.remote}: (name what is in it instead)"
    return None


def refusal_message(location: Location, reason: str, verb: str = "delete") -> str:
    """The one sentence every front end shows for a protected location."""
    return f"refusing to {verb} {location}: {reason}"


def _is_local(location: Location, backend: Backend | None) -> bool:
    if location.remote is None or location.remote == "local":
        return True
    from core.backends.local import LocalBackend  # imported here: core.guard stays light

    return isinstance(backend, LocalBackend)


@dataclass(frozen=True, slots=True)
class DeletionSize:
    """What deleting some entries removes; ``files`` counts links and other non-folders."""

    files: int = 0
    folders: int = 0
    bytes: int = 0

    @property
    def big(self) -> bool:
        return self.files > BIG_FILES or self.bytes > BIG_BYTES


async def deletion_size(backend: Backend, entries: Sequence[Entry]) -> DeletionSize:
    """Count the files, folders and bytes below ``entries`` (folders are walked; links and
    their targets are not, as deleting a link removes only the link)."""
    files = folders = size = 0
    sem = asyncio.Semaphore(COUNT_CONCURRENCY)
    seen: set[str] = set()

    async def walk(folder: Entry, depth: int) -> None:
        nonlocal files, folders, size
        folders += 1
        if depth >= MAX_COUNT_DEPTH or folder.path in seen:
            return
        seen.add(folder.path)
        async with sem:
            children: list[Entry] = []
            async for page in backend.list(folder.path):
                children.extend(page)
        subs = []
        for child in children:
            if child.is_dir and not child.is_link:
                subs.append(walk(child, depth + 1))
            else:
                files += 1
                size += 0 if child.is_link else child.size
        if subs:
            await asyncio.gather(*subs)

    tops = []
    for entry in entries:
        if entry.is_dir and not entry.is_link:
            tops.append(walk(entry, 0))
        else:
            files += 1
            size += 0 if entry.is_link else entry.size
    if tops:
        await asyncio.gather(*tops)
    return DeletionSize(files, folders, size)
