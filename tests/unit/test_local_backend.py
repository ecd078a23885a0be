"""What the local backend must get right beyond the shared contract."""

from __future__ import annotations

import errno
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from core import errors
from core.backend import WriteRequest
from core.backends.local import PART_SUFFIX, LocalBackend


async def names(backend: LocalBackend, path: str) -> dict[str, object]:
    out = {}
    async for page in backend.list(path):
        for e in page:
            out[e.name] = e
    return out


class Recorder:
    """A ``WriteProgress`` that counts the bytes and keeps the checkpoints it is given."""

    def __init__(self, checkpoints: list[dict]) -> None:
        self.done = 0
        self.checkpoints = checkpoints

    def advance(self, n: int) -> None:
        self.done += n

    def checkpoint(self, state) -> None:
        self.checkpoints.append(dict(state))


def source(data: bytes):
    async def open_at(offset: int) -> AsyncIterator[bytes]:
        yield data[offset:]

    return open_at


async def test_names_that_are_not_utf8_survive_a_round_trip(tmp_path: Path) -> None:
    raw = os.fsencode(str(tmp_path)) + b"/caf\xe9-\xff.txt"
    with open(raw, "wb") as f:
        f.write(b"latin-1 name")
    backend = LocalBackend()
    entries = await names(backend, str(tmp_path))
    (entry,) = entries.values()
    assert os.fsencode(entry.path) == raw
    data = b"".join([c async for c in backend.open_read(entry.path)])
    assert data == b"latin-1 name"
    moved = await backend.move(entry.path, entry.path + ".bak")
    assert os.path.exists(os.fsencode(moved.path))


