"""The engine against OneDrive on the TLS Graph emulator: uploads and downloads under injected
faults, server-side copy and move (SharePoint's Office rewrites: test_finishing.py)."""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from core.backends.local import LocalBackend
from core.emulator import RequestRecord, RunningServer
from core.hashing import hash_file
from core.model import QUICKXOR
from core.paths import Location
from core.transfer import ItemState, JobKind, JobState, Journal, TransferEngine
from tests.engine.conftest import (
    Recorder,
    abandon,
    departed_owner,
    leftovers,
    read_tree,
    write_tree,
)
from tests.engine.od import od_backend, od_options, token_for

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def od_engine(server: RunningServer, engine_for) -> Callable[..., TransferEngine]:
    """``od_engine(**kwargs)``: remote "od" is the emulator's drive, ``None`` the local disk."""
    opts, token = od_options(server), token_for(server)
    return lambda **kwargs: engine_for(od_backend(opts, token), **kwargs)


def od(path: str) -> Location:
    return Location("od", path)


def local(p: Path) -> Location:
    return Location(None, str(p))


def random_tree(root: Path, files: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    for i in range(files):
        folder = root / f"d{i % 7}" / f"e{i % 3}"
        folder.mkdir(parents=True, exist_ok=True)
        size = rng.choice([0, 1, 100, 4000, 70_000, 330_000])
        (folder / f"f{i:03}.bin").write_bytes(rng.randbytes(size))
    # A few files large enough for upload sessions with several fragments.
    for i in range(3):
        (root / f"large{i}.bin").write_bytes(rng.randbytes(5 * 1024 * 1024 + i))


async def test_300_files_up_and_down_through_10_percent_faults_all_verified(
    tmp_path: Path, server: RunningServer, od_engine
):
    random_tree(tmp_path / "up", 297)
    faults = server.emulator.faults
    faults.retry_after = 0
    faults.throttle_rate, faults.error_rate, faults.drop_rate = 0.03, 0.04, 0.03
    eng = od_engine(workers=4)
    up = await eng.submit(JobKind.COPY, [local(tmp_path / "up")], od("/"))
    await eng.wait(up.id)
    assert up.state is JobState.DONE, [i.error for i in up.failed_items()]
    files = [i for i in up.items if i.kind.value == "file"]
    assert len(files) == 300
    log = server.emulator.requests
    injected = [r for r in log if r.fault]
    assert len(injected) >= 30  # faults really happened
    # Every file on the drive has the local file's size and QuickXorHash.
    remote = {}
    for folder in {
        f"/up/{p.parent.relative_to(tmp_path / 'up')}" for p in (tmp_path / "up").rglob("*.bin")
    }:
        async for page in eng.backend("od").list(folder.replace("/.", "")):
            remote.update({e.path: e for e in page if not e.is_dir})
    for p in (tmp_path / "up").rglob("*.bin"):
        entry = remote[f"/up/{p.relative_to(tmp_path / 'up')}"]
        assert (entry.size, entry.hash(QUICKXOR)) == (p.stat().st_size, hash_file(p)), p
    down = await eng.submit(JobKind.COPY, [od("/up")], local(tmp_path / "down"))
    await eng.wait(down.id)
    assert down.state is JobState.DONE, [i.error for i in down.failed_items()]
    assert read_tree(tmp_path / "down") == read_tree(tmp_path / "up")
    assert leftovers(tmp_path) == []


async def test_upload_and_download_keep_mtimes_to_the_second(tmp_path, od_engine):
    write_tree(tmp_path / "src", {"a.txt": b"a" * 10, "big.bin": os.urandom(5_000_000)})
    for p in (tmp_path / "src").iterdir():
        os.utime(p, ns=(1_500_000_000_700_000_000, 1_500_000_000_700_000_000))
    eng = od_engine()
    job = await eng.submit(JobKind.COPY, [local(tmp_path / "src")], od("/src"))
    await eng.wait(job.id)
    for name in ("a.txt", "big.bin"):
        entry = await eng.backend("od").stat(f"/src/{name}")
        assert entry.modified is not None and int(entry.modified.timestamp()) == 1_500_000_000
    back = await eng.submit(JobKind.COPY, [od("/src")], local(tmp_path / "back"))
    await eng.wait(back.id)
    for name in ("a.txt", "big.bin"):
        assert int((tmp_path / "back" / name).stat().st_mtime) == 1_500_000_000


async def test_same_drive_copy_and_move_send_no_bytes_through_the_client(
    tmp_path: Path, server: RunningServer, od_engine
):
    em = server.emulator
    em.put_file("tree/a.txt", b"alpha")
    em.put_file("tree/sub/b.bin", os.urandom(100_000))
    eng = od_engine()
    plan = await eng.submit(JobKind.COPY, [od("/tree")], od("/copy"), dry_run=True)
    assert plan.plan is not None and plan.plan.method == "server"
    em.requests.clear()
    job = await eng.submit(JobKind.COPY, [od("/tree")], od("/copy"))
    await eng.wait(job.id)
    assert job.state is JobState.DONE, [i.error for i in job.failed_items()]
    assert em.read("copy/sub/b.bin") == em.read("tree/sub/b.bin")
    job = await eng.submit(JobKind.MOVE, [od("/copy")], od("/moved"))
    await eng.wait(job.id)
    assert job.state is JobState.DONE
    assert em.read("moved/a.txt") == b"alpha"
    paths = [r.path for r in em.requests]
    assert not [p for p in paths if "/up/" in p or "/dl/" in p or p.endswith("/content")]
    assert [r for r in em.requests if r.method == "POST" and r.path.endswith("/copy")]
    with pytest.raises(Exception):  # noqa: B017 - gone from its old place
        em.item("copy")


async def test_move_up_deletes_local_sources_only_after_verified_upload(tmp_path, od_engine):
    write_tree(tmp_path / "src", {"a.txt": b"a", "sub": {"b.txt": b"b" * 5000}})
    eng = od_engine()
    job = await eng.submit(JobKind.MOVE, [local(tmp_path / "src")], od("/moved"))
    await eng.wait(job.id)
    assert job.state is JobState.DONE
    assert not (tmp_path / "src").exists()
    entry = await eng.backend("od").stat("/moved/sub/b.txt")
    assert entry.size == 5000


async def test_throttled_drive_slows_the_engine_and_everything_finishes(
    tmp_path: Path, server: RunningServer, od_engine
):
    write_tree(tmp_path / "src", {f"f{i:02}.txt": os.urandom(2000) for i in range(30)})
    faults = server.emulator.faults
    faults.fail_next(1, 429, retry_after=1, method="PUT")  # the drive says: wait a second
    faults.fail_next(6, 429, retry_after=0, method="PUT")
    rec = Recorder()
    eng = od_engine(workers=4, on_progress=rec, progress_interval=0.02)
    job = await eng.submit(JobKind.COPY, [local(tmp_path / "src")], od("/t"))
    await eng.wait(job.id)
    assert job.state is JobState.DONE
    assert len(server.emulator.requests.matching("PUT", status=429)) == 7
    # The backend's pacer closed its gate; the engine showed it and lowered concurrency.
    throttled = [s for s in rec.snapshots if s.state is JobState.THROTTLED]
    assert throttled and throttled[0].throttled_until is not None
    assert min(s.concurrency for s in throttled) < 4


@pytest.mark.parametrize("stop", ["cancel", "pause"])
async def test_a_job_stopped_during_a_long_throttle_stops_at_once(
    tmp_path: Path, server: RunningServer, od_engine, stop: str
):
    write_tree(tmp_path / "src", {f"f{i}.txt": os.urandom(2000) for i in range(6)})
    # The drive asks for two minutes of quiet: pause and cancel must not sit through them.
    server.emulator.faults.fail_next(1, 429, retry_after=120, method="PUT")
    rec = Recorder()
    eng = od_engine(workers=2, on_progress=rec, progress_interval=0.02)
    job = await eng.submit(JobKind.COPY, [local(tmp_path / "src")], od("/t"))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 60
    while not server.emulator.requests.matching("PUT", status=429) and loop.time() < deadline:
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.3)  # every worker is now waiting on the drive's gate
    # "At once" means well inside the 120 s the drive asked for; the limit is generous so a
    # busy machine cannot fail the test, and still far from sitting the throttle out.
    started = loop.time()
    if stop == "cancel":
        eng.cancel(job.id)
        await asyncio.wait_for(eng.wait(job.id), timeout=60)
        assert job.state is JobState.CANCELLED
    else:
        eng.pause(job.id)
        while any(i.state is ItemState.RUNNING for i in job.items) and loop.time() < started + 60:
            await asyncio.sleep(0.02)
        assert job.state is JobState.PAUSED
        assert not any(i.state is ItemState.RUNNING for i in job.items)
    assert loop.time() - started < 60
    assert all(i.state is not ItemState.FAILED for i in job.items)


