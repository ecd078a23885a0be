"""Turn a job (sources, destination) into items and a pre-flight report.

The walk lists source folders a few at a time, never follows a symbolic link to a folder,
enters each folder once and no deeper than ``core.names.MAX_DEPTH`` (so neither a link loop
nor a server listing a folder inside itself can make it run forever), refuses listed names
that cannot be one path component (``..``, ``a/b``, control characters: ``core.names``), so
nothing is ever written outside the destination, reports source names that would land on
the same name of a case-insensitive destination (or numbers them under the rename policy),
lists destination folders that already exist to find
conflicts up front (no per-file ``stat`` later), and asks the destination whether it can store
each name and size (``check_path``, ``max_file_size``) and whether it has room (``about``).
Items come out in run order: folders to create (shallow first), files, then emptied source
folders to remove after a move (deep first).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from core import errors
from core.backend import Backend, QuotaInfo, ServerSideCopy, SharedStorage
from core.guard import protected_reason
from core.model import QUICKXOR, Entry
from core.names import FolderGuard
from core.names import refusal as name_refusal
from core.paths import Location, basename, join, parent
from core.transfer.conflicts import numbered
from core.transfer.model import (
    ConflictPolicy,
    Item,
    ItemKind,
    ItemState,
    Job,
    JobKind,
    Plan,
    PlanProblem,
)

#: Source folders listed at once during the walk.
LIST_CONCURRENCY = 4


def norm_remote(remote: str | None) -> str:
    return "local" if remote is None else remote


def same_remote(a: str | None, b: str | None) -> bool:
    return norm_remote(a) == norm_remote(b)


def same_storage(
    backend_for: Callable[[str | None], Backend], a: str | None, b: str | None
) -> bool:
    """Whether remotes ``a`` and ``b`` address the same storage by the same paths: the same
    remote, or two names for one drive (``SharedStorage``), where a move is a rename."""
    return storage_answer(backend_for, a, b)[0]


def storage_answer(
    backend_for: Callable[[str | None], Backend], a: str | None, b: str | None
) -> tuple[bool, bool]:
    """``same_storage`` and whether that answer is final: a drive whose id is not known yet
    (no request made) may turn out to be the other remote's later."""
    if same_remote(a, b):
        return True, True
    first, second = backend_for(a), backend_for(b)
    if isinstance(first, SharedStorage) and isinstance(second, SharedStorage):
        key, other = first.storage_key(), second.storage_key()
        return key is not None and key == other, key is not None and other is not None
    return False, True


class StorageCache:
    """``same_storage`` and ``ServerSideCopy`` answers by remote, kept once final: they are
    asked per item, and a protocol ``isinstance`` walks the protocol's members (~10 µs)."""

    def __init__(self, backend_for: Callable[[str | None], Backend]) -> None:
        self.backend_for = backend_for
        self._same: dict[tuple[str | None, str | None], bool] = {}
        self._copies: dict[str | None, bool] = {}

    def same(self, a: str | None, b: str | None) -> bool:
        known = self._same.get((a, b))
        if known is None:
            known, final = storage_answer(self.backend_for, a, b)
            if final:
                self._same[(a, b)] = known
        return known

    def server_copies(self, remote: str | None) -> bool:
        """Whether the backend of ``remote`` copies within itself (``ServerSideCopy``)."""
        known = self._copies.get(remote)
        if known is None:
            known = self._copies[remote] = isinstance(self.backend_for(remote), ServerSideCopy)
        return known


def mtime_ns(entry: Entry) -> int | None:
    if entry.mtime_ns is not None:
        return entry.mtime_ns
    if entry.modified is not None:
        return int(entry.modified.timestamp() * 1_000_000) * 1000
    return None


def existing_facts(entry: Entry) -> tuple[int, int | None, str | None]:
    return (entry.size, mtime_ns(entry), entry.hash(QUICKXOR))


async def list_all(backend: Backend, path: str) -> list[Entry]:
    out: list[Entry] = []
    async for page in backend.list(path):
        out.extend(page)
    return out


