"""One job, one runner: the journal's lease, against the real SQLite file and real processes."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from core.backends.local import LocalBackend
from core.paths import Location
from core.transfer import (
    ConflictPolicy,
    Item,
    ItemKind,
    ItemState,
    Job,
    JobKind,
    JobState,
    Journal,
    TransferEngine,
)
from core.transfer.lease import STALE_AFTER, JobHeldElsewhere, Owner, host_name, process_started
from core.transfer.runner import JobRun
from tests.engine.conftest import Gated, departed_owner, read_tree, write_tree

ROOT = Path(__file__).resolve().parents[2]


def a_job(job_id: str = "j1") -> Job:
    job = Job(job_id, JobKind.COPY, (), None, ConflictPolicy.SKIP, datetime.now(UTC))
    job.items.append(Item(0, ItemKind.FILE, None, "/a", None, "/b", size=3))
    return job


def me() -> Owner:
    return Owner.current()


def other_host(heartbeat_age: float) -> tuple[Owner, float]:
    """An owner on another machine, and a heartbeat time ``heartbeat_age`` seconds ago."""
    return Owner(4242, "elsewhere.example", 1.0, "far-away"), time.time() - heartbeat_age


def test_a_job_held_by_a_live_process_is_refused_and_free_once_released(journal_path: Path):
    j = Journal(journal_path)
    first, second = me(), me()
    j.add_job(a_job(), first)
    claim = j.claim("j1", second)
    assert not claim.ok and claim.holder is not None
    assert claim.holder.pid == os.getpid() and claim.holder.token == first.token
    assert claim.holder.describe() == f"pid {os.getpid()}"
    j.release("j1", first)
    assert j.claim("j1", second).ok
    lease = j.lease("j1")
    assert lease is not None and lease.held_by(second)


def test_a_lease_whose_process_is_gone_is_taken_over(journal_path: Path):
    j = Journal(journal_path)
    dead = departed_owner()
    j.add_job(a_job(), dead)
    claim = j.claim("j1", me())
    assert claim.ok and claim.took_over is not None and claim.took_over.pid == dead.pid


def test_a_reused_process_id_does_not_keep_the_lease(journal_path: Path):
    # The id is alive (it is ours) but the process that took the lease started at another time.
    j = Journal(journal_path)
    started = process_started(os.getpid())
    assert started
    impostor = Owner(os.getpid(), host_name(), started - 3600, "before-a-reboot")
    j.add_job(a_job(), impostor)
    assert j.claim("j1", me()).ok


def test_another_hosts_lease_holds_while_its_heartbeat_is_fresh(journal_path: Path):
    j = Journal(journal_path)
    far, beat = other_host(heartbeat_age=STALE_AFTER / 2)
    j.add_job(a_job())
    assert j.claim("j1", far, now=beat).ok
    claim = j.claim("j1", me())
    assert claim.holder is not None and claim.holder.describe() == "pid 4242 on elsewhere.example"


def test_a_stale_lease_from_another_host_is_taken_over(journal_path: Path):
    j = Journal(journal_path)
    far, beat = other_host(heartbeat_age=STALE_AFTER + 60)
    j.add_job(a_job())
    assert j.claim("j1", far, now=beat).ok
    claim = j.claim("j1", me())
    assert claim.ok and claim.took_over is not None and claim.took_over.host == "elsewhere.example"


def test_an_owner_that_lost_its_lease_writes_nothing(journal_path: Path):
    j = Journal(journal_path)
    far, beat = other_host(heartbeat_age=STALE_AFTER + 60)
    job = a_job()
    j.add_job(job)
    j.claim("j1", far, now=beat)
    assert j.claim("j1", me()).ok  # taken over while the far one slept
    job.state, job.items[0].state = JobState.FAILED, ItemState.FAILED
    assert not j.update_job(job, far)
    assert not j.update_item("j1", job.items[0], far)
    assert not j.save_job(job, far)
    assert j.renew(far, {"j1": 3}) == set()
    stored = j.load_job("j1")
    assert stored is not None and stored.state is JobState.QUEUED
    assert stored.items[0].state is ItemState.PENDING


def test_a_done_job_and_a_done_item_stay_done(journal_path: Path):
    j = Journal(journal_path)
    owner = me()
    job = a_job()
    j.add_job(job, owner)
    job.state, job.items[0].state = JobState.DONE, ItemState.DONE
    assert j.update_job(job, owner) and j.update_item("j1", job.items[0], owner)
    job.state, job.items[0].state, job.error = JobState.FAILED, ItemState.FAILED, "no such file"
    assert j.update_job(job, owner) and j.update_item("j1", job.items[0], owner)
    stored = j.load_job("j1")
    assert stored is not None and stored.state is JobState.DONE
    assert stored.items[0].state is ItemState.DONE


CLAIMER = """
import sys, time
from pathlib import Path
from core.transfer import Journal
from core.transfer.lease import Owner
go = Path(sys.argv[2])
while not go.exists():
    time.sleep(0.001)
