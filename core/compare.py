"""Compare two folder trees, on any two backends, without reading file contents.

Each name is put in one of four groups: only on the left, only on the right, different,
same. Files differ by size first, then by a hash both sides already know (OneDrive's
QuickXorHash in a listing), and where no hash is shared, by modification time beyond both
sides' precision. A folder on one side only is reported once (its contents are not
listed); folders on both sides are compared inside.
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Callable
from dataclasses import dataclass, field

from core import errors
from core.backend import Backend
from core.model import Entry
from core.names import MAX_DEPTH, FolderGuard
from core.paths import join
from core.walk import CONCURRENCY, list_folder, usable


class Side(enum.StrEnum):
    """Where a name stands after a comparison."""

    ONLY_LEFT = "only_left"
    ONLY_RIGHT = "only_right"
    DIFFERENT = "different"
    SAME = "same"


@dataclass(frozen=True, slots=True)
class Compared:
    """One name of a comparison: its path relative to both tops, and both entries."""

    rel: str
    side: Side
    left: Entry | None
    right: Entry | None
    #: Why two entries differ ("size", "quickxor", "modified", "type"), or how "same" was
    #: decided ("quickxor", "size and time", "size").
    reason: str = ""

    @property
    def is_dir(self) -> bool:
        entry = self.left or self.right
        return entry is not None and entry.is_dir and not entry.is_link


@dataclass(slots=True)
class Comparison:
    """The result: every compared name, in walk order, and the folders that failed."""

    left_top: str
    right_top: str
    items: list[Compared] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)
    folders: int = 0

    def of(self, side: Side) -> list[Compared]:
        return [c for c in self.items if c.side is side]

    def counts(self) -> dict[str, int]:
        out = {s.value: 0 for s in Side}
        for c in self.items:
            out[c.side.value] += 1
        return out


def _mtime(entry: Entry) -> float | None:
    if entry.mtime_ns is not None:
        return entry.mtime_ns / 1e9
    return entry.modified.timestamp() if entry.modified is not None else None


def judge(left: Entry, right: Entry, precision: float) -> tuple[Side, str]:
    """Same or different, and why, for two entries of one name."""
    left_dir = left.is_dir and not left.is_link
    right_dir = right.is_dir and not right.is_link
    if left_dir != right_dir:
        return Side.DIFFERENT, "type"
    if left_dir:
        return Side.SAME, "folder"
    if left.size != right.size:
        return Side.DIFFERENT, "size"
    for algo in sorted(set(left.hashes) & set(right.hashes)):
        if left.hashes[algo] != right.hashes[algo]:
            return Side.DIFFERENT, algo
        return Side.SAME, algo
    lt, rt = _mtime(left), _mtime(right)
    if lt is not None and rt is not None:
        if abs(lt - rt) > precision:
            return Side.DIFFERENT, "modified"
        return Side.SAME, "size and time"
    return Side.SAME, "size"


def _key_of(case_insensitive: bool) -> Callable[[str], str]:
    return str.casefold if case_insensitive else str


async def compare(
    left: Backend,
    left_top: str,
    right: Backend,
    right_top: str,
    *,
    concurrency: int = CONCURRENCY,
    on_folder: Callable[[int], None] | None = None,
    max_depth: int = MAX_DEPTH,
) -> Comparison:
    """Compare the trees below ``left_top`` and ``right_top`` (both must be folders).

    ``max_depth`` 0 compares only the two folders' own entries (folders on both sides are
    then left out); each level more goes one folder deeper.
    """
    for backend, top in ((left, left_top), (right, right_top)):
        entry = await backend.stat(top)
        if not entry.is_dir:
            raise errors.NotADirectory("compare needs two folders", path=top)
    caps_l, caps_r = left.capabilities, right.capabilities
    # Names match case-insensitively when either side folds case (it cannot hold both).
    key = _key_of(caps_l.case_insensitive or caps_r.case_insensitive)
    precision = max(caps_l.mtime_precision, caps_r.mtime_precision, 1.0)
    result = Comparison(left_top, right_top)
    guard_l, guard_r = (
        FolderGuard(min(max_depth, MAX_DEPTH)),
        FolderGuard(min(max_depth, MAX_DEPTH)),
    )
    frontier: list[tuple[str, str, str, int]] = [("", left_top, right_top, 0)]

    async def both(lpath: str, rpath: str) -> tuple[list[Entry], list[Entry]]:
        got = await asyncio.gather(list_folder(left, lpath), list_folder(right, rpath))
        return got[0], got[1]

    async def one(rel: str, lpath: str, rpath: str) -> tuple[list[Entry], list[Entry]] | None:
        try:
            return await both(lpath, rpath)
        except errors.SkypaneError as exc:
            result.problems.append((rel or ".", f"cannot list: {exc}"))
            return None

    while frontier:
        batch, frontier = frontier[:concurrency], frontier[concurrency:]
        listings = await asyncio.gather(*(one(r, lp, rp) for r, lp, rp, _ in batch))
        for (rel, _lp, _rp, depth), listing in zip(batch, listings, strict=True):
            result.folders += 1
            if on_folder is not None:
                on_folder(result.folders)
            if listing is None:
                continue
            # A name that cannot be a path (``..``, ``a/b``) is reported, never compared.
            kept_l, refused_l = usable(listing[0])
            kept_r, refused_r = usable(listing[1])
            result.problems.extend(
                (path, f"left out: {why}") for path, why in refused_l + refused_r
            )
            lefts = {key(e.name): e for e in kept_l}
            rights = {key(e.name): e for e in kept_r}
            for k in sorted(lefts.keys() | rights.keys()):
                le, re_ = lefts.get(k), rights.get(k)
                name = (le or re_).name  # type: ignore[union-attr]
                sub = f"{rel}/{name}" if rel else name
                if re_ is None:
                    result.items.append(Compared(sub, Side.ONLY_LEFT, le, None))
                elif le is None:
                    result.items.append(Compared(sub, Side.ONLY_RIGHT, None, re_))
                else:
                    side, why = judge(le, re_, precision)
                    if why == "folder":
                        if depth < max_depth:
                            # Each side's folder once, however a server lists it (no cycles).
                            stop = guard_l.enter(le, depth + 1) or guard_r.enter(re_, depth + 1)
                            if stop is None:
                                frontier.append((sub, le.path, re_.path, depth + 1))
                            else:
                                result.problems.append((sub, stop))
                        continue
                    result.items.append(Compared(sub, side, le, re_, why))
    return result


def right_path(comparison: Comparison, rel: str) -> str:
    """Where ``rel`` is (or would be) on the right."""
    return join(comparison.right_top, rel) if rel else comparison.right_top