@dataclass
class _Walk:
    job: Job
    backend_for: Callable[[str | None], Backend]
    mkdirs: list[Item] = field(default_factory=list)
    files: list[Item] = field(default_factory=list)
    rmdirs: list[Item] = field(default_factory=list)
    problems: list[PlanProblem] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    sem: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(LIST_CONCURRENCY))
    guard: FolderGuard = field(default_factory=FolderGuard)
    #: Destination folder → the names given out in it so far (by ``key``) and the source
    #: that got each: two sources a case-insensitive destination would store as one are
    #: caught here.
    given: dict[str, dict[str, tuple[str, Entry]]] = field(default_factory=dict)
    storage: StorageCache = field(init=False)

    def __post_init__(self) -> None:
        self.storage = StorageCache(self.backend_for)

    def problem(self, path: str, reason: str, severity: str = "error") -> None:
        self.problems.append(PlanProblem(path, reason, severity))

    def _new(self, kind: ItemKind, src: Entry | None, src_remote: str | None, dst: str) -> Item:
        dest = self.job.dest
        return Item(
            seq=0,
            kind=kind,
            src_remote=src_remote,
            src_path=src.path if src is not None else dst,
            dst_remote=dest.remote if dest is not None else src_remote,
            dst_path=dst,
            size=0 if src is None or src.is_dir else src.size,
            is_dir=src.is_dir if src is not None else True,
            src_modified_ns=mtime_ns(src) if src is not None else None,
            src_hashes=dict(src.hashes) if src is not None else {},
            src_mode=src.mode if src is not None else None,
            src_id=src.id if src is not None else None,
        )

    def refusal(self, dst_b: Backend, path: str, size: int | None) -> str | None:
        """Why the destination cannot take ``path`` (a reserved name, too long, too big)."""
        try:
            dst_b.check_path(path, size)
            limit = dst_b.capabilities.max_file_size
            if size is not None and limit is not None and size > limit:
                raise errors.FileTooLarge(
                    f"file larger than the destination's limit ({limit} bytes)"
                )
        except errors.SkypaneError as exc:
            return exc.message if exc.path else str(exc)
        return None

    def check(self, dst_b: Backend, path: str, size: int | None) -> bool:
        reason = self.refusal(dst_b, path, size)
        if reason is not None:
            self.problem(path, reason)
        return reason is None

    def same(self, a: str | None, b: str | None) -> bool:
        return self.storage.same(a, b)

    def server_copies(self, remote: str | None) -> bool:
        return self.storage.server_copies(remote)

    def key(self, dst_b: Backend, name: str) -> str:
        return name.casefold() if dst_b.capabilities.case_insensitive else name

    def refused(self, folder: str, name: str, dst_b: Backend) -> bool:
        """Report a listed name that cannot become a path component at the destination
        (it is skipped)."""
        reason = name_refusal(name, dst_b.capabilities.max_name_length)
        if reason is None:
            return False
        where = join(folder, name) if name not in ("", ".", "..") else f"{folder} ({name!r})"
        self.problem(where, f"{reason}: skipped")
        return True

    def claim(
        self, dst_b: Backend, folder: str, src: Entry, in_dest: dict[str, Entry]
    ) -> tuple[str, Entry | None] | None:
        """The name the source ``src`` gets in the destination ``folder`` and the source it
        clashes with (to be asked about, as a conflict), or None when it is left out.

        On a case-insensitive destination ``Readme.md`` and ``README.md`` from one source
        folder would be stored as one file, the second over the first. The first keeps its
        name; under the rename policy the others are numbered (``README (1).md``); when the
        user is asked, a file that clashes with another file is a conflict with it (keep
        both, skip, overwrite); otherwise the others are reported and left out.
        """
        name = src.name
        given = self.given.setdefault(self.key(dst_b, folder), {})
        key = self.key(dst_b, name)
        first = given.get(key)
        if first is None:
            given[key] = (name, src)
            return name, None
        if self.job.policy is ConflictPolicy.RENAME:
            n = 1
            while True:
                candidate = numbered(name, n)
                ckey = self.key(dst_b, candidate)
                if ckey not in given and ckey not in in_dest:
                    given[ckey] = (candidate, src)
                    return candidate, None
                n += 1
        first_name, first_src = first
        if self.job.policy is ConflictPolicy.ASK and not src.is_dir and not first_src.is_dir:
            return first_name, first_src
        self.problem(
            join(folder, name),
            f"same name as {first_name!r} on a destination that ignores case: not copied"
            " (use --conflict=rename to keep both)",
        )
        return None

    async def skip_link(self, entry: Entry, src_remote: str | None) -> bool:
        """Links to folders are never followed; broken or looping links are reported.

        So are named pipes, sockets and devices (and links to them): only regular files and
        folders are copied; opening a pipe would block the job for good.
        """
        if entry.special is not None:
            self.problem(entry.path, f"skipped: not a regular file ({entry.special})", "warning")
            return True
        if not entry.is_link:
            return False
        if entry.is_dir:
            self.problem(entry.path, "symbolic link to a folder: not followed", "warning")
            return True
        local = src_remote is None or src_remote == "local"
        if local and not await asyncio.to_thread(os.path.exists, entry.path):
            self.problem(entry.path, "broken or looping symbolic link: skipped", "warning")
            return True
        return False

    def add_file(
        self,
        src: Entry,
        src_remote: str | None,
        dst_b: Backend,
        target: str,
        existing: Entry | None,
    ) -> None:
        if existing is not None and existing.is_dir:
            self.problem(target, "a folder of that name is in the way")
            return
        dest = self.job.dest
        assert dest is not None
        move_here = self.job.kind is JobKind.MOVE and self.same(src_remote, dest.remote)
        item = self._new(ItemKind.MOVE if move_here else ItemKind.FILE, src, src_remote, target)
        refused = self.refusal(dst_b, target, src.size)
        if refused is not None:
            # A file the destination refuses is a failed item, counted and reported with the
            # others (and retried with them, where it fails again with the same reason).
            item.state, item.error = ItemState.FAILED, f"{refused}: {target}"
            self.files.append(item)
            return
        if existing is not None:
            item.existing = existing_facts(existing)
            self.conflicts.append(target)
        self.files.append(item)

    async def walk(
        self,
        src_b: Backend,
        src_remote: str | None,
        folder: Entry,
        dst_b: Backend,
        target: str,
        target_exists: bool,
        depth: int = 0,
    ) -> None:
        dest = self.job.dest
        assert dest is not None
        stop = self.guard.enter(folder, depth)
        if stop is not None:
            self.problem(folder.path, stop)
            return
        if not target_exists:
            if not self.check(dst_b, target, None):
                return
            self.mkdirs.append(self._new(ItemKind.MKDIR, folder, src_remote, target))
        try:
            async with self.sem:
                children = await list_all(src_b, folder.path)
                there = await list_all(dst_b, target) if target_exists else []
        except errors.SkypaneError as exc:
            self.problem(folder.path, f"cannot list the folder: {exc.message}")
            return
        in_dest = {self.key(dst_b, e.name): e for e in there}
        subwalks = []
        move_here = self.job.kind is JobKind.MOVE and self.same(src_remote, dest.remote)
        for child in sorted(children, key=lambda e: e.name):
            if self.refused(folder.path, child.name, dst_b) or await self.skip_link(
                child, src_remote
            ):
                continue
            claimed = self.claim(dst_b, target, child, in_dest)
            if claimed is None:
                continue
            name, clash = claimed
            child_target = join(target, name)
            existing = in_dest.get(self.key(dst_b, name)) or clash
            if not child.is_dir:
                self.add_file(child, src_remote, dst_b, child_target, existing)
            elif existing is not None and not existing.is_dir:
                self.problem(child_target, "a file of that name is in the way")
            elif move_here and existing is None:
                if self.check(dst_b, child_target, None):
                    self.files.append(self._new(ItemKind.MOVE, child, src_remote, child_target))
            else:
                subwalks.append(
                    self.walk(
                        src_b,
                        src_remote,
                        child,
                        dst_b,
                        child_target,
                        existing is not None,
                        depth + 1,
                    )
                )
        if subwalks:
            await asyncio.gather(*subwalks)
        if self.job.kind is JobKind.MOVE:
            rm = self._new(ItemKind.RMDIR, folder, src_remote, target)
            self.rmdirs.append(rm)