claim = Journal(sys.argv[1]).claim("j1", Owner.current())
print("ok" if claim.ok else "held", flush=True)
sys.stdin.read()  # stay alive (holding the lease) until the test lets go
"""


def test_processes_claiming_together_get_exactly_one_winner(tmp_path: Path, journal_path: Path):
    Journal(journal_path).add_job(a_job())
    go = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CLAIMER, str(journal_path), str(go)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    try:
        go.touch()
        answers = [p.stdout.readline().strip() for p in procs if p.stdout is not None]
    finally:
        for p in procs:
            p.communicate("")
    assert sorted(answers) == ["held", "held", "held", "ok"]


async def test_a_second_engine_leaves_a_running_job_then_takes_it_when_the_first_closes(
    tmp_path: Path, journal_path: Path
):
    write_tree(tmp_path / "src", {"big.bin": os.urandom(3_000_000)})
    gated = Gated("big.bin", after=1_000_000)
    first = TransferEngine(lambda r: gated, Journal(journal_path))
    job = await first.submit(
        JobKind.COPY, [Location(None, str(tmp_path / "src"))], Location(None, str(tmp_path / "d"))
    )
    await gated.reached.wait()

    second = TransferEngine(lambda r: LocalBackend(), Journal(journal_path), watch_interval=0.05)
    try:
        assert await second.resume_unfinished() == []
        assert second.elsewhere[job.id].token == first.owner.token
        [watched] = second.watch()
        assert second.holder(watched.id) is not None
        try:
            second.pause(job.id)
        except JobHeldElsewhere as exc:
            assert "running in another skypane" in str(exc)
        else:
            raise AssertionError("a watched job must not take commands")
        # The first skypane quits: its items stop, its lease goes, the job stays unfinished.
        quitting = asyncio.create_task(first.close())
        await asyncio.sleep(0)
        gated.gate.set()
        await quitting
        assert not job.state.finished
        done = await asyncio.wait_for(second.wait(job.id), 60)
    finally:
        await second.close()
    assert done.state is JobState.DONE
    assert read_tree(tmp_path / "d") == read_tree(tmp_path / "src")
    assert Journal(journal_path).lease(job.id) is None


async def test_an_engine_whose_job_was_taken_over_stops_and_writes_no_end(
    tmp_path: Path, journal_path: Path
):
    write_tree(tmp_path / "src", {"big.bin": os.urandom(3_000_000)})
    gated = Gated("big.bin", after=1_000_000)
    first = TransferEngine(lambda r: gated, Journal(journal_path), heartbeat_interval=0.05)
    job = await first.submit(
        JobKind.COPY, [Location(None, str(tmp_path / "src"))], Location(None, str(tmp_path / "d"))
    )
    await gated.reached.wait()
    # Another host's skypane judged us gone (as after a long sleep) and took the job.
    far, beat = other_host(heartbeat_age=0)
    thief = Journal(journal_path)
    thief.release(job.id, first.owner)
    assert thief.claim(job.id, far, now=beat).ok
    try:
        left = await asyncio.wait_for(first.wait(job.id), 30)
        assert first.lost(job.id) and not left.state.finished
        holder = first.holder(job.id)
        assert holder is not None and holder.host == "elsewhere.example"
        gated.gate.set()
    finally:
        await first.close()
    stored = thief.load_job(job.id)
    assert stored is not None and not stored.state.finished
    lease = thief.lease(job.id)
    assert lease is not None and lease.token == far.token  # closing did not release theirs


async def test_a_running_job_renews_its_lease_and_releases_it_at_the_end(
    tmp_path: Path, journal_path: Path
):
    write_tree(tmp_path / "src", {"big.bin": os.urandom(3_000_000)})
    gated = Gated("big.bin", after=1_000_000)
    eng = TransferEngine(lambda r: gated, Journal(journal_path), heartbeat_interval=0.02)
    reader = Journal(journal_path)
    try:
        job = await eng.submit(
            JobKind.COPY,
            [Location(None, str(tmp_path / "src"))],
            Location(None, str(tmp_path / "d")),
        )
        await gated.reached.wait()
        first = reader.lease(job.id)
        assert first is not None and first.held_by(eng.owner)
        for _ in range(3000):  # heartbeats every 20 ms: wait for two (a minute at most)
            await asyncio.sleep(0.02)
            now = reader.lease(job.id)
            if now is not None and now.heartbeat > first.heartbeat and now.bytes_done > 0:
                break
        else:
            raise AssertionError("the lease was never renewed")
        assert now.taken == first.taken and now.bytes_done >= 1_000_000
        gated.gate.set()
        await asyncio.wait_for(eng.wait(job.id), 30)
        assert job.state is JobState.DONE and reader.lease(job.id) is None
    finally:
        await eng.close()


async def test_a_retry_goes_by_the_journal_when_another_process_finished_the_job_meanwhile(
    tmp_path: Path, journal_path: Path
):
    write_tree(tmp_path / "src", {"a.txt": b"abc"})
    job = a_job()
    job.items[0].src_path = str(tmp_path / "src" / "a.txt")
    job.items[0].dst_path = str(tmp_path / "a.txt")
    job.state, job.items[0].state = JobState.FAILED, ItemState.FAILED
    Journal(journal_path).add_job(job)
    eng = TransferEngine(lambda r: LocalBackend(), Journal(journal_path))
    try:
        eng.retry_journaled("j1")  # it failed: run it again
        done = await asyncio.wait_for(eng.wait("j1"), 30)
        assert done.state is JobState.DONE, [i.error for i in done.items]
        assert (tmp_path / "a.txt").read_bytes() == b"abc"
        # A second window read it as failed before the first finished the retry.
        late = TransferEngine(lambda r: LocalBackend(), Journal(journal_path))
        stale = a_job()
        stale.state, stale.items[0].state = JobState.FAILED, ItemState.FAILED
        late._runs["j1"] = JobRun(stale)
        (tmp_path / "a.txt").unlink()
        late.retry_failed("j1")
        assert stale.state is JobState.DONE and not (tmp_path / "a.txt").exists()
        await late.close()
    finally:
        await eng.close()
