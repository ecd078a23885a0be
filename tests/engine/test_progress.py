"""The figures a job reports: bytes a resume or a rename did not move are no speed; a move's
bytes have a total; a paused job has no speed."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from core.backends.local import LocalBackend
from core.paths import Location
from core.transfer import ConflictPolicy, Job, JobKind, JobState, TransferEngine
from core.transfer.model import Item, ItemKind
from core.transfer.progress import ItemProgress, JobCounters


def one_file_job(size: int, *, resume: dict[str, str] | None = None) -> tuple[Job, Item]:
    item = Item(
        seq=1,
        kind=ItemKind.FILE,
        src_remote=None,
        src_path="/a",
        dst_remote=None,
        dst_path="/b",
        size=size,
        resume=resume,
    )
    job = Job(
        id="j",
        kind=JobKind.COPY,
        sources=(Location(None, "/a"),),
        dest=Location(None, "/"),
        policy=ConflictPolicy.SKIP,
        created=datetime.now(UTC),
    )
    job.items.append(item)
    return job, item


def test_a_resumed_write_reports_what_the_destination_holds_without_a_speed_spike() -> None:
    job, item = one_file_job(1000 * 2**20, resume={"part": "/tmp/x"})
    counters = JobCounters()
    counters.reset_from(job)
    counters.tick(0.0)
    progress = ItemProgress(counters, item, lambda it: None)
    progress.advance(900 * 2**20)  # the part file already holds 900 MiB
    progress.advance(2**20)  # then one MiB in one second
    counters.tick(1.0)
    assert counters.bytes_done == 901 * 2**20
    assert counters.rate == 2**20
    snap = counters.snapshot(job, JobState.RUNNING, throttled_until=None, concurrency=1)
    assert snap.eta == 99.0


def test_a_paused_job_has_no_speed_and_starts_afresh() -> None:
    job, item = one_file_job(100)
    counters = JobCounters()
    counters.reset_from(job)
    counters.tick(0.0)
    counters.advance(item, 50)
    counters.tick(1.0)
    assert counters.rate == 50
    counters.pause()
    snap = counters.snapshot(job, JobState.PAUSED, throttled_until=None, concurrency=1)
    assert snap.rate == 0.0 and snap.eta is None and snap.bytes_done == 50


async def test_a_move_within_a_disk_shows_its_bytes_against_a_total(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "dst").mkdir()
    (tmp_path / "src" / "big.bin").write_bytes(b"x" * 300_000)
    engine = TransferEngine(lambda remote: LocalBackend())
    try:
        job = await engine.submit(
            JobKind.MOVE,
            [Location(None, str(tmp_path / "src" / "big.bin"))],
            Location(None, str(tmp_path / "dst")),
        )
        await engine.wait(job.id)
        snap = engine.snapshot(job.id)
        assert job.state is JobState.DONE
        assert (snap.bytes_done, snap.bytes_total) == (300_000, 300_000)
        assert snap.rate == 0.0  # a rename moves nothing over the wire
    finally:
        await engine.close()