async def plan_job(
    job: Job, backend_for: Callable[[str | None], Backend]
) -> tuple[Plan, list[Item]]:
    """Walk the sources and return the report and the items, numbered in run order."""
    w = _Walk(job, backend_for)
    if job.kind is JobKind.DELETE:
        await _plan_delete(w)
    elif job.kind is JobKind.MIRROR:
        await _plan_mirror(w)
    elif job.kind is JobKind.MKDIR:
        await _plan_mkdir(w)
    else:
        await _plan_copy(w)
    items = (
        sorted(w.mkdirs, key=lambda i: i.dst_path.count("/"))
        + w.files
        + sorted(w.rmdirs, key=lambda i: -i.src_path.count("/"))
    )
    for seq, it in enumerate(items):
        it.seq = seq
    files = [i for i in items if not i.is_dir and i.kind in (ItemKind.FILE, ItemKind.MOVE)]
    deletes = [i for i in items if i.kind is ItemKind.DELETE]
    folders = sum(1 for i in items if i.kind is ItemKind.MKDIR) + sum(
        1 for i in items if i.is_dir and i.kind in (ItemKind.MOVE, ItemKind.DELETE)
    )
    nfiles = len(files) + sum(1 for i in deletes if not i.is_dir)
    nbytes = sum(i.size for i in files) + sum(i.size for i in deletes)
    free = None
    method = "stream"
    if job.kind is JobKind.MIRROR:  # deletions are listed apart; the files are copies
        nfiles -= sum(1 for i in deletes if not i.is_dir)
        nbytes -= sum(i.size for i in deletes)
        folders -= sum(1 for i in deletes if i.is_dir)
    if job.dest is not None and job.kind in (JobKind.COPY, JobKind.MOVE, JobKind.MIRROR):
        free = await _check_quota(w, files, nbytes)
        method = _method(w, files)
    plan = Plan(
        folders=folders,
        files=nfiles,
        bytes=nbytes,
        conflicts=tuple(w.conflicts),
        problems=tuple(w.problems),
        free=free,
        method=method,
        deletes=tuple(str(i.src) for i in deletes) if job.kind is JobKind.MIRROR else (),
    )
    return plan, items


