"""File contents: immutable blobs in memory or on disk, with their hashes.

A blob is written once (by a simple upload, an upload session or a fixture) and then only
read; versions and copies share blobs by reference count. Contents bigger than a limit
live in files so multi-GiB uploads never sit in memory.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from core.hashing import new_quickxor

#: Size of the pieces contents are hashed and read in (the C QuickXorHash is fastest at ≤ 1 MiB).
PIECE = 1024 * 1024


class Blob:
    """One immutable content with its size and hashes."""

    __slots__ = ("data", "id", "path", "quickxor", "refs", "sha1", "size")

    def __init__(
        self,
        blob_id: str,
        size: int,
        quickxor: str,
        sha1: str | None,
        *,
        data: bytes | None = None,
        path: Path | None = None,
    ) -> None:
        self.id = blob_id
        self.size = size
        self.quickxor = quickxor
        self.sha1 = sha1
        self.data = data
        self.path = path
        self.refs = 0

    def iter_range(self, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """Yield the bytes ``start..end`` (inclusive; ``None`` = to the end) in pieces."""
        stop = self.size if end is None else end + 1
        if self.data is not None:
            for offset in range(start, stop, PIECE):
                yield self.data[offset : min(stop, offset + PIECE)]
            return
        if self.path is None or start >= stop:
            return
        with open(self.path, "rb") as handle:
            handle.seek(start)
            remaining = stop - start
            while remaining > 0:
                piece = handle.read(min(PIECE, remaining))
                if not piece:
                    break
                remaining -= len(piece)
                yield piece

    def read(self) -> bytes:
        """The whole content (for small blobs: fixtures, search, tests)."""
        return b"".join(self.iter_range())


def hash_bytes(data: bytes, with_sha1: bool) -> tuple[str, str | None]:
    """(quickXorHash base64, sha1 hex or None) of ``data``."""
    qx = new_quickxor()
    sha1 = hashlib.sha1() if with_sha1 else None
    for offset in range(0, len(data), PIECE):
        piece = data[offset : offset + PIECE]
        qx.update(piece)
        if sha1 is not None:
            sha1.update(piece)
    return base64.b64encode(qx.digest()).decode(), sha1.hexdigest().upper() if sha1 else None


class BlobStore:
    """Creates, counts references to and removes blobs."""

    def __init__(self, persistent_dir: Path | None, memory_limit: int) -> None:
        self._persistent_dir = persistent_dir
        self._memory_limit = 0 if persistent_dir is not None else memory_limit
        self._spill_dir: Path | None = None
        self._lock = threading.Lock()
        if persistent_dir is not None:
            persistent_dir.mkdir(parents=True, exist_ok=True)

    @property
    def directory(self) -> Path:
        """Where on-disk blobs live (created on first use in memory mode)."""
        if self._persistent_dir is not None:
            return self._persistent_dir
        with self._lock:
            if self._spill_dir is None:
                self._spill_dir = Path(tempfile.mkdtemp(prefix="skypane-emulator-"))
            return self._spill_dir

    @property
    def memory_limit(self) -> int:
        return self._memory_limit

    def writer(self, with_sha1: bool) -> BlobWriter:
        """A writer for a new blob."""
        return BlobWriter(self, with_sha1)

    def from_bytes(self, data: bytes, with_sha1: bool) -> Blob:
        """A blob holding ``data``."""
        writer = self.writer(with_sha1)
        writer.write(data)
        return writer.finish()

    def retain(self, blob: Blob) -> Blob:
        blob.refs += 1
        return blob

    def release(self, blob: Blob) -> None:
        blob.refs -= 1
        if blob.refs <= 0 and blob.path is not None:
            blob.path.unlink(missing_ok=True)

    def drop_if_unused(self, blob: Blob) -> None:
        """Delete a fresh blob nothing took a reference to (its write was refused)."""
        if blob.refs <= 0 and blob.path is not None:
            blob.path.unlink(missing_ok=True)

    def close(self) -> None:
        """Remove spilled contents of a memory-backed store."""
        if self._spill_dir is not None:
            shutil.rmtree(self._spill_dir, ignore_errors=True)
            self._spill_dir = None


class BlobWriter:
    """Receives a content piece by piece; can roll back to the last commit point.

    Upload sessions commit after each complete fragment and roll back an interrupted
    one; hashes cover committed bytes only and are computed as they are committed.
    """

    def __init__(self, store: BlobStore, with_sha1: bool) -> None:
        self._store = store
        self._buffer: bytearray | None = bytearray()
        self._file: BinaryIO | None = None
        self._path: Path | None = None
        self._qx = new_quickxor()
        self._sha1 = hashlib.sha1() if with_sha1 else None
        self.id = secrets.token_hex(12)
        self.size = 0
        self.committed = 0

    def write(self, chunk: bytes) -> None:
        if not chunk:
            return
        if self._buffer is not None:
            if len(self._buffer) + len(chunk) <= self._store.memory_limit:
                self._buffer += chunk
                self.size += len(chunk)
                return
            self._spill()
        assert self._file is not None
        self._file.write(chunk)
        self.size += len(chunk)

    def _spill(self) -> None:
        self._path = self._store.directory / f"{self.id}.part"
        self._file = open(self._path, "w+b")  # noqa: SIM115 - kept open across writes
        assert self._buffer is not None
        self._file.write(self._buffer)
        self._buffer = None

    def rollback(self) -> None:
        """Forget bytes written since the last :meth:`commit`."""
        if self._buffer is not None:
            del self._buffer[self.committed :]
        elif self._file is not None:
            self._file.truncate(self.committed)
            self._file.seek(self.committed)
        self.size = self.committed

    def commit(self) -> None:
        """Accept the bytes written so far and fold them into the hashes."""
        start, stop = self.committed, self.size
        if self._buffer is not None:
            for offset in range(start, stop, PIECE):
                self._update(bytes(self._buffer[offset : min(stop, offset + PIECE)]))
        elif self._file is not None:
            self._file.flush()
            fd = self._file.fileno()
            for offset in range(start, stop, PIECE):
                self._update(os.pread(fd, min(PIECE, stop - offset), offset))
        self.committed = stop

    def _update(self, piece: bytes) -> None:
        self._qx.update(piece)
        if self._sha1 is not None:
            self._sha1.update(piece)

    def finish(self) -> Blob:
        """Commit what was written and turn it into a blob."""
        self.commit()
        quickxor = base64.b64encode(self._qx.digest()).decode()
        sha1 = self._sha1.hexdigest().upper() if self._sha1 is not None else None
        if self._buffer is not None:
            return Blob(self.id, self.size, quickxor, sha1, data=bytes(self._buffer))
        assert self._file is not None and self._path is not None
        self._file.close()
        final = self._path.with_suffix("")
        os.replace(self._path, final)
        return Blob(self.id, self.size, quickxor, sha1, path=final)

    def discard(self) -> None:
        """Throw the content away."""
        self._buffer = None
        if self._file is not None:
            self._file.close()
            self._file = None
        if self._path is not None:
            self._path.unlink(missing_ok=True)
