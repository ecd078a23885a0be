"""Running one item: conflicts, server-side or streamed copy, verification, mtime, source removal.

The rules that keep data safe live here: the source is only removed after the destination
was verified; a failed verification removes the bad copy, never the source; a resumed item
whose destination already holds a verified copy is finished without sending it again.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol, cast

from core import errors
from core.backend import (
    Backend,
    DiscardableWrite,
    RangedRead,
    ReadById,
    RewritesOnStore,
    ServerSideCopy,
    Trash,
    UncheckedRead,
    WriteRequest,
)
from core.model import QUICKXOR, Entry
from core.transfer import conflicts
from core.transfer.lease import Lease
from core.transfer.model import (
    ConflictAction,
    ConflictPolicy,
    ConflictQuestion,
    Item,
    ItemKind,
    ItemState,
    Job,
    JobKind,
)
from core.transfer.planner import StorageCache, existing_facts, mtime_ns
from core.transfer.progress import ItemProgress, JobCounters
from core.transfer.sources import HashingSource

REWRITTEN_NOTE = "uploaded; SharePoint rewrote it (its size and hash differ: not corruption)"


@dataclass(eq=False)
class JobRun:
    """The engine's live state for one job (not journaled)."""

    job: Job
    counters: JobCounters = field(default_factory=JobCounters)
    paused: bool = False
    cancelled: bool = False
    #: Set when the engine is closing: items stop at the next chunk and stay resumable.
    closing: bool = False
    halted: str | None = None  # a job-wide failure (destination full): no new items start
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    #: Set while paused, cancelled or closing: waits for a worker slot end at once.
    stop_signal: asyncio.Event = field(default_factory=asyncio.Event)
    ask_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    claimed: set[str] = field(default_factory=set)
    running: dict[int, asyncio.Task[None]] = field(default_factory=dict)
    requeue: list[Item] = field(default_factory=list)
    #: Items found RUNNING in the journal after a restart: check the destination first.
    recheck: set[int] = field(default_factory=set)
    task: asyncio.Task[None] | None = None
    finished: asyncio.Event = field(default_factory=asyncio.Event)
    #: Another process holds the job's lease: this engine only shows it (read-only).
    foreign: bool = False
    #: That process's lease, as last read from the journal (None once it let go).
    holder: Lease | None = None
    #: The job was ours until another process took it over (we were thought gone).
    lost: bool = False

    @property
    def stopping(self) -> bool:
        return self.paused or self.cancelled or self.closing

    def check_stop(self) -> None:
        if self.stopping:
            raise errors.Cancelled("paused" if self.paused else "stopped")


class Env(Protocol):
    """What an item needs from the engine."""

    def backend(self, remote: str | None) -> Backend: ...

    def save_item(self, run: JobRun, item: Item) -> None: ...

    async def ask(self, run: JobRun, question: ConflictQuestion) -> ConflictAction: ...


async def _exists(backend: Backend, path: str) -> bool:
    try:
        await backend.stat(path)
    except errors.NotFound:
        return False
    return True


async def _delete_replaced(run: JobRun, backend: Backend, path: str) -> None:
    """Delete the source of a finished move (or a file a move replaces): to the trash or
    recycle bin where the backend has one, for good only when the user asked for that."""
    if run.job.use_trash and isinstance(backend, Trash):
        await backend.trash(path)
    else:
        await backend.remove(path)


