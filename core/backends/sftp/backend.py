"""A folder on an SSH server, reached by SFTP (asyncssh), as a backend.

``NAME:/`` is the remote's ``root`` on the server (by default the folder the login starts
in, as with ``sftp`` and rclone); no path of this backend reaches above it. Paths go to the
server as bytes (UTF-8, with the surrogate escapes of ``os.fsdecode`` turned back into the
bytes they stand for), so a name that is not UTF-8 survives a round trip. Only regular
files and folders are read or written: a FIFO, socket or device on the server is listed
as what it is (``Entry.special``, no size) and refused by ``open_read``. A link is listed
as a link to what it points at and never followed by ``list``.

Writes go to a part file beside the target and are renamed into place (the atomic
``posix-rename`` where the server has it). Where the server runs commands, the stored
part is checked against the SHA-256 of the bytes sent (``sha256sum`` on the server) before
it takes the target's name (files of a megabyte or more); elsewhere size is what is checked.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import posixpath
import shlex
import stat as stat_mod
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, ClassVar, NoReturn, cast

import asyncssh

from core import errors
from core.backend import (
    BackendContext,
    ByteSource,
    Capabilities,
    Option,
    WriteProgress,
    WriteRequest,
)
from core.backends.local import check_posix_path, discardable_part, part_name
from core.backends.sftp.connect import (
    Target,
    UnknownHostKey,
    connect_client,
    open_connection,
    remember_host_key,
    ssh_config_hosts,
)
from core.backends.sftp.setup import SftpSetup
from core.hashing import QuickXorHasher
from core.model import QUICKXOR, SHA256, Entry
from core.names import misleading
from core.paths import basename, join, normalize
from core.paths import parent as parent_of
from core.secrets import default_store, load_secret_options
from core.setup import Asker, SetupCancelled
from core.special import not_a_file, special_kind

#: Bytes per read request batch (asyncssh splits it into parallel SFTP reads).
CHUNK = 1024 * 1024
#: Reads kept in flight ahead of the consumer.
READ_AHEAD = 4
#: Bytes collected before one write is sent (asyncssh splits it into parallel SFTP writes).
WRITE_BATCH = 1024 * 1024
#: Writes in flight at once.
WRITE_AHEAD = 4
#: Entries per page yielded by ``list``.
PAGE = 1000
#: Files from this size on are checked by the server's ``sha256sum`` after a write; below
#: it a command per file would cost more than the transfer (size is checked for every file,
#: and SSH itself guards every byte on the wire).
HASH_CHECK_MIN_SIZE = 1024 * 1024
#: How long a remote ``sha256sum`` may take per GiB before it counts as not answering.
HASH_SECONDS_PER_GIB = 120.0

_ENCODING = "utf-8"
_ERRORS = "surrogateescape"


def _bytes(path: str) -> bytes:
    return path.encode(_ENCODING, _ERRORS)


def _text(raw: bytes) -> str:
    return raw.decode(_ENCODING, _ERRORS)


#: SFTP status codes as ``core.errors`` types and the words shown for them.
_STATUS: dict[int, tuple[type[errors.SkypaneError], str]] = {
    asyncssh.FX_NO_SUCH_FILE: (errors.NotFound, "no such file or folder"),
    asyncssh.FX_NO_SUCH_PATH: (errors.NotFound, "no such file or folder"),
    asyncssh.FX_PERMISSION_DENIED: (errors.PermissionDenied, "permission denied"),
    asyncssh.FX_WRITE_PROTECT: (errors.PermissionDenied, "permission denied"),
    asyncssh.FX_FILE_ALREADY_EXISTS: (errors.AlreadyExists, "already exists"),
    asyncssh.FX_DIR_NOT_EMPTY: (errors.DirectoryNotEmpty, "folder not empty"),
    asyncssh.FX_NOT_A_DIRECTORY: (errors.NotADirectory, "not a folder"),
    asyncssh.FX_FILE_IS_A_DIRECTORY: (errors.IsADirectory, "is a folder"),
    asyncssh.FX_NO_SPACE_ON_FILESYSTEM: (errors.QuotaExceeded, "no space left on the server"),
    asyncssh.FX_QUOTA_EXCEEDED: (errors.QuotaExceeded, "no space left on the server"),
    asyncssh.FX_INVALID_FILENAME: (errors.InvalidName, "the server refuses this name"),
    asyncssh.FX_LINK_LOOP: (errors.NotFound, "too many levels of symbolic links"),
    asyncssh.FX_CONNECTION_LOST: (errors.TransientError, "connection to the SSH server lost"),
    asyncssh.FX_NO_CONNECTION: (errors.TransientError, "connection to the SSH server lost"),
}


def _raise_mapped(exc: asyncssh.SFTPError, path: str) -> NoReturn:
    """The ``core.errors`` type of an SFTP status, keeping the server's words as detail."""
    cls, msg = _STATUS.get(exc.code, (errors.SkypaneError, "SFTP error"))
    raise cls(msg, path=path, detail=exc.reason or None) from exc


