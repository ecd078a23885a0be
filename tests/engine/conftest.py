"""Engine test helpers: sample trees, an engine factory and backends that misbehave on cue.

The wrapping backends delegate to the real local backend and change one thing each
(corrupt bytes, throttle, hold a write at a gate, refuse a path), so every test still goes
through real files, the real local write path and the real SQLite journal.
"""

from __future__ import annotations

import asyncio
import errno
import os
import subprocess
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

import core.backends.local as local_mod
from core import errors
from core.backend import ByteSource, WriteProgress, WriteRequest
from core.backends.local import LocalBackend
from core.emulator import Emulator, EmulatorConfig, RunningServer, start_server
from core.model import Entry
from core.transfer import Journal, ProgressSnapshot, TransferEngine
from core.transfer.lease import Owner, host_name


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "large: moves hundreds of MiB (runs by default, ~10 s)")


def write_tree(root: Path, spec: dict[str, Any]) -> None:
    """``{"a.txt": b"..", "sub": {"b": b".."}}`` → files and folders under ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    for name, value in spec.items():
        if isinstance(value, dict):
            write_tree(root / name, value)
        else:
            (root / name).write_bytes(value)


def read_tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` as relative path → bytes (links not followed)."""
    out: dict[str, bytes] = {}
    for dirpath, _dirs, files in os.walk(root):
        for f in files:
            p = Path(dirpath) / f
            if not p.is_symlink():
                out[str(p.relative_to(root))] = p.read_bytes()
    return out


def leftovers(root: Path) -> list[str]:
    """Part files a write left behind."""
    return [str(p) for p in root.rglob("*.skypane-part")]


SAMPLE: dict[str, Any] = {
    "a.txt": b"alpha\n",
    "empty": b"",
    "big.bin": bytes(range(256)) * 12_000,  # ~3 MiB: several read chunks
    "docs": {"b.md": b"# bee\n" * 100, "deep": {"c.dat": os.urandom(70_000)}},
    "emptydir": {},
}


class Recorder:
    """Progress sink that keeps every snapshot and lets tests await a condition."""

    def __init__(self) -> None:
        self.snapshots: list[ProgressSnapshot] = []
        self._waiters: list[tuple[Callable[[ProgressSnapshot], bool], asyncio.Future[None]]] = []

    def __call__(self, snap: ProgressSnapshot) -> None:
        self.snapshots.append(snap)
        for cond, fut in list(self._waiters):
            if not fut.done() and cond(snap):
                fut.set_result(None)

    async def until(self, cond: Callable[[ProgressSnapshot], bool]) -> None:
        if any(cond(s) for s in self.snapshots):
            return
        fut = asyncio.get_running_loop().create_future()
        self._waiters.append((cond, fut))
        await asyncio.wait_for(fut, 10)


class Wrapped:
    """Delegates everything to a real ``LocalBackend``; subclasses override one behaviour."""

    def __init__(self, inner: LocalBackend | None = None) -> None:
        self.inner = inner or LocalBackend()
        self.remote = self.inner.remote
        self.capabilities = self.inner.capabilities
        self.OPTIONS = self.inner.OPTIONS
        self.writes: list[str] = []
        self.reads: list[tuple[str, int]] = []
        self.bytes_read = 0

    def list(self, path: str) -> AsyncIterator[list[Entry]]:
        return self.inner.list(path)

    async def stat(self, path: str) -> Entry:
        return await self.inner.stat(path)

    async def open_read(self, path: str, offset: int = 0) -> AsyncIterator[bytes]:
        self.reads.append((path, offset))
        async for chunk in self.inner.open_read(path, offset):
            self.bytes_read += len(chunk)
            yield chunk

    async def write(
        self,
        path: str,
        source: ByteSource,
        request: WriteRequest,
        progress: WriteProgress | None = None,
    ) -> Entry:
        self.writes.append(path)
        return await self.inner.write(path, source, request, progress)

    async def mkdir(self, path: str, *, parents: bool = False) -> Entry:
        return await self.inner.mkdir(path, parents=parents)

    async def remove(self, path: str, *, recursive: bool = False) -> None:
        await self.inner.remove(path, recursive=recursive)

    async def move(self, src: str, dst: str) -> Entry:
        return await self.inner.move(src, dst)

    async def discard_write(self, path: str, state: Mapping[str, Any]) -> None:
        await self.inner.discard_write(path, state)

    async def set_modified(self, path: str, modified: Any) -> Entry:
        return await self.inner.set_modified(path, modified)

    def check_path(self, path: str, size: int | None = None) -> None:
        self.inner.check_path(path, size)

    async def close(self) -> None:
        await self.inner.close()


class Corrupting(Wrapped):
    """Flips one byte of what it writes, ``times`` times (a bad wire or disk)."""

    def __init__(self, times: int = 1, only: str | None = None) -> None:
        super().__init__()
        self.left = times
        self.only = only

    async def write(
        self,
        path: str,
        source: ByteSource,
        request: WriteRequest,
        progress: WriteProgress | None = None,
    ) -> Entry:
        self.writes.append(path)
        if self.left <= 0 or (self.only is not None and not path.endswith(self.only)):
            return await self.inner.write(path, source, request, progress)
        self.left -= 1

        async def bad(offset: int) -> AsyncIterator[bytes]:
            first = True
            async for chunk in source(offset):
                if first and chunk:
                    chunk = bytes([chunk[0] ^ 0xFF]) + chunk[1:]
                    first = False
                yield chunk

        return await self.inner.write(path, bad, request, progress)