async def test_symlinks_are_shown_as_links(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    (tmp_path / "dangling").symlink_to(tmp_path / "missing")
    entries = await names(LocalBackend(), str(tmp_path))
    assert entries["link"].is_link and entries["link"].is_dir
    assert entries["link"].link_target == str(tmp_path / "real")
    assert entries["dangling"].is_link and not entries["dangling"].is_dir
    assert not entries["real"].is_link


async def test_symlink_loop_lists_without_hanging(tmp_path: Path) -> None:
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    (tmp_path / "self").symlink_to(tmp_path)
    entries = await names(LocalBackend(), str(tmp_path))
    assert entries["a"].is_link and not entries["a"].is_dir
    assert entries["self"].is_link and entries["self"].is_dir


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores permissions")
async def test_permission_denied_names_the_path(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0)
    try:
        with pytest.raises(errors.PermissionDenied, match="locked"):
            await names(LocalBackend(), str(locked))
    finally:
        locked.chmod(0o700)


async def test_permission_errors_map_with_path(tmp_path: Path, monkeypatch) -> None:
    def denied(path, *a, **k):
        raise PermissionError(errno.EACCES, "Permission denied", path)

    monkeypatch.setattr(os, "scandir", denied)
    with pytest.raises(errors.PermissionDenied) as info:
        await names(LocalBackend(), str(tmp_path))
    assert str(tmp_path) in str(info.value)


async def test_missing_path_is_not_found_with_path(tmp_path: Path) -> None:
    with pytest.raises(errors.NotFound) as info:
        await LocalBackend().stat(str(tmp_path / "gone"))
    assert "gone" in str(info.value)


async def test_mtime_keeps_nanoseconds(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"x")
    ns = 1_600_000_000_123_456_789
    os.utime(path, ns=(ns, ns))
    entry = await LocalBackend().stat(str(path))
    assert entry.mtime_ns == ns
    backend = LocalBackend()
    await backend.write(str(tmp_path / "g"), source(b"y"), WriteRequest(size=1, modified_ns=ns))
    assert os.stat(tmp_path / "g").st_mtime_ns == ns


async def test_full_disk_leaves_no_partial_file(tmp_path: Path, monkeypatch) -> None:
    real_write = os.write
    calls = {"n": 0}

    def filling_write(fd, data):
        calls["n"] += 1
        if calls["n"] > 1:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    async def two_chunks(offset: int) -> AsyncIterator[bytes]:
        yield b"a" * 10
        yield b"b" * 10

    monkeypatch.setattr(os, "write", filling_write)
    with pytest.raises(errors.QuotaExceeded, match="no space"):
        await LocalBackend().write(str(tmp_path / "big"), two_chunks, WriteRequest(size=20))
    assert list(tmp_path.iterdir()) == []


async def test_write_resumes_from_part_file(tmp_path: Path) -> None:
    data = bytes(range(256)) * 40
    checkpoints: list[dict] = []

    async def dying(offset: int) -> AsyncIterator[bytes]:
        yield data[:4000]
        raise ConnectionError("source went away")

    backend = LocalBackend()
    target = str(tmp_path / "out.bin")
    with pytest.raises(ConnectionError):
        await backend.write(target, dying, WriteRequest(size=len(data)), Recorder(checkpoints))
    part = checkpoints[-1]["part"]
    assert part.endswith(PART_SUFFIX) and os.path.getsize(part) == 4000

    offsets: list[int] = []

    async def rest(offset: int) -> AsyncIterator[bytes]:
        offsets.append(offset)
        yield data[offset:]

    progress = Recorder(checkpoints)
    entry = await backend.write(
        target, rest, WriteRequest(size=len(data), resume={"part": part}), progress
    )
    assert offsets == [4000]
    assert progress.done == len(data)
    assert Path(target).read_bytes() == data
    from core.hashing import quickxor_of

    assert entry.hashes["quickxor"] == quickxor_of(data)
    assert not os.path.exists(part)


async def test_trash_goes_to_the_desktop_trash(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me somewhere")
    await LocalBackend().trash(str(victim))
    assert not victim.exists()
    trash = Path(os.environ["XDG_DATA_HOME"]) / "Trash" / "files"
    assert [p.read_text() for p in trash.iterdir()] == ["keep me somewhere"]


async def test_remove_is_permanent_and_never_follows_links(tmp_path: Path) -> None:
    keep = tmp_path / "keep"
    keep.mkdir()
    (keep / "file").write_text("x")
    (tmp_path / "link").symlink_to(keep)
    await LocalBackend().remove(str(tmp_path / "link"), recursive=True)
    assert (keep / "file").exists()


async def test_check_path_limits(tmp_path: Path) -> None:
    backend = LocalBackend()
    with pytest.raises(errors.PathTooLong):
        backend.check_path(str(tmp_path / ("x" * 300)))
    with pytest.raises(errors.InvalidName):
        backend.check_path(str(tmp_path / "a\x00b"))
    backend.check_path(str(tmp_path / "fine.txt"))


async def test_a_slow_write_by_ranges_checkpoints_by_time(tmp_path: Path, monkeypatch) -> None:
    """A link too slow to fill a checkpoint's bytes still journals what each range holds,
    every ``RANGE_CHECKPOINT_SECONDS``: a crash then costs seconds of work, not megabytes."""
    import asyncio

    from core.backends import local as local_module
    from core.hashing import quickxor_of

    monkeypatch.setattr(local_module, "RANGE_CHECKPOINT_SECONDS", 0.05)
    data = os.urandom(64 * 1024)
    saved: list[list[list[int]]] = []

    class Progress:
        def advance(self, n: int) -> None:
            pass

        def checkpoint(self, state) -> None:
            saved.append([list(r) for r in state["ranges"]])

    class Slow:
        def __call__(self, offset: int) -> AsyncIterator[bytes]:
            return self.read_range(offset, len(data))

        async def read_range(self, offset: int, end: int) -> AsyncIterator[bytes]:
            for pos in range(offset, end, 1024):
                await asyncio.sleep(0.02)  # 1 KiB every 20 ms: far below RANGE_CHECKPOINT
                yield data[pos : min(pos + 1024, end)]

    target = tmp_path / "slow.bin"
    request = WriteRequest(
        size=len(data), streams=4, expected_hashes={"quickxor": quickxor_of(data)}
    )
    await LocalBackend().write(str(target), Slow(), request, Progress())
    assert target.read_bytes() == data
    stored = [sum(r[2] for r in ranges) for ranges in saved]
    assert stored[0] == 0 and stored[-1] == len(data)  # the start and the end
    # In between: checkpoints of part of the file, each holding more than the one before.
    between = stored[1:-1]
    assert between and all(0 < n < len(data) for n in between), stored
    assert between == sorted(between), stored
    assert len(data) < local_module.RANGE_CHECKPOINT  # so these came by time, not by bytes


async def test_a_small_file_is_received_whole_before_its_part_file_is_made(
    tmp_path: Path,
) -> None:
    """Up to ``SMALL`` bytes, nothing touches the disk until the last byte came: no part file
    to journal (no checkpoint), one trip to a thread that creates, syncs and renames."""
    from core.backends.local import SMALL
    from core.hashing import quickxor_of

    data = os.urandom(16 * 1024)
    seen_on_disk: list[list[str]] = []
    checkpoints: list[dict] = []

    async def pieces(offset: int) -> AsyncIterator[bytes]:
        for pos in range(offset, len(data), 4096):
            seen_on_disk.append(os.listdir(tmp_path))
            yield data[pos : pos + 4096]
        seen_on_disk.append(os.listdir(tmp_path))

    progress = Recorder(checkpoints)
    request = WriteRequest(
        size=len(data), expected_hashes={"quickxor": quickxor_of(data)}, mode=0o640
    )
    target = tmp_path / "small.bin"
    entry = await LocalBackend().write(str(target), pieces, request, progress)
    assert len(data) <= SMALL
    assert seen_on_disk == [[]] * 5 and checkpoints == []
    assert target.read_bytes() == data and progress.done == len(data)
    assert entry.hashes["quickxor"] == quickxor_of(data) and entry.size == len(data)
    assert os.listdir(tmp_path) == ["small.bin"]

    # Bytes that do not match the source's hash are never written at all.
    bad = WriteRequest(size=len(data), expected_hashes={"quickxor": quickxor_of(b"x")})
    with pytest.raises(errors.IntegrityError):
        await LocalBackend().write(str(tmp_path / "bad.bin"), pieces, bad, Recorder(checkpoints))
    assert os.listdir(tmp_path) == ["small.bin"]
