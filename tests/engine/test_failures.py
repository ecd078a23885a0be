"""Things going wrong: corruption, a full disk, refused permissions, throttling."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from core.paths import Location
from core.transfer import ItemState, JobKind, JobState
from tests.engine.conftest import (
    SAMPLE,
    Corrupting,
    Recorder,
    Throttling,
    Wrapped,
    immutable,
    leftovers,
    mutable,
    read_tree,
    write_tree,
)


def loc(p: Path) -> Location:
    return Location(None, str(p))


async def test_a_corrupted_copy_is_removed_and_retried_once(tmp_path: Path, make_engine):
    write_tree(tmp_path / "src", {"file.bin": os.urandom(300_000)})
    backend = Corrupting(times=1)
    eng = make_engine(backend)
    job = await eng.submit(JobKind.COPY, [loc(tmp_path / "src")], loc(tmp_path / "dst"))
    await eng.wait(job.id)
    assert job.state is JobState.DONE
    item = next(i for i in job.items if i.src_path.endswith("file.bin"))
    assert item.attempts == 2 and backend.writes.count(item.dst_path) == 2
    assert read_tree(tmp_path / "dst") == read_tree(tmp_path / "src")


async def test_persistent_corruption_fails_with_a_clear_reason_and_keeps_the_source(
    tmp_path: Path, make_engine
):
    data = os.urandom(300_000)
    write_tree(tmp_path / "src", {"file.bin": data, "fine.txt": b"ok"})
    eng = make_engine(Corrupting(times=99, only="file.bin"))
    job = await eng.submit(
        JobKind.MOVE, [loc(tmp_path / "src")], Location("other", str(tmp_path / "dst"))
    )
    await eng.wait(job.id)
    assert job.state is JobState.FAILED and job.error == "1 item failed"
    bad = next(i for i in job.items if i.src_path.endswith("file.bin"))
    assert bad.state is ItemState.FAILED and bad.attempts == 2
    assert "verification failed" in (bad.error or "") and "QuickXorHash" in (bad.error or "")
    assert (tmp_path / "src" / "file.bin").read_bytes() == data  # the source is untouched
    assert not (tmp_path / "dst" / "file.bin").exists()  # the bad copy is gone
    assert (tmp_path / "dst" / "fine.txt").read_bytes() == b"ok"
    assert not (tmp_path / "src" / "fine.txt").exists()  # the good one was moved
    assert leftovers(tmp_path) == []


async def test_full_disk_fails_clearly_and_leaves_no_partial_file(
    tmp_path: Path, make_engine, disk_full_after
):
    write_tree(tmp_path / "src", {"a_big.bin": os.urandom(3_000_000), "b.txt": b"b", "c.txt": b"c"})
    disk_full_after(1_000_000)
    eng = make_engine(workers=1)
    job = await eng.submit(JobKind.COPY, [loc(tmp_path / "src")], loc(tmp_path / "dst"))
    await eng.wait(job.id)
    assert job.state is JobState.FAILED
    assert "destination is full" in (job.error or "") and "no space left" in (job.error or "")
    big = next(i for i in job.items if i.src_path.endswith("a_big.bin"))
    assert big.state is ItemState.FAILED and big.resume is None
    assert leftovers(tmp_path) == [] and not (tmp_path / "dst" / "a_big.bin").exists()
    # The job stopped: files after the full disk were not attempted (retry_failed resumes).
    assert [i.state for i in job.items if i.src_path.endswith(".txt")] == [ItemState.PENDING] * 2


async def test_permission_denied_at_the_destination_fails_those_items(tmp_path, make_engine):
    write_tree(tmp_path / "src", {"a.txt": b"a", "sub": {"b.txt": b"b"}})
    dst = tmp_path / "dst"
    write_tree(dst, {"sub": {}})
    if not immutable(dst / "sub"):
        pytest.skip("chattr +i is not permitted here")
    try:
        eng = make_engine()
        job = await eng.submit(
            JobKind.COPY,
            [loc(tmp_path / "src" / "a.txt"), loc(tmp_path / "src" / "sub")],
            loc(dst),
        )
        await eng.wait(job.id)
    finally:
        mutable(dst / "sub")
    assert job.state is JobState.FAILED
    failed = [i for i in job.items if i.state is ItemState.FAILED]
    assert [Path(i.dst_path).name for i in failed] == ["b.txt"]
    assert "permission denied" in (failed[0].error or "")
    assert (dst / "a.txt").read_bytes() == b"a"
    assert leftovers(tmp_path) == []


async def test_a_source_that_cannot_be_deleted_fails_the_move_after_a_verified_copy(
    tmp_path, make_engine
):
    write_tree(tmp_path / "src", {"a.txt": b"a"})
    if not immutable(tmp_path / "src"):
        pytest.skip("chattr +i is not permitted here")
    try:
        eng = make_engine(Wrapped())  # a backend that does not say it is the same storage
        job = await eng.submit(
            JobKind.MOVE, [loc(tmp_path / "src" / "a.txt")], Location("b", str(tmp_path / "dst"))
        )
        await eng.wait(job.id)
    finally:
        mutable(tmp_path / "src")
    item = job.items[0]
    assert item.state is ItemState.FAILED
    assert "copied and verified, but the source could not be deleted" in (item.error or "")
    assert (tmp_path / "src" / "a.txt").exists() and (tmp_path / "dst").read_bytes() == b"a"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
async def test_unreadable_source_fails_that_item_only(tmp_path: Path, make_engine):
    write_tree(tmp_path / "src", {"secret.txt": b"s", "open.txt": b"o"})
    (tmp_path / "src" / "secret.txt").chmod(0)
    eng = make_engine()
    job = await eng.submit(JobKind.COPY, [loc(tmp_path / "src")], loc(tmp_path / "dst"))
    await eng.wait(job.id)
    failed = [i for i in job.items if i.state is ItemState.FAILED]
    assert len(failed) == 1 and "permission denied" in (failed[0].error or "")
    assert read_tree(tmp_path / "dst") == {"open.txt": b"o"}


async def test_throttling_makes_everyone_wait_and_lowers_concurrency_then_recovers(
    tmp_path: Path, make_engine
):
    write_tree(tmp_path / "src", {f"f{i:02}": os.urandom(1000) for i in range(40)})
    backend = Throttling(times=6, retry_after=0.05)
    rec = Recorder()
    eng = make_engine(backend, workers=4, on_progress=rec, progress_interval=0.01)
    eng.limiter.recover_after = 0.02
    job = await eng.submit(JobKind.COPY, [loc(tmp_path / "src")], loc(tmp_path / "dst"))
    await eng.wait(job.id)
    assert job.state is JobState.DONE
    assert read_tree(tmp_path / "dst") == read_tree(tmp_path / "src")
    throttled = [s for s in rec.snapshots if s.state is JobState.THROTTLED]
    assert throttled and all(s.throttled_until is not None for s in throttled)
    assert min(s.concurrency for s in rec.snapshots) < 4
    assert eng.limiter.limit > min(s.concurrency for s in rec.snapshots)  # it recovered


async def test_sample_tree_survives_a_round_trip_through_a_flaky_writer(tmp_path, make_engine):
    write_tree(tmp_path / "src", SAMPLE)
    eng = make_engine(Corrupting(times=3))
    job = await eng.submit(JobKind.COPY, [loc(tmp_path / "src")], loc(tmp_path / "dst"))
    await eng.wait(job.id)
    assert job.state is JobState.DONE
    assert read_tree(tmp_path / "dst") == read_tree(tmp_path / "src")