CHUNK = 10 * 1024 * 1024


@pytest.mark.large
async def test_kill_9_mid_200_mib_upload_then_resume_resends_at_most_one_fragment(
    tmp_path: Path, server: RunningServer, journal_path: Path
):
    size = 200 * 1024 * 1024
    src = tmp_path / "big.bin"
    with open(src, "wb") as f:
        for _ in range(size // CHUNK):
            f.write(os.urandom(CHUNK))
    em = server.emulator
    fragments_seen = threading.Event()
    real_append = em.requests.append

    def append(record: RequestRecord) -> None:  # a switch, not a sleep: kill after 5 fragments
        real_append(record)
        done = [r for r in em.requests if r.method == "PUT" and "/up/" in r.path]
        if sum(r.status == 202 for r in done) >= 5:
            fragments_seen.set()

    em.requests.append = append  # type: ignore[method-assign]
    opts, token = od_options(server), token_for(server)
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.engine.upload_child",
            json.dumps(opts),
            token,
            str(src),
            "/big.bin",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "SKYPANE_STATE_DIR": str(journal_path.parent)},
    )
    try:
        assert child.stdout is not None
        job_id = (await asyncio.to_thread(child.stdout.readline)).strip()
        assert await asyncio.to_thread(fragments_seen.wait, 120)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        await asyncio.to_thread(child.wait, 30)
    em.requests.append = real_append  # type: ignore[method-assign]
    before = len(em.requests)

    backend = od_backend(opts, token)
    eng = TransferEngine(lambda r: backend if r == "od" else LocalBackend(), Journal(journal_path))
    try:
        [job] = await eng.resume_unfinished()
        assert job.id == job_id
        await eng.wait(job.id)
    finally:
        await eng.close()
    assert job.state is JobState.DONE, job.error
    assert em.item("big.bin").current.blob.size == size  # type: ignore[union-attr]
    check = od_backend(opts, token)
    try:
        entry = await check.stat("/big.bin")
    finally:
        await check.close()
    assert entry.hash(QUICKXOR) == hash_file(src)
    puts = [r for r in em.requests if r.method == "PUT" and "/up/" in r.path]
    accepted = [r for r in puts if r.status in (200, 201, 202)]
    fragments = size // CHUNK
    assert len(accepted) == fragments  # no fragment stored twice
    assert len(puts) <= fragments + 1  # at most the one cut by the kill is sent again
    after = list(em.requests)[before:]
    assert not [r for r in after if r.method == "POST" and "createUploadSession" in r.path]