class _StopCheckedSource:
    """Wraps a source so pause/cancel stops a write between two chunks, never mid-chunk."""

    def __init__(self, inner: HashingSource, check: Callable[[], None]) -> None:
        self.inner = inner
        self._check = check

    def __call__(self, offset: int) -> AsyncIterator[bytes]:
        return self._checked(self.inner(offset))

    def read_range(self, offset: int, end: int) -> AsyncIterator[bytes]:
        return self._checked(self.inner.read_range(offset, end))

    async def _checked(self, stream: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        self._check()
        async with contextlib.aclosing(stream):  # type: ignore[type-var]
            async for chunk in stream:
                yield chunk
                self._check()


async def discard_resume(backend: Backend, item: Item, *, timeout: float | None = None) -> None:
    """Throw away a partial write (upload session, part file) that will not be resumed.

    Best effort: with ``timeout``, a drive that throttles (or does not answer) keeps its
    leftover, which it expires by itself (an upload session), rather than hold up a cancel.
    """
    state = item.resume
    item.resume = None
    if not state or not isinstance(backend, DiscardableWrite):
        return
    with contextlib.suppress(errors.SkypaneError, OSError, TimeoutError):
        await asyncio.wait_for(backend.discard_write(item.dst_path, state), timeout)


#: Streams one large download is fetched over, and the size from which it is (rclone's
#: --multi-thread-streams and --multi-thread-cutoff defaults).
STREAMS = 4
STREAM_CUTOFF = 256 * 1024 * 1024


class ItemRunner:
    """Executes items of any kind for the engine."""

    def __init__(
        self, env: Env, *, streams: int = STREAMS, stream_cutoff: int = STREAM_CUTOFF
    ) -> None:
        self.env = env
        self.streams = streams
        self.stream_cutoff = stream_cutoff
        self._storage = StorageCache(env.backend)

    async def run(self, run: JobRun, item: Item) -> tuple[ItemState, str | None]:
        """Do ``item``; return its final state and note. Raises ``core.errors`` on failure."""
        if item.kind is ItemKind.MKDIR:
            return await self._mkdir(item)
        if item.kind is ItemKind.DELETE:
            return await self._delete(run, item)
        if item.kind is ItemKind.RMDIR:
            return await self._rmdir(item)
        if not item.is_dir:
            action = await self._resolve(run, item)
            if action is ConflictAction.SKIP:
                return ItemState.SKIPPED, item.note or "skipped: destination exists"
        if item.kind is ItemKind.MOVE:
            return await self._move(run, item)
        return await self._copy(run, item)

    # -- conflicts -------------------------------------------------------------

    async def _resolve(self, run: JobRun, item: Item) -> ConflictAction:
        if item.action is not None:
            return (
                ConflictAction(item.action) if item.action != "write" else ConflictAction.OVERWRITE
            )
        if item.existing is None:
            item.action = "write"  # not journaled: a resumed item finds the same answer
            return ConflictAction.OVERWRITE
        src_b, dst_b = self.env.backend(item.src_remote), self.env.backend(item.dst_remote)
        precision = max(src_b.capabilities.mtime_precision, dst_b.capabilities.mtime_precision)
        action = conflicts.decide(run.job.policy, item, precision)
        if action is None and run.job.policy is ConflictPolicy.SAME_HASH_SKIP:
            same = await conflicts.same_hash(item, src_b, dst_b)
            action = ConflictAction.SKIP if same else ConflictAction.OVERWRITE
            if same:
                item.note = "skipped: same content"
        if action is None:
            action = await self._ask(run, item, precision)
        if action is ConflictAction.CANCEL:
            raise errors.Cancelled("cancelled at a conflict")
        if action is ConflictAction.RENAME:
            if not run.claimed:  # names the plan gave out (numbered case clashes) are taken
                fold = dst_b.capabilities.case_insensitive
                run.claimed.update(
                    i.dst_path.casefold() if fold else i.dst_path for i in run.job.items
                )
            item.dst_path = await conflicts.renamed(
                dst_b, item.dst_path, run.claimed, exists=lambda p: _exists(dst_b, p)
            )
        item.action = str(action)
        self.env.save_item(run, item)
        return action

    async def _ask(self, run: JobRun, item: Item, precision: float) -> ConflictAction:
        async with run.ask_lock:
            # An earlier answer may have been "apply to all" while this one waited.
            if run.job.policy is not ConflictPolicy.ASK:
                action = conflicts.decide(run.job.policy, item, precision)
                if action is not None:
                    return action
            pending = sum(
                1
                for i in run.job.items
                if i.existing is not None and i.action is None and i.state is ItemState.PENDING
            )
            dst_b = self.env.backend(item.dst_remote)
            try:
                keep_both = await conflicts.renamed(
                    dst_b,
                    item.dst_path,
                    run.claimed,
                    exists=lambda p: _exists(dst_b, p),
                    claim=False,
                )
            except errors.SkypaneError:
                keep_both = item.dst_path  # the dialog then words "keep both" without a name
            question = ConflictQuestion(
                job_id=run.job.id,
                source=conflicts.entry_of(item, existing=False),
                existing=conflicts.entry_of(item, existing=True),
                dest_path=item.dst_path,
                renamed_path=keep_both,
                remaining=pending,
            )
            return await self.env.ask(run, question)

    # -- kinds -----------------------------------------------------------------

    async def _mkdir(self, item: Item) -> tuple[ItemState, str | None]:
        b = self.env.backend(item.dst_remote)
        try:
            await b.mkdir(item.dst_path, parents=True)
        except errors.AlreadyExists as exc:
            if not (await b.stat(item.dst_path)).is_dir:
                raise errors.AlreadyExists(
                    "a file of that name is in the way", path=item.dst_path
                ) from exc
        return ItemState.DONE, None

    async def _rmdir(self, item: Item) -> tuple[ItemState, str | None]:
        b = self.env.backend(item.src_remote)
        try:
            await b.remove(item.src_path)
        except errors.DirectoryNotEmpty:
            return ItemState.SKIPPED, "source folder kept: not everything in it was moved"
        except errors.NotFound:
            pass
        return ItemState.DONE, None

    async def _delete(self, run: JobRun, item: Item) -> tuple[ItemState, str | None]:
        b = self.env.backend(item.src_remote)
        try:
            if run.job.use_trash and isinstance(b, Trash):
                where = await b.trash(item.src_path)
                return ItemState.DONE, where or "moved to the trash"
            if run.job.kind is JobKind.MIRROR:
                raise errors.Unsupported("a mirror deletes only to a trash", path=item.src_path)
            await b.remove(item.src_path, recursive=item.is_dir)
        except errors.NotFound:
            return ItemState.DONE, "already gone"
        return ItemState.DONE, None

    async def _move(self, run: JobRun, item: Item) -> tuple[ItemState, str | None]:
        """Rename within one backend. Only where the backend says it cannot move the item
        there (``CannotMoveHere``: another device or drive) does it copy, verify and delete;
        any other error is the move's error (a transient one is retried by the engine, the
        source untouched), never a reason to copy and delete."""
        b = self.env.backend(item.src_remote)
        if item.existing is not None and item.action == str(ConflictAction.OVERWRITE):
            with contextlib.suppress(errors.NotFound):
                await _delete_replaced(run, b, item.dst_path)
        try:
            entry = await b.move(item.src_path, item.dst_path)
        except errors.NotFound:
            if item.attempts > 1 or item.seq in run.recheck:
                # A previous attempt may have moved it before we could record it.
                with contextlib.suppress(errors.NotFound):
                    await b.stat(item.dst_path)
                    return ItemState.DONE, None
            raise
        except errors.CannotMoveHere:
            if item.is_dir:
                raise
            return await self._copy(run, item)  # across devices: copy, verify, then delete
        run.counters.advance_held(item, item.size)
        await self._fix_mtime(b, item, entry, b)
        return ItemState.DONE, None

    async def _copy(self, run: JobRun, item: Item) -> tuple[ItemState, str | None]:
        src_b, dst_b = self.env.backend(item.src_remote), self.env.backend(item.dst_remote)
        note: str | None = None
        if item.seq in run.recheck and await self._already_there(src_b, dst_b, item):
            run.counters.advance_held(item, item.size - item.bytes_done)
        elif self._storage.same(item.src_remote, item.dst_remote) and self._storage.server_copies(
            item.src_remote
        ):
            entry = await cast(ServerSideCopy, src_b).copy(item.src_path, item.dst_path)
            run.counters.advance_held(item, item.size)
            note = await self._verify(item, entry, None, dst_b)
            await self._fix_mtime(dst_b, item, entry, src_b)
        else:
            note = await self._stream(run, item, src_b, dst_b)
        if run.job.kind is JobKind.MOVE:
            run.check_stop()
            try:
                await _delete_replaced(run, src_b, item.src_path)
            except errors.NotFound:
                pass
            except errors.SkypaneError as exc:
                raise type(exc)(
                    f"copied and verified, but the source could not be deleted: {exc.message}",
                    path=item.src_path,
                    detail=exc.detail,
                ) from exc
        return ItemState.DONE, note

    async def _stream(self, run: JobRun, item: Item, src_b: Backend, dst_b: Backend) -> str | None:
        known = item.src_hashes.get(QUICKXOR)
        # A destination that stores its own QuickXorHash (OneDrive) hashes what it sends and
        # checks it against the server's (the write contract), so hashing here too would only
        # double the CPU; elsewhere (local disk) we hash the source as it streams.
        compute = known is None and QUICKXOR not in dst_b.capabilities.hash_algorithms
        # Where the destination checks the source's known hash as it writes (local disk,
        # OneDrive), the source need not check it as it reads: each byte is hashed once,
        # and the check still covers the wire and what was stored.
        # (Asked of the class, not the instance: a wrapper forwarding attributes must not
        # be bypassed.)
        unchecked = known is not None and QUICKXOR in dst_b.capabilities.write_verifies
        src_id = item.src_id if issubclass(type(src_b), ReadById) else None
        skip_check = unchecked and issubclass(type(src_b), UncheckedRead)

        def read(offset: int) -> AsyncIterator[bytes]:
            if src_id is not None:
                # By the listed id: the bytes of the item that was planned, not of whatever
                # its path leads to now.
                return src_b.open_read_id(  # type: ignore[attr-defined, no-any-return]
                    src_id, item.src_path, offset, check_hash=not unchecked
                )
            if skip_check:
                return src_b.open_read_unchecked(item.src_path, offset)  # type: ignore[attr-defined, no-any-return]
            return src_b.open_read(item.src_path, offset)

        # A large file whose source reads ranges and whose hash is known (the destination
        # checks it, composed from the ranges' parts) comes over several streams; a write
        # that was by ranges goes on by ranges.
        can_range = unchecked and issubclass(type(src_b), RangedRead)
        ranged = can_range and (
            (self.streams > 1 and item.size >= self.stream_cutoff)
            or bool(item.resume and item.resume.get("ranges"))
        )

        def read_range(offset: int, end: int) -> AsyncIterator[bytes]:
            return src_b.open_read_range(  # type: ignore[attr-defined, no-any-return]
                item.src_path, offset, end, item_id=src_id
            )

        source = HashingSource(
            read,
            item.size,
            compute_hash=compute,
            open_range=read_range if can_range else None,
        )
        modified = (
            datetime.fromtimestamp(item.src_modified_ns / 1e9, UTC)
            if item.src_modified_ns is not None
            else None
        )
        request = WriteRequest(
            size=item.size,
            modified=modified,
            modified_ns=item.src_modified_ns,
            expected_hashes={QUICKXOR: known} if known else {},
            resume=item.resume,
            mode=item.src_mode,
            streams=max(self.streams, 2) if ranged else 1,
        )
        run.counters.rewind(item)
        progress = ItemProgress(run.counters, item, lambda it: self.env.save_item(run, it))
        try:
            entry = await dst_b.write(
                item.dst_path, _StopCheckedSource(source, run.check_stop), request, progress
            )
        except (errors.IntegrityError, errors.ResumeLost):
            await discard_resume(dst_b, item)
            self.env.save_item(run, item)
            raise
        except errors.QuotaExceeded:
            await discard_resume(dst_b, item)
            raise
        except errors.NotARegularFile:  # swapped for a pipe or device since the plan
            await discard_resume(dst_b, item)
            raise
        item.resume = None
        note = await self._verify(item, entry, source.value(), dst_b)
        await self._fix_mtime(dst_b, item, entry, src_b)
        return note

    async def _verify(
        self, item: Item, entry: Entry, computed: str | None, dst_b: Backend
    ) -> str | None:
        """Size and QuickXorHash of what was stored against the source's."""
        src_hash = item.src_hashes.get(QUICKXOR) or computed
        dst_hash = entry.hash(QUICKXOR)
        problem = None
        if entry.size != item.size:
            problem = f"size differs: source {item.size} bytes, destination {entry.size}"
        elif src_hash and dst_hash and src_hash != dst_hash:
            problem = f"QuickXorHash differs: source {src_hash}, destination {dst_hash}"
        if problem is None:
            return None
        if isinstance(dst_b, RewritesOnStore) and dst_b.rewrites_on_store(item.dst_path):
            return REWRITTEN_NOTE
        # The copy is bad: remove it (never the source) and let the engine retry once.
        with contextlib.suppress(errors.SkypaneError):
            await dst_b.remove(item.dst_path)
        raise errors.IntegrityError(f"verification failed, {problem}", path=item.dst_path)

    async def _fix_mtime(self, dst_b: Backend, item: Item, entry: Entry, src_b: Backend) -> None:
        if item.src_modified_ns is None or item.is_dir:
            return
        have = mtime_ns(entry)
        precision = max(dst_b.capabilities.mtime_precision, 1e-6)
        if have is not None and abs(have - item.src_modified_ns) <= precision * 1e9:
            return
        await dst_b.set_modified(
            item.dst_path, datetime.fromtimestamp(item.src_modified_ns / 1e9, UTC)
        )

    async def _already_there(self, src_b: Backend, dst_b: Backend, item: Item) -> bool:
        """After a crash: does the destination already hold a verified copy?"""
        try:
            entry = await dst_b.stat(item.dst_path)
        except errors.NotFound:
            return False
        if entry.is_dir or entry.size != item.size:
            return False
        if item.existing is not None and existing_facts(entry) == tuple(item.existing):
            return False  # still the file we meant to replace
        src_hash = item.src_hashes.get(QUICKXOR) or await conflicts.hash_via_backend(
            src_b, item.src_path
        )
        dst_hash = entry.hash(QUICKXOR) or await conflicts.hash_via_backend(dst_b, item.dst_path)
        if src_hash != dst_hash:
            return False
        await discard_resume(dst_b, item)
        await self._fix_mtime(dst_b, item, entry, src_b)
        return True
