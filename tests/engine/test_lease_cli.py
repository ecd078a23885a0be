"""One job, one runner, through the real CLI: ``skypane`` processes, one journal, the TLS emulator.

A transfer is killed with SIGKILL part-way (its lease names a process that is gone), then two
``skypane resume`` start together: exactly one runs the job, the other says who runs it and
leaves it; the remaining bytes cross the wire once (plus at most the fragment the kill cut).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.emulator import RunningServer, start_server
from core.paths import Location
from core.transfer import ConflictPolicy, Job, JobKind, Journal
from core.transfer.lease import STALE_AFTER, Owner
from tests.emulator_fixtures import make_emulator
from tests.engine.two_runners import (
    Hold,
    after_n,
    finish,
    is_download,
    is_upload,
    journal_state,
    kill_at_hold,
    race_two_resumes,
    set_chunk_size,
    skypane,
)
from tui.cli import main

CLIENT_ID = "00000000-0000-0000-0000-00000000c0de"
#: Upload fragments of 1.25 MiB: a 25 MiB file is 20 of them, killed after 8 (40 %).
CHUNK = 4 * 320 * 1024
FRAGMENTS = 20
SIZE = CHUNK * FRAGMENTS


@pytest.fixture
def remote(capsys: pytest.CaptureFixture[str]) -> Iterator[RunningServer]:
    """A remote "em" signed in to a fresh emulator; its fragments are ``CHUNK`` bytes."""
    server = start_server(make_emulator("personal", auto_approve_after=0))
    try:
        args = ["login", "em", "--client-id", CLIENT_ID, "--authority", server.authority]
        args += ["--graph-url", server.graph_url, "--ca-bundle", str(server.ca_bundle)]
        assert main(args) == 0
        capsys.readouterr()
        set_chunk_size("em", CHUNK)
        yield server
    finally:
        server.stop()
        server.emulator.close()


@pytest.fixture
def hold(remote: RunningServer) -> Iterator[Hold]:
    h = Hold(remote.emulator)
    yield h
    h.close()


def only_job() -> str:
    journal = Journal()
    try:
        [job_id] = journal.job_ids(unfinished_only=True)
    finally:
        journal.close()
    return job_id


def test_two_resumes_of_an_upload_killed_at_40_percent_run_it_once(
    tmp_path: Path, remote: RunningServer, hold: Hold
):
    em = remote.emulator
    src = tmp_path / "big.bin"
    src.write_bytes(os.urandom(SIZE))
    hold.arm(after_n(8, lambda r: is_upload(r) and r.status == 202))
    kill_at_hold(skypane("put", "--json", str(src), "em:"), hold)
    job_id = only_job()
    assert not [r for r in em.requests if r.path.endswith("/big.bin")]  # not written yet

    race = race_two_resumes(em, hold)

    assert race.other.status == 0 and race.runner.status == 0, race
    assert race.other.report["elsewhere"]["pid"] == race.runner.pid
    assert race.runner.report["state"] == "done" and race.runner.report["job"] == job_id
    assert "running in another skypane" not in race.runner.stderr
    puts = [r for r in race.requests if is_upload(r)]
    sent = sum(r.bytes_in for r in puts)
    assert sent <= SIZE - 8 * CHUNK + CHUNK  # what was left, plus at most the cut fragment
    assert not [r for r in race.requests if "createUploadSession" in r.path]
    assert em.read("big.bin") == src.read_bytes()
    assert journal_state(job_id) == ("done", None)


def test_two_resumes_of_a_download_cut_half_way_fetch_the_rest_once(
    tmp_path: Path, remote: RunningServer, hold: Hold
):
    em = remote.emulator
    data = os.urandom(SIZE)
    em.put_file("big.bin", data)
    # The first answer is cut half-way (a dropped connection); the process is killed while
    # its retry waits, leaving a part file about half full.
    em.faults.drop_next(path="^/dl/")
    hold.arm(after_n(2, is_download))
    dest = tmp_path / "down"
    dest.mkdir()
    kill_at_hold(skypane("get", "--json", "em:big.bin", str(dest)), hold)
    job_id = only_job()
    [part] = list(dest.glob("*.skypane-part"))
    kept = part.stat().st_size
    assert 0 < kept < SIZE

    race = race_two_resumes(em, hold)

    assert race.other.status == 0 and race.runner.status == 0, race
    assert race.other.report["elsewhere"]["pid"] == race.runner.pid
    assert race.runner.report["state"] == "done"
    fetched = sum(r.bytes_out for r in race.requests if is_download(r))
    assert fetched == SIZE - kept  # resumed from the part file, fetched by one process only
    assert (dest / "big.bin").read_bytes() == data
    assert list(dest.glob("*.skypane-part")) == []
    assert journal_state(job_id) == ("done", None)


def plant_copy(tmp_path: Path) -> tuple[str, Path, Path]:
    """An unfinished local copy in the journal (journaled, not yet planned)."""
    src, dst = tmp_path / "a.txt", tmp_path / "out"
    src.write_bytes(b"hello\n")
    job = Job(
        "planted1", JobKind.COPY, (Location(None, str(src)),), Location(None, str(dst)),
        ConflictPolicy.SKIP, datetime.now(UTC),
    )  # fmt: skip
    journal = Journal()
    journal.add_job(job)
    journal.close()
    return job.id, src, dst


def lease_from_laptop(job_id: str, heartbeat_age: float) -> None:
    """The job's lease as a skypane on another machine sharing this journal would leave it."""
    journal = Journal()
    laptop = Owner(4242, "laptop.example", 1.0, "laptop-token")
    assert journal.claim(job_id, laptop, now=time.time() - heartbeat_age).ok
    journal.close()


def test_a_fresh_lease_from_another_host_is_left_alone(tmp_path: Path):
    job_id, _src, dst = plant_copy(tmp_path)
    lease_from_laptop(job_id, heartbeat_age=30)
    out = finish(skypane("resume"))
    assert out.status == 0
    assert f"{job_id} running in another skypane (pid 4242 on laptop.example)" in out.stderr
    assert not dst.exists()
    state, owner = journal_state(job_id)
    assert state == "queued" and owner["host"] == "laptop.example" and owner["alive"]
    listing = finish(skypane("jobs"))
    assert "[pid 4242 on laptop.example]" in listing.report


def test_a_stale_lease_from_another_host_is_taken_over(tmp_path: Path):
    job_id, src, dst = plant_copy(tmp_path)
    lease_from_laptop(job_id, heartbeat_age=STALE_AFTER + 60)
    out = finish(skypane("resume"))
    assert out.status == 0, out
    assert f"taking over {job_id} from pid 4242 on laptop.example" in out.stderr
    assert dst.read_bytes() == src.read_bytes()
    assert journal_state(job_id) == ("done", None)