#: SFTP version 4+ file types as ``stat`` type bits (version 3 servers send mode bits).
_TYPE_BITS = {
    asyncssh.FILEXFER_TYPE_REGULAR: stat_mod.S_IFREG,
    asyncssh.FILEXFER_TYPE_DIRECTORY: stat_mod.S_IFDIR,
    asyncssh.FILEXFER_TYPE_SYMLINK: stat_mod.S_IFLNK,
    asyncssh.FILEXFER_TYPE_FIFO: stat_mod.S_IFIFO,
    asyncssh.FILEXFER_TYPE_SOCKET: stat_mod.S_IFSOCK,
    asyncssh.FILEXFER_TYPE_CHAR_DEVICE: stat_mod.S_IFCHR,
    asyncssh.FILEXFER_TYPE_BLOCK_DEVICE: stat_mod.S_IFBLK,
}


def _kind(attrs: asyncssh.SFTPAttrs) -> int:
    """The ``stat`` file type bits (``S_IFREG`` …) of ``attrs``, 0 when the server says none."""
    if attrs.permissions is not None and stat_mod.S_IFMT(attrs.permissions):
        return stat_mod.S_IFMT(attrs.permissions)
    return _TYPE_BITS.get(attrs.type, 0)


def _special(attrs: asyncssh.SFTPAttrs) -> str | None:
    """What a file that is neither a regular file, a folder nor a link is (None otherwise)."""
    if attrs.type == asyncssh.FILEXFER_TYPE_SPECIAL:
        return "special file"
    kind = _kind(attrs)
    return special_kind(kind) if kind else None


def _mtime_ns(attrs: asyncssh.SFTPAttrs) -> int | None:
    if attrs.mtime is None:
        return None
    return int(attrs.mtime) * 1_000_000_000 + int(attrs.mtime_ns or 0)


def _entry(
    path: str,
    attrs: asyncssh.SFTPAttrs,
    target: asyncssh.SFTPAttrs | None = None,
    name: str | None = None,
) -> Entry:
    """An entry from ``lstat`` attributes (and, for a link, its target's). ``name`` is the
    name as the server listed it, kept as it is even when it is hostile (``../x``, ``a/b``):
    the planner and the walks judge it (``core.names``), so it must not be tidied here into
    a harmless-looking one. "" for the root, as for a drive's root."""
    if name is None:
        name = basename(path)
    is_link = _kind(attrs) == stat_mod.S_IFLNK
    shown = target if (is_link and target is not None) else attrs
    is_dir = _kind(shown) == stat_mod.S_IFDIR
    regular = _special(shown) is None
    ns = _mtime_ns(shown)
    return Entry(
        name=name,
        path=path,
        is_dir=is_dir,
        size=(shown.size or 0) if regular and not is_dir else 0,
        modified=datetime.fromtimestamp(ns / 1e9, UTC) if ns is not None else None,
        mtime_ns=ns,
        is_link=is_link,
        special=_special(shown),
        is_hidden=name.startswith("."),
        mode=stat_mod.S_IMODE(shown.permissions) & 0o777 if shown.permissions is not None else None,
    )