def _method(w: _Walk, files: list[Item]) -> str:
    streamed = [
        i
        for i in files
        if i.kind is ItemKind.FILE
        and not (w.same(i.src_remote, i.dst_remote) and w.server_copies(i.src_remote))
    ]
    if streamed or not files:
        return "stream"
    return "server"


async def _check_quota(w: _Walk, files: list[Item], nbytes: int) -> int | None:
    dest = w.job.dest
    assert dest is not None
    dst_b = w.backend_for(dest.remote)
    if not isinstance(dst_b, QuotaInfo):
        return None
    try:
        quota = await dst_b.about()
    except errors.SkypaneError:
        return None
    free = quota.free
    # Renames within the drive take no room; replaced files give theirs back.
    need = sum(
        i.size - (i.existing[0] if i.existing else 0) for i in files if i.kind is ItemKind.FILE
    )
    if free is not None and need > free:
        w.problem(
            str(dest),
            f"not enough space at the destination: {need} bytes needed, {free} free",
            "fatal",
        )
    return free


async def _plan_copy(w: _Walk) -> None:
    job = w.job
    dest = job.dest
    if dest is None:
        w.problem("", "no destination given", "fatal")
        return
    dst_b = w.backend_for(dest.remote)
    try:
        dest_entry: Entry | None = await dst_b.stat(dest.path)
    except errors.NotFound:
        dest_entry = None
    except errors.SkypaneError as exc:
        w.problem(str(dest), str(exc), "fatal")
        return
    several = len(job.sources) > 1
    into = dest_entry is not None and dest_entry.is_dir
    listing: dict[str, Entry] = {}
    if dest_entry is None and several:
        # Several sources into a folder that is not there yet: create it first.
        if not w.check(dst_b, dest.path, None):
            return
        w.mkdirs.append(w._new(ItemKind.MKDIR, None, dest.remote, dest.path))
        into = True
    elif dest_entry is not None and not dest_entry.is_dir and several:
        w.problem(str(dest), "the destination is a file, not a folder", "fatal")
        return
    elif dest_entry is None:
        try:
            above = await dst_b.stat(parent(dest.path))
            if not above.is_dir:
                raise errors.NotADirectory("not a folder")
        except errors.SkypaneError as exc:
            w.problem(str(dest), f"the destination's folder is missing: {exc.message}", "fatal")
            return
    elif into:
        try:
            listing = {w.key(dst_b, e.name): e for e in await list_all(dst_b, dest.path)}
        except errors.SkypaneError as exc:
            w.problem(str(dest), f"cannot list the destination: {exc.message}", "fatal")
            return
    if job.kind is JobKind.MOVE and _refuse_protected(w, "move"):
        return
    for src in job.sources:
        await _plan_source(w, src.remote, src.path, dst_b, into, dest_entry, listing)