async def test_full_disk_on_download_fails_clearly_and_leaves_no_partial_file(
    tmp_path: Path, server: RunningServer, od_engine, disk_full_after
):
    server.emulator.put_file("dl/big.bin", os.urandom(3_000_000))
    server.emulator.put_file("dl/small.txt", b"small")
    disk_full_after(1_000_000)
    eng = od_engine(workers=1)
    job = await eng.submit(JobKind.COPY, [od("/dl")], local(tmp_path / "down"))
    await eng.wait(job.id)
    assert job.state is JobState.FAILED
    assert "destination is full" in (job.error or "") and "no space left" in (job.error or "")
    assert leftovers(tmp_path) == [] and not (tmp_path / "down" / "big.bin").exists()


async def test_permission_denied_by_the_drive_fails_that_item_without_retries(
    tmp_path: Path, server: RunningServer, od_engine
):
    write_tree(tmp_path / "src", {"locked.txt": b"l", "open.txt": b"o"})
    server.emulator.faults.fail_next(1, 403, retry_after=None, path="locked.txt")
    eng = od_engine()
    job = await eng.submit(JobKind.COPY, [local(tmp_path / "src")], od("/p"))
    await eng.wait(job.id)
    assert job.state is JobState.FAILED
    [failed] = job.failed_items()
    assert failed.dst_path.endswith("locked.txt") and failed.attempts == 1
    assert "denied" in (failed.error or "").lower()
    assert server.emulator.read("p/open.txt") == b"o"