async def _cancel_all(tasks: Iterable[asyncio.Future[Any]]) -> None:
    """Cancel tasks and wait for them to end, whatever they raise."""
    pending = list(tasks)
    for task in pending:
        task.cancel()
    for task in pending:
        with contextlib.suppress(BaseException):
            await task


class _Hashes:
    """The hashes a write keeps of the bytes it sends: SHA-256 for the server's check (when
    one will be made), QuickXorHash when the caller gave one to verify. Each batch is hashed
    in a worker thread (hashlib and quickxorhash let go of the GIL) while the next one is
    read and sent; ``done`` waits for the last."""

    def __init__(self, sha256: bool, quickxor: bool) -> None:
        self.sha = hashlib.sha256() if sha256 else None
        self.quickxor = QuickXorHasher() if quickxor else None
        self._last: asyncio.Future[None] | None = None

    def _update(self, data: bytes) -> None:
        if self.sha is not None:
            self.sha.update(data)
        if self.quickxor is not None:
            self.quickxor.update(data)

    async def update(self, data: bytes) -> None:
        if self.sha is None and self.quickxor is None:
            return
        await self.done()  # one batch at a time, in order
        if len(data) < 64 * 1024:
            self._update(data)
        else:
            self._last = asyncio.ensure_future(asyncio.to_thread(self._update, data))

    async def done(self) -> None:
        last, self._last = self._last, None
        if last is not None:
            await last

    async def abandon(self) -> None:
        """Stop waiting for a batch still being hashed (the write failed)."""
        last, self._last = self._last, None
        if last is not None:
            await _cancel_all([last])