async def _plan_source(
    w: _Walk,
    src_remote: str | None,
    src_path: str,
    dst_b: Backend,
    into: bool,
    dest_entry: Entry | None,
    listing: dict[str, Entry],
) -> None:
    dest = w.job.dest
    assert dest is not None
    src_b = w.backend_for(src_remote)
    try:
        entry = await src_b.stat(src_path)
    except errors.SkypaneError as exc:
        w.problem(src_path, exc.message if exc.path else str(exc))
        return
    if await w.skip_link(entry, src_remote):
        return
    name = entry.name or basename(src_path)
    clash: Entry | None = None
    if into and entry.is_dir and name == "" and basename(src_path) == "":
        # A whole drive or disk root: its contents go into the destination folder.
        await w.walk(src_b, src_remote, entry, dst_b, dest.path, True)
        return
    if into:
        if w.refused(parent(entry.path), name, dst_b):
            return
        claimed = w.claim(dst_b, dest.path, replace(entry, name=name), listing)
        if claimed is None:
            return
        name, clash = claimed
    target = join(dest.path, name) if into else dest.path
    existing = (listing.get(w.key(dst_b, name)) or clash) if into else dest_entry
    if w.same(src_remote, dest.remote):
        if target == entry.path:
            w.problem(entry.path, "source and destination are the same", "error")
            return
        if entry.is_dir and target.startswith(entry.path.rstrip("/") + "/"):
            w.problem(entry.path, "cannot copy or move a folder into itself", "fatal")
            return
    if not entry.is_dir:
        w.add_file(entry, src_remote, dst_b, target, existing)
        return
    if existing is not None and not existing.is_dir:
        w.problem(target, "a file of that name is in the way")
        return
    if w.job.kind is JobKind.MOVE and w.same(src_remote, dest.remote) and existing is None:
        if w.check(dst_b, target, None):
            w.files.append(w._new(ItemKind.MOVE, entry, src_remote, target))
        return
    await w.walk(src_b, src_remote, entry, dst_b, target, existing is not None)


def _refuse_protected(w: _Walk, verb: str) -> bool:
    """A root, the home folder or a drive's root among the sources stops the whole job."""
    refused = False
    for src in w.job.sources:
        reason = protected_reason(src, w.backend_for(src.remote))
        if reason is not None:
            w.problem(str(src), f"refusing to {verb} it: {reason}", "fatal")
            refused = True
    return refused


async def _plan_delete(w: _Walk) -> None:
    if _refuse_protected(w, "delete"):
        return
    for src in w.job.sources:
        b = w.backend_for(src.remote)
        try:
            entry = await b.stat(src.path)
        except errors.SkypaneError as exc:
            w.problem(src.path, exc.message if exc.path else str(exc))
            continue
        it = w._new(ItemKind.DELETE, entry, src.remote, entry.path)
        it.dst_remote = src.remote
        it.is_dir = entry.is_dir and not entry.is_link  # a link is removed, never its target
        it.size = 0 if it.is_dir else entry.size
        w.files.append(it)


async def _plan_mkdir(w: _Walk) -> None:
    dest = w.job.dest
    if dest is None:
        w.problem("", "no folder given", "fatal")
        return
    b = w.backend_for(dest.remote)
    try:
        entry = await b.stat(dest.path)
    except errors.NotFound:
        entry = None
    if entry is not None:
        if not entry.is_dir:
            w.problem(str(dest), "a file of that name is in the way", "fatal")
        else:
            w.problem(str(dest), "the folder already exists", "warning")
        return
    if w.check(b, dest.path, None):
        w.mkdirs.append(w._new(ItemKind.MKDIR, None, dest.remote, dest.path))