@pytest.mark.parametrize(
    ("policy", "replaced"),
    [
        ("overwrite", {"differ.txt", "bigger.txt", "same.txt"}),
        ("skip", set()),
        ("size_differs", {"bigger.txt"}),
        ("same_hash_skip", {"differ.txt", "bigger.txt"}),
        ("newer", {"differ.txt", "bigger.txt", "same.txt"}),
    ],
)
async def test_conflict_policies_against_the_drive(
    tmp_path: Path, server: RunningServer, od_engine, policy, replaced
):
    old = {"same.txt": b"same", "differ.txt": b"BBBB", "bigger.txt": b"short"}
    new = {"same.txt": b"same", "differ.txt": b"AAAA", "bigger.txt": b"longer content"}
    from datetime import UTC, datetime

    for name, data in old.items():
        server.emulator.put_file(f"c/{name}", data, modified=datetime(2001, 1, 1, tzinfo=UTC))
    write_tree(tmp_path / "c", new)  # local files are newer (now)
    eng = od_engine()
    job = await eng.submit(JobKind.COPY, [local(tmp_path / "c")], od("/"), policy=policy)
    await eng.wait(job.id)
    assert job.state is JobState.DONE
    changed = {n for n in old if server.emulator.read(f"c/{n}") == new[n] and new[n] != old[n]}
    assert changed == replaced - {"same.txt"}
    skipped = {Path(i.dst_path).name for i in job.items if i.state is ItemState.SKIPPED}
    assert skipped == set(old) - replaced


async def test_symlink_loops_in_an_upload_do_not_hang(tmp_path: Path, od_engine):
    write_tree(tmp_path / "s", {"a.txt": b"a", "sub": {"b.txt": b"b"}})
    os.symlink(tmp_path / "s", tmp_path / "s" / "sub" / "loop")
    os.symlink("x", tmp_path / "s" / "y")
    os.symlink("y", tmp_path / "s" / "x")
    eng = od_engine()
    job = await asyncio.wait_for(
        eng.submit(JobKind.COPY, [local(tmp_path / "s")], od("/s")), timeout=10
    )
    await asyncio.wait_for(eng.wait(job.id), timeout=20)
    assert job.state is JobState.DONE
    assert job.plan is not None and len(job.plan.problems) == 3
    names = set()
    async for page in eng.backend("od").list("/s"):
        names |= {e.name for e in page}
    assert names == {"a.txt", "sub"}


class CountingReads:
    """Delegates to a backend; counts what ``open_read`` yields and can stall after ``stall_after``."""

    def __init__(self, inner: Any, stall_after: int | None = None) -> None:
        self._inner = inner
        self.stall_after = stall_after
        self.stalled = asyncio.Event()
        self.bytes_read = 0
        self.offsets: list[int] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def open_read(self, path: str, offset: int = 0) -> AsyncIterator[bytes]:
        self.offsets.append(offset)
        pos = offset
        async for chunk in self._inner.open_read(path, offset):
            if self.stall_after is not None and pos >= self.stall_after:
                self.stalled.set()
                await asyncio.Event().wait()  # the "process" hangs here until it is killed
            pos += len(chunk)
            self.bytes_read += len(chunk)
            yield chunk


async def test_download_interrupted_by_a_crash_resumes_from_the_part_file(
    tmp_path: Path, server: RunningServer, journal_path: Path
):
    data = os.urandom(12 * 1024 * 1024)
    server.emulator.put_file("dl/big.bin", data)
    opts, token = od_options(server), token_for(server)
    stalling = CountingReads(od_backend(opts, token), stall_after=5 * 1024 * 1024)
    first = TransferEngine(  # its lease names a process that is gone, as after a real crash
        lambda r: stalling if r == "od" else LocalBackend(),
        Journal(journal_path),
        owner=departed_owner(),
    )
    job = await first.submit(JobKind.COPY, [od("/dl/big.bin")], local(tmp_path / "big.bin"))
    await stalling.stalled.wait()
    abandon(first)  # the process dies: no clean-up of any kind
    [part] = leftovers(tmp_path)
    kept = Path(part).stat().st_size
    assert kept >= 5 * 1024 * 1024

    counting = CountingReads(od_backend(opts, token))
    second = TransferEngine(
        lambda r: counting if r == "od" else LocalBackend(), Journal(journal_path)
    )
    try:
        [again] = await second.resume_unfinished()
        await second.wait(again.id)
    finally:
        await second.close()
        await stalling.close()
    assert again.id == job.id and again.state is JobState.DONE
    assert (tmp_path / "big.bin").read_bytes() == data
    assert counting.offsets == [kept] and counting.bytes_read == len(data) - kept
    assert leftovers(tmp_path) == []