class SftpBackend(SftpSetup):
    """Files on an SSH server, over one SSH connection opened on first use."""

    OPTIONS: ClassVar[tuple[Option, ...]] = (
        Option(
            "host",
            "Host name or ~/.ssh/config alias",
            required=True,
            suggestions=ssh_config_hosts,
        ),
        Option("user", "User name (default: ~/.ssh/config's, else yours)"),
        Option("port", "Port (default: ~/.ssh/config's, else 22)", kind="int"),
        Option(
            "root",
            "Folder on the server that NAME:/ stands for (default: the login folder)",
            default="",
        ),
        Option(
            "key_file",
            "Private key file (default: the SSH agent and the keys in ~/.ssh)",
            kind="path",
            advanced=True,
        ),
        Option(
            "password",
            "Password, kept in the secret store (default: keys only)",
            secret=True,
            advanced=True,
        ),
        Option(
            "known_hosts",
            "known_hosts file checked for the server's key (default ~/.ssh/known_hosts)",
            kind="path",
            advanced=True,
        ),
        Option(
            "accept_new_host_key",
            "Trust and remember the key of a host not yet in known_hosts "
            "(a changed key is still refused)",
            default=False,
            kind="bool",
            advanced=True,
        ),
    )

    def __init__(
        self, remote: str, target: Target, root: str = "", password: str | None = None
    ) -> None:
        self.remote = remote
        self.target = target
        self._root_option = root
        self._password = password
        self.capabilities = Capabilities(
            case_insensitive=False,
            hash_algorithms=(),
            # SFTP version 3 (OpenSSH) carries whole seconds.
            mtime_precision=1.0,
            max_name_length=255,
            max_path_length=4095,
            write_verifies=(QUICKXOR,),
        )
        self._conn: asyncssh.SSHClientConnection | None = None
        self._sftp: asyncssh.SFTPClient | None = None
        self._root = b"/"
        self._lock = asyncio.Lock()
        #: Whether the server runs ``sha256sum`` for us (None: not tried yet).
        self._can_hash: bool | None = None
        #: The UI's asker (``BackendContext.asker``): an unknown host key and password
        #: prompts are asked while connecting; dropped once the person declines one, so
        #: queued work does not ask again and again.
        self._asker: Asker | None = None

    @classmethod
    def from_config(
        cls, remote: str, options: Mapping[str, Any], context: BackendContext | None = None
    ) -> SftpBackend:
        target = Target.from_options(remote, options)
        store = default_store(context.secrets if context else None)
        backend = cls(
            remote,
            target,
            str(options.get("root") or ""),
            load_secret_options(store, remote).get("password"),
        )
        backend._asker = context.asker if context is not None else None
        return backend

    # -- the connection ------------------------------------------------------------------

    async def _client(self) -> asyncssh.SFTPClient:
        if self._sftp is not None and self._conn is not None and not self._conn.is_closed():
            return self._sftp
        async with self._lock:
            if self._sftp is not None and self._conn is not None and not self._conn.is_closed():
                return self._sftp
            await self._drop()
            conn = await self._connect()
            try:
                sftp = await conn.start_sftp_client(path_encoding=None)
                self._root = await self._find_root(sftp)
            except asyncssh.SFTPError as exc:
                conn.close()
                _raise_mapped(exc, self._root_option or "~")
            except (asyncssh.Error, OSError) as exc:
                conn.close()
                raise errors.TransientError(
                    f"the SSH server {self.target.host} offers no SFTP", detail=str(exc)
                ) from None
            self._conn, self._sftp, self._can_hash = conn, sftp, None
            return sftp

    async def _connect(self) -> asyncssh.SSHClientConnection:
        asker = self._asker
        if asker is None:
            return await open_connection(self.target, self._password)
        try:
            try:
                conn, client = await connect_client(self.target, self._password, asker)
            except UnknownHostKey as unknown:
                question = f"{unknown.question()}\n(remote {self.remote})"
                if not await asker.confirm("Unknown host key", question, yes="Trust and connect"):
                    raise
                remember_host_key(unknown)
                conn, client = await connect_client(self.target, self._password, asker)
        except (SetupCancelled, UnknownHostKey):
            self._asker = None
            raise
        if client.typed is not None:
            self._password = client.typed  # for reconnects in this session, kept nowhere else
        return conn

    async def _find_root(self, sftp: asyncssh.SFTPClient) -> bytes:
        root = await sftp.realpath(_bytes(self._root_option or "."))
        attrs = await sftp.stat(root)
        if _kind(attrs) != stat_mod.S_IFDIR:
            raise errors.NotADirectory("the remote's root is not a folder", path=_text(root))
        return root

    async def _drop(self) -> None:
        conn, self._conn, self._sftp = self._conn, None, None
        if conn is not None:
            conn.close()
            with contextlib.suppress(Exception):
                await conn.wait_closed()

    async def close(self) -> None:
        async with self._lock:
            await self._drop()

    def _server(self, path: str) -> bytes:
        """The server's path for one of ours (always below the root)."""
        tidy = normalize(path)
        if tidy == "/":
            return self._root
        return posixpath.join(self._root, _bytes(tidy.lstrip("/")))

    # -- listing ---------------------------------------------------------------------------

    async def list(self, path: str) -> AsyncIterator[list[Entry]]:
        sftp = await self._client()
        folder = self._server(path)
        page: list[Entry] = []
        try:
            async for item in sftp.scandir(folder):
                raw = item.filename
                assert isinstance(raw, bytes)
                if raw in (b".", b".."):
                    continue
                name = _text(raw)
                full = join(normalize(path), name)
                target = None
                if _kind(item.attrs) == stat_mod.S_IFLNK and misleading(name) is None:
                    target = await self._stat_target(sftp, posixpath.join(folder, raw))
                page.append(_entry(full, item.attrs, target, name))
                if len(page) >= PAGE:
                    yield page
                    page = []
        except asyncssh.SFTPError as exc:
            await self._not_a_folder(sftp, folder, path, exc)
        if page:
            yield page

    async def _not_a_folder(
        self, sftp: asyncssh.SFTPClient, folder: bytes, path: str, exc: asyncssh.SFTPError
    ) -> NoReturn:
        if exc.code == asyncssh.FX_FAILURE:
            with contextlib.suppress(asyncssh.SFTPError):
                if _kind(await sftp.stat(folder)) != stat_mod.S_IFDIR:
                    raise errors.NotADirectory("not a folder", path=path) from exc
        _raise_mapped(exc, path)

    @staticmethod
    async def _stat_target(sftp: asyncssh.SFTPClient, raw: bytes) -> asyncssh.SFTPAttrs | None:
        try:
            return await sftp.stat(raw)
        except asyncssh.SFTPError:
            return None  # a dangling link or a loop: listed as a link to nothing

    async def stat(self, path: str) -> Entry:
        sftp = await self._client()
        raw = self._server(path)
        try:
            attrs = await sftp.lstat(raw)
        except asyncssh.SFTPError as exc:
            _raise_mapped(exc, path)
        target = None
        if _kind(attrs) == stat_mod.S_IFLNK:
            target = await self._stat_target(sftp, raw)
        return _entry(normalize(path), attrs, target)

    # -- reading ---------------------------------------------------------------------------

    async def open_read(self, path: str, offset: int = 0) -> AsyncIterator[bytes]:
        sftp = await self._client()
        raw = self._server(path)
        try:
            attrs = await sftp.stat(raw)
            kind = _kind(attrs)
            if kind == stat_mod.S_IFDIR:
                raise errors.IsADirectory("is a folder", path=path)
            special = _special(attrs)
            if special is not None:  # a pipe would block the read, a device may act
                raise not_a_file(path, special)
            f = await sftp.open(raw, "rb")
        except asyncssh.SFTPError as exc:
            _raise_mapped(exc, path)
        size = attrs.size or 0
        ahead: list[tuple[int, asyncio.Task[bytes]]] = []
        try:
            position = offset
            while True:
                # Reads run ahead up to the size the file had when opened; past it, one
                # at a time until the end shows (a file that grows is read to its end).
                while len(ahead) < READ_AHEAD and (position < size or not ahead):
                    ahead.append((position, asyncio.ensure_future(f.read(CHUNK, position))))
                    position += CHUNK
                start, task = ahead.pop(0)
                try:
                    chunk = await task
                except asyncssh.SFTPError as exc:
                    _raise_mapped(exc, path)
                if not chunk:
                    return
                yield chunk
                if len(chunk) < CHUNK:
                    # Short: the end, or a server that answers in smaller pieces. Either
                    # way the reads ahead start at the wrong place; go on from here.
                    await _cancel_all(task for _start, task in ahead)
                    ahead = []
                    position = start + len(chunk)
        finally:
            await _cancel_all(task for _start, task in ahead)
            with contextlib.suppress(asyncssh.Error, OSError):
                await f.close()

    # -- writing ---------------------------------------------------------------------------

    async def write(
        self,
        path: str,
        source: ByteSource,
        request: WriteRequest,
        progress: WriteProgress | None = None,
    ) -> Entry:
        """Fill a part file beside the target, check it, give it its time and mode, and
        rename it into place. A resumed write (``request.resume`` with the ``part`` of an
        earlier checkpoint) goes on from the part's length."""
        path = normalize(path)
        if basename(path) in ("", ".", ".."):
            raise errors.InvalidName("a file needs a name", path=path)
        sftp = await self._client()
        folder = parent_of(path)
        part, offset = await self._part(sftp, path, request)
        raw_part = self._server(part)
        if progress is not None:
            progress.checkpoint({"part": part})
            if offset:
                progress.advance(offset)
        # The server's check costs a command and a read of the file there: only worth it
        # for files of some size, and only where the server runs commands for us.
        check = request.size >= HASH_CHECK_MIN_SIZE and self._can_hash is not False
        hashes = _Hashes(sha256=check, quickxor=QUICKXOR in request.expected_hashes)
        try:
            f = await sftp.open(raw_part, "r+b" if offset else "wb")
        except asyncssh.SFTPError as exc:
            _raise_mapped(exc, folder)
        try:
            if offset:
                await self._hash_prefix(f, offset, hashes)
            written = await self._send(f, source, offset, hashes, progress, path)
            await hashes.done()
        finally:
            await hashes.abandon()
            with contextlib.suppress(asyncssh.Error, OSError):
                await f.close()
        if written != request.size:
            raise errors.IntegrityError(
                f"expected {request.size} bytes, source gave {written}", path=path
            )
        stored_sha = None
        try:
            if hashes.quickxor is not None:
                sent, expected = hashes.quickxor.value(), request.expected_hashes[QUICKXOR]
                if sent != expected:
                    raise errors.IntegrityError(
                        "QuickXorHash of the bytes sent differs from the source's",
                        path=path,
                        detail=f"source {expected}, sent {sent}",
                    )
            if hashes.sha is not None:
                stored_sha = await self.remote_sha256(part)
                if stored_sha is not None and stored_sha != hashes.sha.hexdigest():
                    raise errors.IntegrityError(
                        "the file stored on the server differs from the bytes sent",
                        path=path,
                        detail=f"SHA-256 sent {hashes.sha.hexdigest()}, stored {stored_sha}",
                    )
            await self._finish(sftp, raw_part, path, request)
        except errors.SkypaneError:
            with contextlib.suppress(asyncssh.Error, OSError):
                await sftp.remove(raw_part)
            raise
        entry = await self.stat(path)
        found: dict[str, str] = {}
        if stored_sha is not None:
            found[SHA256] = stored_sha
        if hashes.quickxor is not None:
            found[QUICKXOR] = hashes.quickxor.value()
        return replace(entry, hashes=found) if found else entry

    async def discard_write(self, path: str, state: Mapping[str, Any]) -> None:
        """Remove the part file of a write the engine gave up on (``DiscardableWrite``)."""
        part = discardable_part(state, path, parent_of)
        if part is not None:
            await self.remove(part)

    async def _part(
        self, sftp: asyncssh.SFTPClient, path: str, request: WriteRequest
    ) -> tuple[str, int]:
        """The part file to fill and how much of it is there already."""
        folder = parent_of(path)
        resume = request.resume or {}
        part = resume.get("part")
        if isinstance(part, str) and parent_of(part) == folder:
            try:
                attrs = await sftp.lstat(self._server(part))
            except asyncssh.SFTPError:
                attrs = None
            if (
                attrs is not None
                and _kind(attrs) in (stat_mod.S_IFREG, 0)
                and 0 <= (attrs.size or 0) <= request.size
            ):
                return part, attrs.size or 0
        try:
            attrs = await sftp.stat(self._server(folder))
        except asyncssh.SFTPError as exc:
            _raise_mapped(exc, folder)
        if _kind(attrs) != stat_mod.S_IFDIR:
            raise errors.NotADirectory("not a folder", path=folder)
        limit = self.capabilities.max_name_length or 255
        return join(folder, part_name(basename(path), limit)), 0

    @staticmethod
    async def _hash_prefix(f: asyncssh.SFTPClientFile, length: int, hashes: _Hashes) -> None:
        """Hash what a resumed part already holds, so the whole file's hash is known."""
        done = 0
        while done < length:
            chunk = cast(bytes, await f.read(min(CHUNK, length - done), done))  # opened "b"
            if not chunk:
                break
            await hashes.update(chunk)
            done += len(chunk)

    @staticmethod
    async def _send(
        f: asyncssh.SFTPClientFile,
        source: ByteSource,
        offset: int,
        hashes: _Hashes,
        progress: WriteProgress | None,
        path: str,
    ) -> int:
        """Stream the source into ``f`` from ``offset``; the number of bytes in the file."""
        position = offset
        pending: list[tuple[asyncio.Task[int], int]] = []
        batch = bytearray()

        async def settle(keep: int) -> None:
            while len(pending) > keep:
                task, size = pending.pop(0)
                try:
                    await task
                except asyncssh.SFTPError as exc:
                    _raise_mapped(exc, path)
                if progress is not None:
                    progress.advance(size)

        def send(data: bytes) -> bytes:
            nonlocal position
            pending.append((asyncio.ensure_future(f.write(data, position)), len(data)))
            position += len(data)
            return data

        def flush() -> bytes:
            nonlocal batch
            data, batch = bytes(batch), bytearray()
            return send(data)

        try:
            async for chunk in source(offset):
                if not batch and len(chunk) >= WRITE_BATCH:
                    data = send(chunk)  # a big chunk goes as it is, uncopied
                else:
                    batch += chunk
                    if len(batch) < WRITE_BATCH:
                        continue
                    data = flush()
                await hashes.update(data)
                await settle(WRITE_AHEAD)
            if batch:
                await hashes.update(flush())
            await settle(0)
        except Exception:
            # The source (or a write) failed: what arrived stays in the part, for a resume.
            with contextlib.suppress(Exception):
                if batch:
                    flush()
                await settle(0)
            raise
        finally:
            await _cancel_all(task for task, _size in pending)
        return position

    async def _finish(
        self, sftp: asyncssh.SFTPClient, raw_part: bytes, path: str, request: WriteRequest
    ) -> None:
        """Mode and time onto the part, then the part onto the target's name."""
        raw = self._server(path)
        try:
            current = await sftp.lstat(raw)
        except asyncssh.SFTPError:
            current = None
        if current is not None and _kind(current) == stat_mod.S_IFDIR:
            raise errors.IsADirectory("a folder has this name", path=path)
        mode: int | None = None
        if current is not None and current.permissions is not None:
            mode = stat_mod.S_IMODE(current.permissions)  # a replaced file keeps its mode
        elif request.mode is not None:
            mode = request.mode & 0o777
        try:
            if mode is not None:
                await sftp.chmod(raw_part, mode)
            ns = request.modified_ns
            if ns is None and request.modified is not None:
                ns = int(request.modified.timestamp() * 1_000_000) * 1000
            if ns is not None:
                await sftp.utime(raw_part, ns=(ns, ns))
            await self._replace(sftp, raw_part, raw)
        except asyncssh.SFTPError as exc:
            _raise_mapped(exc, path)

    @staticmethod
    async def _replace(sftp: asyncssh.SFTPClient, src: bytes, dst: bytes) -> None:
        """Rename ``src`` onto ``dst``, replacing it: atomically where the server has
        ``posix-rename``, else by removing ``dst`` first (a moment without the file)."""
        try:
            await sftp.posix_rename(src, dst)
            return
        except asyncssh.SFTPOpUnsupported:
            pass
        with contextlib.suppress(asyncssh.SFTPNoSuchFile):
            await sftp.remove(dst)
        await sftp.rename(src, dst)

    # -- hashes by the server --------------------------------------------------------------

    async def remote_sha256(self, path: str) -> str | None:
        """SHA-256 of a file as the server computes it (``sha256sum``), or None where the
        server runs no commands for us (then size and time are what can be compared)."""
        if self._can_hash is False:
            return None
        await self._client()
        conn = self._conn
        assert conn is not None
        raw = self._server(path)
        try:
            quoted = shlex.quote(raw.decode(_ENCODING))
        except UnicodeDecodeError:
            return None  # not a name a command line can carry
        size = (await self.stat(path)).size
        timeout = 30.0 + HASH_SECONDS_PER_GIB * size / 2**30
        try:
            result = await asyncio.wait_for(
                conn.run(f"sha256sum -- {quoted}", check=False), timeout
            )
        except (asyncssh.Error, OSError, TimeoutError):
            self._can_hash = False
            return None
        out = result.stdout if isinstance(result.stdout, str) else ""
        digest = out.split(" ", 1)[0].strip().lower()
        if result.exit_status != 0 or len(digest) != 64:
            if self._can_hash is None:
                self._can_hash = False  # no sha256sum there, or no exec at all
            return None
        self._can_hash = True
        return digest

    # -- changing --------------------------------------------------------------------------

    async def mkdir(self, path: str, *, parents: bool = False) -> Entry:
        sftp = await self._client()
        raw = self._server(path)
        try:
            if parents:
                await sftp.makedirs(raw, exist_ok=True)
            else:
                await sftp.mkdir(raw)
        except asyncssh.SFTPError as exc:
            if exc.code == asyncssh.FX_FAILURE:  # SFTP v3 says no more than that
                with contextlib.suppress(asyncssh.SFTPError):
                    await sftp.lstat(raw)
                    raise errors.AlreadyExists("already exists", path=path) from exc
            _raise_mapped(exc, path)
        return await self.stat(path)

    async def remove(self, path: str, *, recursive: bool = False) -> None:
        if normalize(path) == "/":
            raise errors.PermissionDenied("the remote's root folder is never removed", path=path)
        sftp = await self._client()
        raw = self._server(path)
        try:
            attrs = await sftp.lstat(raw)
            if _kind(attrs) != stat_mod.S_IFDIR:
                await sftp.remove(raw)  # a link is removed, never its target
            elif recursive:
                await sftp.rmtree(raw)
            else:
                await self._rmdir(sftp, raw, path)
        except asyncssh.SFTPError as exc:
            _raise_mapped(exc, path)

    @staticmethod
    async def _rmdir(sftp: asyncssh.SFTPClient, raw: bytes, path: str) -> None:
        try:
            await sftp.rmdir(raw)
        except asyncssh.SFTPError as exc:
            if exc.code == asyncssh.FX_FAILURE:
                names = [n for n in await sftp.listdir(raw) if n not in (b".", b"..")]
                if names:
                    raise errors.DirectoryNotEmpty("folder not empty", path=path) from exc
            raise

    async def move(self, src: str, dst: str) -> Entry:
        sftp = await self._client()
        raw_src, raw_dst = self._server(src), self._server(dst)
        if normalize(src) == "/":
            raise errors.PermissionDenied("the remote's root folder is never moved", path=src)
        try:
            await sftp.lstat(raw_dst)
        except asyncssh.SFTPNoSuchFile:
            pass
        except asyncssh.SFTPError as exc:
            _raise_mapped(exc, dst)
        else:
            raise errors.AlreadyExists("already exists", path=dst)
        try:
            await sftp.rename(raw_src, raw_dst)  # never replaces (SFTP's plain rename)
        except asyncssh.SFTPError as exc:
            _raise_mapped(exc, src if exc.code == asyncssh.FX_NO_SUCH_FILE else dst)
        return await self.stat(dst)

    async def set_modified(self, path: str, modified: datetime) -> Entry:
        sftp = await self._client()
        ns = int(modified.timestamp() * 1_000_000) * 1000
        try:
            await sftp.utime(self._server(path), ns=(ns, ns))
        except asyncssh.SFTPError as exc:
            _raise_mapped(exc, path)
        return await self.stat(path)

    def check_path(self, path: str, size: int | None = None) -> None:
        check_posix_path(path)  # the server is taken to be a POSIX system as common as ours

    def storage_key(self) -> str:
        """Two remotes of one server account and root address the same files."""
        t = self.target
        return f"sftp:{t.user or ''}@{t.host}:{t.port or ''}:{self._root_option}"
