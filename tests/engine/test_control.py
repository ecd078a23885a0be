"""Pause, resume, cancel, retry of failed items; the journal and resuming after a crash."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import stat
from datetime import UTC, datetime
from pathlib import Path

from core.paths import Location
from core.transfer import (
    ConflictPolicy,
    ItemState,
    Job,
    JobKind,
    JobState,
    Journal,
    TransferEngine,
)
from tests.engine.conftest import (
    Corrupting,
    Gated,
    Recorder,
    abandon,
    departed_owner,
    leftovers,
    read_tree,
    write_tree,
)

BIG = 5 * 1024 * 1024
HALF = 2 * 1024 * 1024


def loc(p: Path) -> Location:
    return Location(None, str(p))


def big_tree(tmp_path: Path) -> bytes:
    data = os.urandom(BIG)
    write_tree(tmp_path / "src", {"big.bin": data, "small.txt": b"small"})
    return data


async def test_pause_stops_at_a_chunk_boundary_and_resume_continues_from_the_part_file(
    tmp_path: Path, make_engine
):
    data = big_tree(tmp_path)
    backend = Gated("big.bin", after=HALF)
    rec = Recorder()
    eng = make_engine(backend, on_progress=rec, progress_interval=0.01)
    job = await eng.submit(JobKind.COPY, [loc(tmp_path / "src")], loc(tmp_path / "dst"))
    await backend.reached.wait()
    eng.pause(job.id)
    backend.gate.set()
    await rec.until(lambda s: s.state is JobState.PAUSED and not s.current)
    paused = eng.snapshot(job.id)
    big = next(i for i in job.items if i.src_path.endswith("big.bin"))
    assert big.state is ItemState.PENDING and big.resume is not None
    part = Path(big.resume["part"])
    kept = part.stat().st_size
    # the panel shows the bytes the part file holds, and no speed while nothing moves
    assert paused.bytes_done >= HALF and paused.rate == 0.0 and paused.eta is None
    assert HALF <= kept < BIG and not (tmp_path / "dst" / "big.bin").exists()
    eng.resume(job.id)
    await eng.wait(job.id)
    assert job.state is JobState.DONE
    assert (tmp_path / "dst" / "big.bin").read_bytes() == data
    assert (big.src_path, kept) in backend.reads  # resumed from where the part ended
    assert leftovers(tmp_path) == []


async def test_cancel_discards_partial_writes_and_keeps_finished_items(tmp_path, make_engine):
    big_tree(tmp_path)
    backend = Gated("big.bin", after=HALF)
    eng = make_engine(backend)
    job = await eng.submit(JobKind.COPY, [loc(tmp_path / "src")], loc(tmp_path / "dst"))
    await backend.reached.wait()
    eng.cancel(job.id)
    backend.gate.set()
    await eng.wait(job.id)
    assert job.state is JobState.CANCELLED
    states = {Path(i.src_path).name: i.state for i in job.items}
    assert states["big.bin"] is ItemState.CANCELLED
    assert leftovers(tmp_path) == [] and not (tmp_path / "dst" / "big.bin").exists()


async def test_retry_failed_runs_only_the_failed_items_again(tmp_path: Path, make_engine):
    write_tree(tmp_path / "src", {"bad.bin": os.urandom(10_000), "good.txt": b"good"})
    backend = Corrupting(times=99, only="bad.bin")
    eng = make_engine(backend)
    job = await eng.submit(JobKind.COPY, [loc(tmp_path / "src")], loc(tmp_path / "dst"))
    await eng.wait(job.id)
    assert job.state is JobState.FAILED and len(job.failed_items()) == 1
    backend.left = 0  # the wire is fixed
    writes_before = len(backend.writes)
    eng.retry_failed(job.id)
    await eng.wait(job.id)
    assert job.state is JobState.DONE and job.error is None
    assert len(backend.writes) == writes_before + 1
    assert read_tree(tmp_path / "dst") == read_tree(tmp_path / "src")


def test_journal_file_is_private_and_in_wal_mode(tmp_path: Path):
    j = Journal()
    try:
        j.save_job(Job("j1", JobKind.COPY, (), None, ConflictPolicy.SKIP, datetime.now(UTC)))
        for side in ("-wal", "-shm"):  # SQLite creates these with the database's mode
            assert stat.S_IMODE(os.stat(str(j.path) + side).st_mode) == 0o600
        assert str(j.path).startswith(os.environ["SKYPANE_STATE_DIR"])
        assert stat.S_IMODE(j.path.stat().st_mode) == 0o600
        assert stat.S_IMODE(j.path.parent.stat().st_mode) == 0o700
        mode = sqlite3.connect(j.path).execute("PRAGMA journal_mode").fetchone()[0]
        assert mode == "wal"
    finally:
        j.close()


async def test_jobs_and_items_are_journaled_as_they_finish(tmp_path, make_engine, journal_path):
    write_tree(tmp_path / "src", {"a": b"a", "b": b"b"})
    eng = make_engine()
    job = await eng.submit(JobKind.COPY, [loc(tmp_path / "src")], loc(tmp_path / "dst"))
    await eng.wait(job.id)
    other = Journal(journal_path)
    try:
        stored = other.load_job(job.id)
        assert stored is not None and stored.state is JobState.DONE
        assert [(i.kind, i.dst_path, i.state) for i in stored.items] == [
            (i.kind, i.dst_path, i.state) for i in job.items
        ]
        assert other.job_ids(unfinished_only=True) == []
    finally:
        other.close()


async def test_after_a_crash_the_next_engine_resumes_from_the_part_file(
    tmp_path: Path, journal_path: Path
):
    data = big_tree(tmp_path)
    gated = Gated("big.bin", after=HALF)
    # Its lease names a process that is gone, as after a real crash. One worker: a crash
    # kills the process's threads too, but here a write thread of another item (small.txt)
    # would go on renaming its part file under the second engine's feet.
    first = TransferEngine(
        lambda r: gated, Journal(journal_path), workers=1, owner=departed_owner()
    )
    job = await first.submit(JobKind.COPY, [loc(tmp_path / "src")], loc(tmp_path / "dst"))
    await gated.reached.wait()
    abandon(first)
    await asyncio.sleep(0)

    reader = Gated("nothing", after=0)
    reader.gate.set()
    second = TransferEngine(lambda r: reader, Journal(journal_path))
    try:
        resumed = await second.resume_unfinished()
        assert [j.id for j in resumed] == [job.id]
        await second.wait(job.id)
        again = second.job(job.id)
        assert again.state is JobState.DONE, [(i.src_path, i.error) for i in again.failed_items()]
        assert (tmp_path / "dst" / "big.bin").read_bytes() == data
        assert (tmp_path / "dst" / "small.txt").read_bytes() == b"small"
        resumed_from = [off for path, off in reader.reads if path.endswith("big.bin") and off]
        assert resumed_from and resumed_from[0] >= HALF  # not sent again from the start
        assert leftovers(tmp_path) == []
    finally:
        await second.close()


async def test_memory_stays_bounded_whatever_the_file_sizes(tmp_path: Path, make_engine):
    """Four workers copying 4 × 32 MiB hold a few 1 MiB chunks each, never whole files."""
    import tracemalloc

    for i in range(4):
        with open(tmp_path / f"f{i}.bin", "wb") as f:
            for _ in range(32):
                f.write(os.urandom(1024 * 1024))
    (tmp_path / "dst").mkdir()
    eng = make_engine(workers=4)
    tracemalloc.start()
    try:
        job = await eng.submit(
            JobKind.COPY, [loc(tmp_path / f"f{i}.bin") for i in range(4)], loc(tmp_path / "dst")
        )
        await eng.wait(job.id)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert job.state is JobState.DONE
    assert peak < 16 * 1024 * 1024, peak  # 128 MiB moved