class Throttling(Wrapped):
    """Answers the first ``times`` writes with ``Throttled(retry_after)``."""

    def __init__(self, times: int, retry_after: float = 0.05) -> None:
        super().__init__()
        self.left = times
        self.retry_after = retry_after
        self.max_active = 0
        self.active = 0

    async def write(
        self,
        path: str,
        source: ByteSource,
        request: WriteRequest,
        progress: WriteProgress | None = None,
    ) -> Entry:
        self.writes.append(path)
        self.active += 1
        self.max_active = max(self.max_active, self.active)
        try:
            await asyncio.sleep(0)  # let the other workers in, so concurrency is real
            if self.left > 0:
                self.left -= 1
                raise errors.Throttled("too many requests", retry_after=self.retry_after)
            return await self.inner.write(path, source, request, progress)
        finally:
            self.active -= 1


class Gated(Wrapped):
    """Reads of ``name`` stop after ``after`` bytes until ``gate`` opens; ``reached`` tells."""

    def __init__(self, name: str, after: int) -> None:
        super().__init__()
        self.name = name
        self.after = after
        self.gate = asyncio.Event()
        self.reached = asyncio.Event()

    async def open_read(self, path: str, offset: int = 0) -> AsyncIterator[bytes]:
        self.reads.append((path, offset))
        pos = offset
        async for chunk in self.inner.open_read(path, offset):
            if path.endswith(self.name) and pos >= self.after and not self.gate.is_set():
                self.reached.set()
                await self.gate.wait()
            self.bytes_read += len(chunk)
            pos += len(chunk)
            yield chunk


@pytest.fixture
def journal_path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "journal.sqlite3"


@pytest.fixture
async def make_engine(
    journal_path: Path,
) -> AsyncIterator[Callable[..., TransferEngine]]:
    """``make_engine(backend=None, **kwargs)``: an engine over one backend for every remote."""
    made: list[TransferEngine] = []

    def factory(backend: Any = None, *, journal: bool = True, **kwargs: Any) -> TransferEngine:
        b = backend or LocalBackend()
        kwargs.setdefault("retry_backoff", 0.0)
        eng = TransferEngine(lambda remote: b, Journal(journal_path) if journal else None, **kwargs)
        made.append(eng)
        return eng

    yield factory
    for eng in made:
        await eng.close()
        if eng.journal is not None:
            eng.journal.close()


@pytest.fixture
def server() -> Iterator[RunningServer]:
    """A Personal drive on the Graph emulator, served over TLS for this test alone."""
    em = Emulator(EmulatorConfig(flavour="personal", device_code_interval=0))
    with start_server(em) as running:
        yield running
    em.close()


@pytest.fixture
async def engine_for(journal_path: Path) -> AsyncIterator[Callable[..., TransferEngine]]:
    """``engine_for(od, **kwargs)``: an engine where remote "od" is ``od`` and ``None`` the
    local disk (no back-off between an item's tries unless ``retry_backoff`` says so).
    ``od`` may also be a dict of remote name → backend ("local" replaces the local disk)."""
    made: list[TransferEngine] = []

    def factory(od: Any, **kwargs: Any) -> TransferEngine:
        kwargs.setdefault("retry_backoff", 0.0)
        remotes: dict[str, Any] = od if isinstance(od, dict) else {}
        local = remotes.get("local") or LocalBackend()
        eng = TransferEngine(
            lambda r: local if r is None or r == "local" else remotes.get(r, od),
            Journal(journal_path),
            **kwargs,
        )
        made.append(eng)
        return eng

    yield factory
    for eng in made:
        await eng.close()
        assert eng.journal is not None
        eng.journal.close()


def abandon(eng: TransferEngine) -> None:
    """Simulate the process dying: tasks stop where they are, nothing is cleaned up."""
    for run in eng._runs.values():
        for task in [*run.running.values(), run.task]:
            if task is not None:
                task.cancel()
    for task in (eng._ticker, eng._heartbeat):
        if task is not None:
            task.cancel()


def departed_owner() -> Owner:
    """The lease owner of a process that has exited (a crash in a test that runs in-process)."""
    child = subprocess.Popen(["true"])
    child.wait()
    return Owner(child.pid, host_name(), 0.0, f"gone-{child.pid}")


def immutable(path: Path) -> bool:
    """Make ``path`` immutable (refused even to root); False where chattr is not allowed."""
    r = subprocess.run(["chattr", "+i", str(path)], capture_output=True)
    return r.returncode == 0


def mutable(path: Path) -> None:
    subprocess.run(["chattr", "-i", str(path)], capture_output=True)


@pytest.fixture
def disk_full_after(monkeypatch: pytest.MonkeyPatch):
    """The local backend's writes hit ENOSPC once a file passes ``limit`` bytes.

    No small filesystem can be mounted here (no loop devices, no tmpfs size we control), so
    the write syscall wrapper of the real local backend is made to fail the way write(2)
    does on a full disk; everything above it (error mapping, part file removal, engine) is
    the real code.
    """
    real = local_mod._write_all

    def install(limit: int) -> None:
        def full(fd: int, data: bytes, path: str) -> None:
            if os.fstat(fd).st_size + len(data) > limit:
                local_mod.raise_mapped(OSError(errno.ENOSPC, "No space left on device"), path)
            real(fd, data, path)

        monkeypatch.setattr(local_mod, "_write_all", full)

    return install
