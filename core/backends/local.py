"""The local filesystem as a backend.

Paths are absolute POSIX paths decoded with ``os.fsdecode`` (surrogate escapes), so a name
that is not valid UTF-8 comes back to the same bytes when it is used again. Blocking calls
run in threads. Symbolic links are reported as links and never followed by ``list``. Named
pipes, sockets and devices are listed (``Entry.special`` says what they are) but never opened:
``open_read`` refuses them, and opens files in a way that cannot block (``core.special``).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import shutil
import stat as stat_mod
import sys
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar, NoReturn, TypeGuard, TypeVar

import send2trash

from core import errors
from core.backend import (
    BackendContext,
    ByteSource,
    Capabilities,
    Option,
    RangeSource,
    WriteProgress,
    WriteRequest,
)
from core.hashing import QuickXorHasher
from core.model import QUICKXOR, Entry
from core.quickxor_parts import combine_b64, hash_range
from core.special import not_a_file, open_regular, special_kind

T = TypeVar("T")
#: A write by ranges: ``[start, end, done]`` of each.
Ranges = list[list[int]]

#: Entries per page yielded by ``list``.
PAGE = 1000
#: Read size for ``open_read``.
CHUNK = 1024 * 1024
#: Files up to this size are received whole before their part file is made (``_write_small``).
SMALL = CHUNK
#: Bytes a write by ranges stores (all ranges together) between two checkpoints in the
#: journal: at most this much is fetched again after a crash. A checkpoint is one small
#: SQLite update (tens of microseconds), so 128 of them per GiB cost nothing measurable.
RANGE_CHECKPOINT = 8 * 1024 * 1024
#: Seconds after which a write by ranges that stored anything checkpoints anyway (a slow
#: link then loses at most this long of work, however few bytes that is).
RANGE_CHECKPOINT_SECONDS = 1.0
#: Most pieces one ``pwritev`` of a write by ranges takes (below any system's IOV_MAX).
MAX_PIECES = 256
#: Suffix of the temporary file a write fills before it is renamed into place.
PART_SUFFIX = ".skypane-part"


def raise_mapped(exc: OSError, path: str) -> NoReturn:
    """Turn an ``OSError`` into the matching ``core.errors`` type, keeping the OS message."""
    detail = exc.strerror or str(exc)
    code = exc.errno
    cls: type[errors.SkypaneError]
    if isinstance(exc, FileNotFoundError):
        cls, msg = errors.NotFound, "no such file or folder"
    elif isinstance(exc, FileExistsError):
        cls, msg = errors.AlreadyExists, "already exists"
    elif isinstance(exc, PermissionError):
        cls, msg = errors.PermissionDenied, "permission denied"
    elif isinstance(exc, NotADirectoryError):
        cls, msg = errors.NotADirectory, "not a folder"
    elif isinstance(exc, IsADirectoryError):
        cls, msg = errors.IsADirectory, "is a folder"
    elif code in (errno.ENOSPC, errno.EDQUOT):
        cls, msg = errors.QuotaExceeded, "no space left on device"
    elif code == errno.ENAMETOOLONG:
        cls, msg = errors.PathTooLong, "name or path too long"
    elif code == errno.EXDEV:
        cls, msg = errors.CannotMoveHere, "cannot rename across file systems"
    elif code == errno.ENOTEMPTY:
        cls, msg = errors.DirectoryNotEmpty, "folder not empty"
    elif code == errno.ELOOP:
        cls, msg = errors.NotFound, "too many levels of symbolic links"
    else:
        cls, msg = errors.SkypaneError, "filesystem error"
    raise cls(msg, path=path, detail=detail) from exc


def _run(fn: Callable[[], T], path: str) -> T:
    try:
        return fn()
    except OSError as exc:
        raise_mapped(exc, path)


def entry_from_stat(
    path: str,
    st: os.stat_result,
    target: os.stat_result | None = None,
    hashes: Mapping[str, str] | None = None,
) -> Entry:
    """Build an ``Entry`` from ``lstat`` (and, for a link, the ``stat`` of its target), with
    ``hashes`` where the caller knows them (a file it just wrote)."""
    name = os.path.basename(path) or path
    is_link = stat_mod.S_ISLNK(st.st_mode)
    shown = target if (is_link and target is not None) else st
    is_dir = stat_mod.S_ISDIR(shown.st_mode)
    link_target = None
    if is_link:
        with contextlib.suppress(OSError):
            link_target = os.readlink(path)
    return Entry(
        name=name,
        path=path,
        is_dir=is_dir,
        size=0 if is_dir else shown.st_size,
        modified=datetime.fromtimestamp(shown.st_mtime_ns / 1e9, UTC),
        mtime_ns=shown.st_mtime_ns,
        is_link=is_link,
        link_target=link_target,
        special=special_kind(shown.st_mode),
        is_hidden=name.startswith("."),
        mode=stat_mod.S_IMODE(shown.st_mode) & 0o777,
        hashes=hashes or {},
    )


def _lstat_entry(path: str, hashes: Mapping[str, str] | None = None) -> Entry:
    st = os.lstat(path)
    target = None
    if stat_mod.S_ISLNK(st.st_mode):
        try:
            target = os.stat(path)
        except OSError:
            target = None  # dangling link or a loop: shown as a link to nothing
    return entry_from_stat(path, st, target, hashes)


def _scan_pages(path: str) -> Iterator[list[Entry]]:
    page: list[Entry] = []
    with os.scandir(path) as it:
        for de in it:
            full = os.path.join(path, de.name)
            try:
                st = de.stat(follow_symlinks=False)
                target = None
                if stat_mod.S_ISLNK(st.st_mode):
                    try:
                        target = os.stat(full)
                    except OSError:
                        target = None
                page.append(entry_from_stat(full, st, target))
            except FileNotFoundError:
                continue  # vanished while listing
            if len(page) >= PAGE:
                yield page
                page = []
    if page:
        yield page


class LocalBackend:
    """The local filesystem."""

    OPTIONS: ClassVar[tuple[Option, ...]] = (
        Option("root", "Folder shown when the pane opens", default="~", kind="path"),
    )

    def __init__(self, remote: str = "local", root: str = "/") -> None:
        self.remote = remote
        self.root = root
        self.capabilities = Capabilities(
            case_insensitive=False,
            hash_algorithms=(),
            mtime_precision=1e-9,
            max_file_size=None,
            max_path_length=4095,
            max_name_length=255,
            write_verifies=(QUICKXOR,),  # write() hashes what it writes and checks it
        )

    @classmethod
    def from_config(
        cls, remote: str, options: Mapping[str, Any], context: BackendContext | None = None
    ) -> LocalBackend:
        root = os.path.expanduser(str(options.get("root", "~")))
        return cls(remote, root)

    # -- listing ---------------------------------------------------------------

    async def list(self, path: str) -> AsyncIterator[list[Entry]]:
        pages = _run(lambda: _scan_pages(path), path)
        sentinel: list[Entry] = []
        while True:
            page = await asyncio.to_thread(_run, lambda: next(pages, sentinel), path)
            if page is sentinel:
                return
            yield page

    async def stat(self, path: str) -> Entry:
        return await asyncio.to_thread(_run, lambda: _lstat_entry(path), path)

    # -- reading ---------------------------------------------------------------

    async def open_read(self, path: str, offset: int = 0) -> AsyncIterator[bytes]:
        def _open() -> tuple[Any, bytes, bool]:
            st = os.stat(path)
            if stat_mod.S_ISDIR(st.st_mode):
                raise IsADirectoryError(errno.EISDIR, "Is a directory", path)
            kind = special_kind(st.st_mode)
            if kind is not None:  # a pipe would block the read forever, a device may act
                raise not_a_file(path, kind)
            f = open(path, "rb", buffering=0, opener=open_regular)  # noqa: SIM115 - closed below
            try:
                if offset:
                    f.seek(offset)
                first = f.read(CHUNK)
                # A regular file read to its current end needs no second trip to a thread
                # to learn that (a small file is then one thread hop in all).
                at_end = f.tell() >= os.fstat(f.fileno()).st_size
            except BaseException:
                f.close()
                raise
            return f, first, at_end

        f, chunk, at_end = await asyncio.to_thread(_run, _open, path)
        try:
            while chunk:
                yield chunk
                if at_end:
                    return
                chunk = await asyncio.to_thread(_run, lambda: f.read(CHUNK), path)
        finally:
            f.close()

    # -- writing ---------------------------------------------------------------

    async def write(
        self,
        path: str,
        source: ByteSource,
        request: WriteRequest,
        progress: WriteProgress | None = None,
    ) -> Entry:
        """Write to a part file beside the target, then rename it into place.

        A resumable write (``request.resume`` with a ``part`` path from an earlier
        checkpoint) continues from the part file's length; the QuickXorHash of what is
        already there is recomputed so the returned entry carries the hash of the whole file.
        """
        if os.path.basename(path) in ("", ".", ".."):
            raise errors.InvalidName("a file needs a name", path=path)
        if request.streams > 1 and request.size > 0 and isinstance(source, RangeSource):
            return await self._write_ranges(path, source, request, progress)
        if request.size <= SMALL and not (request.resume and request.resume.get("part")):
            return await self._write_small(path, source, request, progress)
        part, offset, fd = await asyncio.to_thread(self._open_part, path, request)
        if progress is not None:
            progress.checkpoint({"part": part})
            if offset:
                progress.advance(offset)
        hasher = QuickXorHasher()
        written = offset
        try:
            if offset:
                await asyncio.to_thread(_hash_prefix, part, offset, hasher)
            # The chunk that completes the announced size is written by the same thread
            # trip that syncs and renames (a small file costs two trips in all); every
            # earlier one goes to disk before the next is awaited, so a stalled or killed
            # transfer keeps all it received.
            held = b""
            try:
                async for chunk in source(offset):
                    if held:
                        await asyncio.to_thread(_write_all, fd, held, part)
                        if progress is not None:
                            progress.advance(len(held))
                        held = b""
                    hasher.update(chunk)
                    written += len(chunk)
                    if written == request.size:
                        held = chunk
                    elif chunk:
                        await asyncio.to_thread(_write_all, fd, chunk, part)
                        if progress is not None:
                            progress.advance(len(chunk))
            except errors.QuotaExceeded:
                raise
            except Exception:
                if held:  # the source failed after its last chunk: keep it, for a resume
                    await asyncio.to_thread(_write_all, fd, held, part)
                raise
            _check_size(request, written, path)
            value = hasher.value()
            _check_hash(request, value, part, path)
            entry = await _place(fd, part, path, request, held, value)
            if progress is not None and held:
                progress.advance(len(held))
        except errors.QuotaExceeded:
            os.close(fd)
            fd = -1
            with contextlib.suppress(OSError):
                os.unlink(part)  # a full disk must not be left fuller by our leftovers
            raise
        finally:
            if fd >= 0:
                os.close(fd)
        return entry

    async def _write_ranges(
        self,
        path: str,
        source: RangeSource,
        request: WriteRequest,
        progress: WriteProgress | None,
    ) -> Entry:
        """Fill the part file by ``request.streams`` ranges read at once, each written at its
        offset and hashed on its own; the parts' QuickXorHashes compose the file's.

        The journal keeps ``{"part": …, "ranges": [[start, end, done], …]}`` (``done``
        counts only bytes already written), so a resumed write hashes what each range holds
        (one more part of the composition) and fetches only the rest of each.
        """
        part, ranges, fd = await asyncio.to_thread(self._open_ranged_part, path, request)
        hashers = [QuickXorHasher() for _ in ranges]
        #: Each range's hasher covers what it fetches now, from where it resumed.
        fresh = [(r, r[2], h) for r, h in zip(ranges, hashers, strict=True)]
        prefixes: list[tuple[int, int, bytes]] = []

        def state() -> dict[str, Any]:
            return {"part": part, "ranges": [list(r) for r in ranges]}

        saved = [sum(r[2] for r in ranges)]
        saved_at = [time.monotonic()]

        def checkpoint(force: bool = False) -> None:
            if progress is None:
                return
            total = sum(r[2] for r in ranges)
            new, now = total - saved[0], time.monotonic()
            due = new >= RANGE_CHECKPOINT or (
                new > 0 and now - saved_at[0] >= RANGE_CHECKPOINT_SECONDS
            )
            if force or due:
                saved[0], saved_at[0] = total, now
                progress.checkpoint(state())

        async def fill(index: int) -> None:
            rng, hasher = ranges[index], hashers[index]
            start, end, done = rng
            pos = start + done
            # Pieces as they came off the network, written together by one pwritev (no
            # joining copy, one trip to a thread per CHUNK or so).
            batch: list[bytes] = []
            held = 0

            async def flush() -> None:
                nonlocal batch, held
                await asyncio.to_thread(_pwritev_all, fd, batch, pos - held, part)
                rng[2] = pos - start
                if progress is not None:
                    progress.advance(held)
                batch, held = [], 0
                checkpoint()

            if pos >= end:
                return
            async for chunk in source.read_range(pos, end):
                if len(chunk) > end - pos:  # never past the range: that is another's
                    chunk = chunk[: end - pos]
                hasher.update(chunk)
                batch.append(chunk)
                held += len(chunk)
                pos += len(chunk)
                if held >= CHUNK or len(batch) >= MAX_PIECES or pos >= end:
                    await flush()
                if pos >= end:
                    break
            if batch:
                await flush()
            if pos != end:
                raise errors.TransientError(
                    "a range of the download ended early",
                    path=path,
                    detail=f"bytes {start}-{end - 1} stopped at {pos}",
                )

        try:
            if progress is not None:
                progress.checkpoint(state())
                progress.advance(saved[0])
            for start, _end, done in ranges:
                if done:
                    digest, n = await asyncio.to_thread(hash_range, fd, start, done)
                    prefixes.append((start, n, digest))
            tasks = [asyncio.create_task(fill(i)) for i in range(len(ranges))]
            try:
                await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                checkpoint(force=True)
            for task in tasks:
                if not task.cancelled() and (exc := task.exception()) is not None:
                    raise exc
            value = combine_b64(
                [
                    *prefixes,
                    *((r[0] + first, r[1] - r[0] - first, h.digest()) for r, first, h in fresh),
                ]
            )
            _check_hash(request, value, part, path)
            entry = await _place(fd, part, path, request, b"", value)
        except errors.QuotaExceeded:
            os.close(fd)
            fd = -1
            with contextlib.suppress(OSError):
                os.unlink(part)
            raise
        finally:
            if fd >= 0:
                os.close(fd)
        return entry

    def _open_ranged_part(self, path: str, request: WriteRequest) -> tuple[str, Ranges, int]:
        """The part file of a write by ranges, its ranges ``[start, end, done]`` (resumed
        from ``request.resume`` where they still fit the file), and an fd to read and write
        it."""
        resume = request.resume or {}
        part, ranges = resume.get("part"), resume.get("ranges")
        if (
            isinstance(part, str)
            and os.path.dirname(part) == os.path.dirname(path)
            and _valid_ranges(ranges, request.size)
        ):
            try:
                fd = os.open(part, os.O_RDWR)  # read too: what the ranges hold is hashed
            except OSError:
                pass
            else:
                if os.fstat(fd).st_size == request.size:
                    return part, [list(r) for r in ranges], fd
                os.close(fd)
        part, _ = self._prepare_part(path, WriteRequest(size=request.size, mode=request.mode))
        fd = _run(lambda: os.open(part, os.O_RDWR), part)
        try:
            os.ftruncate(fd, request.size)  # the ranges land at their offsets in it
        except OSError as exc:
            os.close(fd)
            with contextlib.suppress(OSError):
                os.unlink(part)
            raise_mapped(exc, part)
        step = -(-request.size // request.streams)
        ranges = [
            [start, min(start + step, request.size), 0] for start in range(0, request.size, step)
        ]
        return part, ranges, fd

    async def _write_small(
        self,
        path: str,
        source: ByteSource,
        request: WriteRequest,
        progress: WriteProgress | None,
    ) -> Entry:
        """A file of at most ``SMALL`` bytes: its bytes are received first, then one trip to
        a thread creates the part file, writes, syncs and renames it (a trip costs more CPU
        than a small file's write, and a part file that exists only within that trip needs
        no checkpoint). A source that fails part-way leaves what came in a journaled part
        file, as a longer write does, for the retry to continue."""
        pieces: list[bytes] = []
        hasher = QuickXorHasher()
        received = 0
        try:
            async for chunk in source(0):
                hasher.update(chunk)
                pieces.append(chunk)
                received += len(chunk)
        except errors.QuotaExceeded:
            raise
        except Exception:
            if received and received <= request.size:
                await self._keep_partial(path, request, pieces, progress)
            raise
        _check_size(request, received, path)
        value = hasher.value()
        expected = request.expected_hashes.get(QUICKXOR)
        if expected is not None and expected != value:
            raise errors.IntegrityError(
                "QuickXorHash of the received bytes differs from the source's",
                path=path,
                detail=f"source {expected}, received {value}",
            )

        def _create_and_place() -> Entry:
            part, fd = self._create_part(path, request)
            try:
                for piece in pieces:
                    _write_all(fd, piece, part)
                return _finish_part(fd, part, path, request, value)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(part)
                raise
            finally:
                os.close(fd)

        entry = await asyncio.to_thread(_run, _create_and_place, path)
        if progress is not None:
            progress.advance(received)
        return entry

    async def _keep_partial(
        self,
        path: str,
        request: WriteRequest,
        pieces: Sequence[bytes],
        progress: WriteProgress | None,
    ) -> None:
        """Store what a failed small write received in a part file named in the journal."""

        def _store() -> str:
            part, fd = self._create_part(path, request)
            try:
                for piece in pieces:
                    _write_all(fd, piece, part)
            finally:
                os.close(fd)
            return part

        with contextlib.suppress(errors.SkypaneError):
            part = await asyncio.to_thread(_run, _store, path)
            if progress is not None:
                progress.checkpoint({"part": part})
                progress.advance(sum(map(len, pieces)))

    def _open_part(self, path: str, request: WriteRequest) -> tuple[str, int, int]:
        """The part file to fill (a resumed one, or a new one), its length, and an fd at it."""
        resumed = self._resumed_part(path, request)
        if resumed is None:
            part, fd = self._create_part(path, request)
            return part, 0, fd
        part, offset = resumed
        fd = _run(lambda: os.open(part, os.O_WRONLY), part)
        os.lseek(fd, offset, os.SEEK_SET)
        return part, offset, fd

    def _prepare_part(self, path: str, request: WriteRequest) -> tuple[str, int]:
        resumed = self._resumed_part(path, request)
        if resumed is not None:
            return resumed
        part, fd = self._create_part(path, request)
        os.close(fd)
        return part, 0

    @staticmethod
    def _resumed_part(path: str, request: WriteRequest) -> tuple[str, int] | None:
        """The journaled part file of an earlier attempt and its length, if it still fits."""
        resume = request.resume or {}
        part = resume.get("part")
        if isinstance(part, str) and os.path.dirname(part) == os.path.dirname(path):
            try:
                size = os.stat(part).st_size
            except OSError:
                size = -1
            if 0 <= size <= request.size:
                return part, size
        return None

    @staticmethod
    def _create_part(path: str, request: WriteRequest) -> tuple[str, int]:
        """A new, empty part file beside ``path`` and an fd to write it."""
        directory = os.path.dirname(path)
        _run(lambda: os.stat(directory), directory)
        part = os.path.join(directory, part_name(os.path.basename(path), _name_max(directory)))
        # The source's mode (else 0666) less the umask, as cp gives a new file.
        mode = 0o666 if request.mode is None else request.mode & 0o777
        fd = _run(lambda: os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode), path)
        return part, fd

    async def discard_write(self, path: str, state: Mapping[str, Any]) -> None:
        """Remove the part file of a write the engine gave up on (``DiscardableWrite``)."""
        part = discardable_part(state, path, os.path.dirname)
        if part is not None:
            await self.remove(part)

    # -- changing --------------------------------------------------------------

    async def mkdir(self, path: str, *, parents: bool = False) -> Entry:
        def _mk() -> Entry:
            if parents:
                os.makedirs(path, exist_ok=True)
            else:
                os.mkdir(path)
            return _lstat_entry(path)

        return await asyncio.to_thread(_run, _mk, path)

    async def remove(self, path: str, *, recursive: bool = False) -> None:
        def _rm() -> None:
            st = os.lstat(path)
            if stat_mod.S_ISDIR(st.st_mode):
                if recursive:
                    shutil.rmtree(path, onerror=_rmtree_error)
                else:
                    os.rmdir(path)
            else:
                os.unlink(path)  # a link is removed, never its target

        await asyncio.to_thread(_run, _rm, path)

    async def trash(self, path: str) -> str | None:
        await asyncio.to_thread(_run, lambda: os.lstat(path), path)
        try:
            await asyncio.to_thread(_send_to_trash, path)
        except send2trash.TrashPermissionError as exc:
            raise errors.PermissionDenied(
                "cannot move to the trash", path=path, detail=str(exc)
            ) from exc
        except OSError as exc:
            raise_mapped(exc, path)
        return None  # the runner says "moved to the trash"

    async def move(self, src: str, dst: str) -> Entry:
        def _mv() -> Entry:
            if os.path.lexists(dst) and os.path.normcase(src) != os.path.normcase(dst):
                raise FileExistsError(errno.EEXIST, "File exists", dst)
            os.rename(src, dst)
            return _lstat_entry(dst)

        return await asyncio.to_thread(_run, _mv, dst)

    async def set_modified(self, path: str, modified: datetime) -> Entry:
        ns = int(modified.timestamp() * 1_000_000) * 1000

        def _set() -> Entry:
            os.utime(path, ns=(ns, ns), follow_symlinks=False)
            return _lstat_entry(path)

        return await asyncio.to_thread(_run, _set, path)

    def check_path(self, path: str, size: int | None = None) -> None:
        check_posix_path(path)

    def storage_key(self) -> str:
        """Every local remote reaches the same file systems by the same absolute paths."""
        return "local"

    async def close(self) -> None:
        return None


#: One file to the trash at a time: send2trash makes the trash folders on first use and two
#: threads doing so at once fail with "File exists" (moves trash their sources in parallel).
_TRASH_LOCK = threading.Lock()


def _send_to_trash(path: str) -> None:
    with _TRASH_LOCK:
        _send_to_trash_locked(path)


def _send_to_trash_locked(path: str) -> None:
    # send2trash reads XDG_DATA_HOME once, at import; honour the environment as it is now
    # (tests and sandboxed runs point it elsewhere after import).
    if sys.platform.startswith("linux"):
        from send2trash import plat_other

        data_home = os.path.expanduser(
            os.environb.get(b"XDG_DATA_HOME", b"") or os.fsencode("~/.local/share")
        )
        if data_home != plat_other.XDG_DATA_HOME:
            plat_other.XDG_DATA_HOME = data_home
            plat_other.HOMETRASH_B = os.path.join(data_home, b"Trash")
            plat_other.HOMETRASH = os.fsdecode(plat_other.HOMETRASH_B)
    send2trash.send2trash(path)


def _keep_mode(fd: int, path: str) -> None:
    """A file that is replaced keeps its permission bits (as with cp and rclone)."""
    try:
        st = os.stat(path)
    except OSError:
        return
    if stat_mod.S_ISREG(st.st_mode):
        os.fchmod(fd, stat_mod.S_IMODE(st.st_mode))


def check_posix_path(path: str) -> None:
    """Refuse what a Linux file system cannot hold: NUL, names over 255 bytes, paths over 4095."""
    if "\x00" in path:
        raise errors.InvalidName("a name cannot contain a NUL character", path=path)
    raw = os.fsencode(path)
    if len(raw) > 4095:
        raise errors.PathTooLong("path longer than 4095 bytes", path=path)
    for part in raw.split(b"/"):
        if len(part) > 255:
            raise errors.PathTooLong("a name is longer than 255 bytes", path=path)


def part_name(name: str, limit: int = 255) -> str:
    """``.NAME.xxxxxxxx.skypane-part``, with NAME cut short so the whole fits in ``limit``
    bytes (a 254-byte name must still be writable on a file system of 255-byte names)."""
    tail = f".{uuid.uuid4().hex[:8]}{PART_SUFFIX}".encode()
    raw = os.fsencode(name)[: max(limit - len(tail) - 1, 0)]
    return os.fsdecode(b"." + raw + tail)


def discardable_part(
    state: Mapping[str, Any], path: str, folder_of: Callable[[str], str]
) -> str | None:
    """The part file a write's checkpoint names, when it is one of ours beside ``path``: a
    journal edited by hand cannot make a discard remove any other file."""
    part = state.get("part")
    if isinstance(part, str) and part.endswith(PART_SUFFIX) and folder_of(part) == folder_of(path):
        return part
    return None


def _name_max(directory: str) -> int:
    try:
        return os.pathconf(directory, "PC_NAME_MAX")
    except (OSError, ValueError):
        return 255


def _write_all(fd: int, data: bytes, path: str) -> None:
    view = memoryview(data)
    try:
        while view:
            n = os.write(fd, view)
            view = view[n:]
    except OSError as exc:
        raise_mapped(exc, path)


def _pwritev_all(fd: int, pieces: list[bytes], offset: int, path: str) -> None:
    try:
        n = os.pwritev(fd, pieces, offset)
    except OSError as exc:
        raise_mapped(exc, path)
    if n < sum(map(len, pieces)):  # a short write (rare): the rest in one piece
        _pwrite_all(fd, b"".join(pieces)[n:], offset + n, path)


def _pwrite_all(fd: int, data: bytes, offset: int, path: str) -> None:
    view = memoryview(data)
    try:
        while view:
            n = os.pwrite(fd, view, offset)
            view = view[n:]
            offset += n
    except OSError as exc:
        raise_mapped(exc, path)


def _valid_ranges(ranges: Any, size: int) -> TypeGuard[list[list[int]]]:
    """Whether journaled ``ranges`` are ``[start, end, done]`` triples tiling ``[0, size)``."""
    if not isinstance(ranges, list) or not ranges:
        return False
    pos = 0
    for r in ranges:
        if not (isinstance(r, list) and len(r) == 3 and all(type(v) is int for v in r)):
            return False
        start, end, done = r
        if start != pos or end <= start or not 0 <= done <= end - start:
            return False
        pos = end
    return pos == size


def _check_size(request: WriteRequest, received: int, path: str) -> None:
    if received != request.size:
        raise errors.IntegrityError(
            f"expected {request.size} bytes, source gave {received}", path=path
        )


def _check_hash(request: WriteRequest, value: str, part: str, path: str) -> None:
    """Remove the part file and raise if ``value`` is not the source's known QuickXorHash."""
    expected = request.expected_hashes.get(QUICKXOR)
    if expected is not None and expected != value:
        with contextlib.suppress(OSError):
            os.unlink(part)
        raise errors.IntegrityError(
            "QuickXorHash of the written file differs from the source's",
            path=path,
            detail=f"source {expected}, written {value}",
        )