def _mirror_deletion_refused(remote: str | None, path: str, backend: Backend) -> str | None:
    """Why a mirror must not delete ``path``: what core.guard protects from every deletion,
    and a mount point (a mirror deletes what the source lacks, never a mounted file system)."""
    reason = protected_reason(
        Location(None if norm_remote(remote) == "local" else remote, path), backend
    )
    if reason is None and norm_remote(remote) == "local" and os.path.ismount(path):
        reason = "it is a mount point"
    return reason


async def _plan_mirror(w: _Walk) -> None:
    """Copy what the source has and the destination lacks or holds differently; delete (to
    the trash) what the destination has and the source lacks, within ``job.max_delete``."""
    from core.backend import Trash
    from core.compare import Side, compare

    job = w.job
    dest = job.dest
    if dest is None or len(job.sources) != 1:
        w.problem("", "a mirror needs one source folder and one destination folder", "fatal")
        return
    src = job.sources[0]
    src_b, dst_b = w.backend_for(src.remote), w.backend_for(dest.remote)
    try:
        top = await src_b.stat(src.path)
    except errors.SkypaneError as exc:
        w.problem(str(src), str(exc), "fatal")
        return
    if not top.is_dir or top.is_link:
        w.problem(str(src), "the source of a mirror must be a folder", "fatal")
        return
    if same_remote(src.remote, dest.remote) and (
        src.path == dest.path
        or dest.path.startswith(src.path.rstrip("/") + "/")
        or src.path.startswith(dest.path.rstrip("/") + "/")
    ):
        w.problem(str(dest), "the source and destination of a mirror overlap", "fatal")
        return
    try:
        there = await dst_b.stat(dest.path)
    except errors.NotFound:
        there = None
    except errors.SkypaneError as exc:
        w.problem(str(dest), str(exc), "fatal")
        return
    if there is None:  # nothing there yet: a plain copy of the whole folder
        await w.walk(src_b, src.remote, top, dst_b, dest.path, False)
        return
    if not there.is_dir:
        w.problem(str(dest), "the destination of a mirror must be a folder", "fatal")
        return
    try:
        result = await compare(src_b, src.path, dst_b, dest.path)
    except errors.SkypaneError as exc:
        w.problem(str(dest), f"cannot compare: {exc}", "fatal")
        return
    for rel, reason in result.problems:
        # A folder that could not be listed on both sides: mirror nothing inside it.
        w.problem(rel, f"{reason}; nothing in it is mirrored", "error")
    deletions: list[Entry] = []
    for c in result.items:
        if c.side is Side.SAME:
            continue
        if c.side is Side.ONLY_RIGHT:
            assert c.right is not None
            deletions.append(c.right)
            continue
        left = c.left
        assert left is not None
        target = join(dest.path, c.rel)
        if await w.skip_link(left, src.remote):
            continue
        if c.side is Side.DIFFERENT and c.reason == "type":
            w.problem(target, "a file on one side, a folder on the other: not mirrored")
            continue
        if left.is_dir:
            await w.walk(src_b, src.remote, left, dst_b, target, False)
            continue
        w.add_file(left, src.remote, dst_b, target, c.right)
        if c.right is not None:
            w.files[-1].action = "overwrite"  # a mirror replaces what differs, no question
    if not deletions:
        return
    if not isinstance(dst_b, Trash):
        w.problem(
            str(dest),
            f"{len(deletions)} deletions planned, but the destination has no recycle bin or"
            " trash and a mirror never deletes for good",
            "fatal",
        )
        return
    if job.max_delete is not None and len(deletions) > job.max_delete:
        w.problem(
            str(dest),
            f"the mirror would delete {len(deletions)} items, more than the limit of"
            f" {job.max_delete} (raise --max-delete to allow it)",
            "fatal",
        )
        return
    refused = [
        (e.path, why)
        for e in deletions
        if (why := _mirror_deletion_refused(dest.remote, e.path, dst_b))
    ]
    if refused:  # checked for all before any deletion is planned
        for path, why in refused:
            w.problem(path, f"refusing to delete it: {why}", "fatal")
        return
    for entry in deletions:
        it = w._new(ItemKind.DELETE, entry, dest.remote, entry.path)
        it.dst_remote = dest.remote
        it.is_dir = entry.is_dir and not entry.is_link
        it.size = 0 if it.is_dir else entry.size
        w.files.append(it)
