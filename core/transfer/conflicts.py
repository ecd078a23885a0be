"""Deciding what happens to a destination file that already exists.

``decide`` applies a policy to the facts gathered at plan time (size, mtime, hash of the
existing file); ``SAME_HASH_SKIP`` may need a hash neither side listed, which
``hash_via_backend`` computes by reading the file. ``renamed`` finds a free
``name (n).ext`` beside the original.
"""

from __future__ import annotations

import posixpath
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from core import errors
from core.backend import Backend
from core.hashing import QuickXorHasher
from core.model import QUICKXOR, Entry
from core.paths import basename, join, parent
from core.transfer.model import ConflictAction, ConflictPolicy, Item

#: Extra slack on top of both sides' mtime precision when comparing times (ns).
MTIME_SLACK_NS = 1_000_000


def decide(policy: ConflictPolicy, item: Item, precision_s: float) -> ConflictAction | None:
    """The action ``policy`` picks for ``item``'s conflict, or None when it needs more
    (``ASK``: the callback; ``SAME_HASH_SKIP`` with equal sizes: hashes)."""
    existing = item.existing
    assert existing is not None
    size, mtime, _ = existing
    if policy is ConflictPolicy.OVERWRITE:
        return ConflictAction.OVERWRITE
    if policy is ConflictPolicy.SKIP:
        return ConflictAction.SKIP
    if policy is ConflictPolicy.RENAME:
        return ConflictAction.RENAME
    if policy is ConflictPolicy.SIZE_DIFFERS:
        return ConflictAction.OVERWRITE if size != item.size else ConflictAction.SKIP
    if policy is ConflictPolicy.NEWER:
        if item.src_modified_ns is None or mtime is None:
            return ConflictAction.SKIP  # cannot tell which is newer: keep what is there
        tolerance = int(precision_s * 1e9) + MTIME_SLACK_NS
        return (
            ConflictAction.OVERWRITE
            if item.src_modified_ns > mtime + tolerance
            else ConflictAction.SKIP
        )
    if policy is ConflictPolicy.SAME_HASH_SKIP:
        if size != item.size:
            return ConflictAction.OVERWRITE
        return None
    return None  # ASK


async def hash_via_backend(backend: Backend, path: str) -> str:
    """QuickXorHash of a file, by reading it through its backend."""
    h = QuickXorHasher()
    async for chunk in backend.open_read(path):
        h.update(chunk)
    return h.value()


async def same_hash(item: Item, src_b: Backend, dst_b: Backend) -> bool:
    """Whether source and existing destination have the same QuickXorHash."""
    assert item.existing is not None
    src_hash = item.src_hashes.get(QUICKXOR) or await hash_via_backend(src_b, item.src_path)
    dst_hash = item.existing[2] or await hash_via_backend(dst_b, item.dst_path)
    return src_hash == dst_hash


def numbered(name: str, n: int) -> str:
    """``name`` with `` (n)`` before its extension: ``a.txt`` → ``a (1).txt``."""
    stem, ext = posixpath.splitext(name)
    if stem == "" or (name.startswith(".") and stem == name):
        stem, ext = name, ""
    return f"{stem} ({n}){ext}"


async def renamed(
    dst_b: Backend,
    path: str,
    claimed: set[str],
    *,
    exists: Callable[[str], Awaitable[bool]],
    claim: bool = True,
) -> str:
    """A free ``stem (n).ext`` next to ``path`` (not in ``claimed``, not on the backend).

    With ``claim`` the name is added to ``claimed``; without, it is only a preview (what a
    conflict question shows for "keep both").
    """
    folder, name = parent(path), basename(path)
    n = 1
    while True:
        candidate = join(folder, numbered(name, n))
        key = candidate.casefold() if dst_b.capabilities.case_insensitive else candidate
        if key not in claimed and not await exists(candidate):
            if claim:
                claimed.add(key)
            return candidate
        n += 1
        if n > 10_000:
            raise errors.AlreadyExists("no free name found", path=path)


def entry_of(item: Item, *, existing: bool) -> Entry:
    """An ``Entry`` for a conflict question, from the facts in ``item``."""
    if existing:
        assert item.existing is not None
        size, mtime, qx = item.existing
        path = item.dst_path
        hashes = {QUICKXOR: qx} if qx else {}
    else:
        size, mtime, path = item.size, item.src_modified_ns, item.src_path
        hashes = dict(item.src_hashes)
    return Entry(
        name=basename(path),
        path=path,
        is_dir=False,
        size=size,
        modified=datetime.fromtimestamp(mtime / 1e9, UTC) if mtime is not None else None,
        mtime_ns=mtime,
        hashes=hashes,
    )