async def _place(
    fd: int, part: str, path: str, request: WriteRequest, held: bytes, quickxor: str
) -> Entry:
    """Write ``held`` (the last chunk, if kept back), keep the replaced file's mode, sync,
    set the times and rename the part file into place; in one trip to a thread."""

    def _finish() -> Entry:
        if held:
            _write_all(fd, held, part)
        return _finish_part(fd, part, path, request, quickxor)

    try:
        return await asyncio.to_thread(_run, _finish, path)
    except errors.SkypaneError:
        # Complete but not placed (a folder in the way, the name refused): a part file
        # nobody will resume must not stay behind.
        with contextlib.suppress(OSError):
            os.unlink(part)
        raise


def _finish_part(fd: int, part: str, path: str, request: WriteRequest, quickxor: str) -> Entry:
    """Keep the replaced file's mode, sync, set the times and rename the written part file
    into place (nothing is renamed before its bytes are on disk); its entry, with the
    QuickXorHash of what was written."""
    _keep_mode(fd, path)
    os.fsync(fd)
    if request.modified_ns is not None:
        os.utime(part, ns=(request.modified_ns, request.modified_ns))
    elif request.modified is not None:
        ns = int(request.modified.timestamp() * 1_000_000) * 1000
        os.utime(part, ns=(ns, ns))
    os.replace(part, path)
    return _lstat_entry(path, {QUICKXOR: quickxor})


def _hash_prefix(path: str, length: int, hasher: QuickXorHasher) -> None:
    with open(path, "rb") as f:
        remaining = length
        while remaining:
            chunk = f.read(min(CHUNK, remaining))
            if not chunk:
                break
            hasher.update(chunk)
            remaining -= len(chunk)


def _rmtree_error(func: Any, path: str, exc_info: Any) -> None:
    exc = exc_info[1]
    if isinstance(exc, OSError):
        raise_mapped(exc, path)
    raise exc
