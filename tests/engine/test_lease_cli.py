"""One job, one runner, through the real CLI and TUI: ``skypane`` processes (the TUI on a pty),
one journal, the TLS emulator.

A transfer is killed with SIGKILL part-way (its lease names a process that is gone), then two
``skypane resume`` start together: exactly one runs the job, the other says who runs it and
leaves it; the remaining bytes cross the wire once (plus at most the fragment the kill cut).
A TUI holding a job keeps it from a ``resume``; a TUI shows a job a ``resume`` runs read-only
and takes it over when that process is killed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.emulator import Emulator, RunningServer
from core.paths import Location
from core.transfer import ConflictPolicy, Job, JobKind, Journal
from core.transfer.lease import STALE_AFTER, Owner
from tests.engine.two_runners import (
    ROOT,
    Hold,
    after_n,
    finish,
    is_download,
    is_upload,
    journal_state,
    kill_at_hold,
    race_two_resumes,
    set_chunk_size,
    signed_in,
    skypane,
)
from tests.terminal import Terminal

#: Upload fragments of 1.25 MiB: a 25 MiB file is 20 of them, killed after 8 (40 %).
CHUNK = 4 * 320 * 1024
FRAGMENTS = 20
SIZE = CHUNK * FRAGMENTS


@pytest.fixture
def remote(capsys: pytest.CaptureFixture[str]) -> Iterator[RunningServer]:
    """A remote "em" signed in to a fresh emulator; its fragments are ``CHUNK`` bytes."""
    with signed_in("em") as server:
        capsys.readouterr()
        set_chunk_size("em", CHUNK)
        yield server


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


def tui(cwd: Path) -> Terminal:
    """The TUI on a pty, with this test's private home (and so its journal and remote)."""
    env = {**os.environ, "TERM": "xterm-256color"}
    env.pop("NO_COLOR", None)
    return Terminal(cwd, env)


def keep_reading_until(term: Terminal, cond: object, timeout: float = 120) -> None:
    """Wait for ``cond()`` while reading the terminal, so the app never blocks on its output."""
    deadline = time.monotonic() + timeout
    while not cond():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise TimeoutError(f"condition not met; screen tail: {term.text()[-1500:]!r}")
        term.read(0.1)


def lease_pid(job_id: str) -> int | None:
    journal = Journal()
    try:
        lease = journal.lease(job_id)
    finally:
        journal.close()
    return lease.pid if lease is not None else None


def interrupted_upload(tmp_path: Path, hold: Hold) -> tuple[str, Path]:
    """An upload killed with SIGKILL after 8 of its 20 fragments."""
    src = tmp_path / "big.bin"
    src.write_bytes(os.urandom(SIZE))
    hold.arm(after_n(8, lambda r: is_upload(r) and r.status == 202))
    kill_at_hold(skypane("put", "--json", str(src), "em:"), hold)
    return only_job(), src


def finish_in_tui(term: Terminal, job_id: str) -> None:
    """Wait until the TUI has finished the job, then quit it."""
    keep_reading_until(term, lambda: journal_state(job_id)[0] == "done", 120)
    term.drain(0.3)
    term.press("f10")
    assert term.wait_exit(30) == 0, term.text()[-2000:]


def assert_uploaded_once(em: Emulator, job_id: str, src: Path, since: int) -> None:
    """Done, no owner left, the right bytes; what was left sent once (+ the cut fragment)."""
    assert journal_state(job_id) == ("done", None)
    assert em.read("big.bin") == src.read_bytes()
    sent = sum(r.bytes_in for r in list(em.requests)[since:] if is_upload(r))
    assert sent <= SIZE - 8 * CHUNK + CHUNK


def test_a_resume_while_a_tui_holds_the_job_leaves_it_to_the_tui(
    tmp_path: Path, remote: RunningServer, hold: Hold
):
    em = remote.emulator
    job_id, src = interrupted_upload(tmp_path, hold)
    since = len(em.requests)
    hold.arm(lambda r: r.path.startswith("/up/"))  # the TUI's upload waits at its first request
    term = tui(tmp_path)
    try:
        term.wait_for("Unfinished transfers", 60)
        term.wait_for("Resume now", 10)
        term.drain(0.3)
        term.press("enter")
        keep_reading_until(term, lambda: lease_pid(job_id) == term.pid, 60)

        out = finish(skypane("resume", "--json"))
        assert out.status == 0, out
        assert out.report["job"] == job_id and out.report["elsewhere"]["pid"] == term.pid
        listing = finish(skypane("jobs"))
        assert f"[pid {term.pid}]" in listing.report

        hold.release()
        finish_in_tui(term, job_id)
    finally:
        term.close()
    assert_uploaded_once(em, job_id, src, since)


def test_the_tui_shows_a_job_a_resume_runs_read_only_and_takes_it_when_that_is_killed(
    tmp_path: Path, remote: RunningServer, hold: Hold
):
    em = remote.emulator
    job_id, src = interrupted_upload(tmp_path, hold)
    since = len(em.requests)
    hold.arm(lambda r: r.path.startswith("/up/"))
    cli = skypane("resume")
    term: Terminal | None = None
    try:
        assert hold.reached.wait(60), "the resume never reached the drive"
        assert lease_pid(job_id) == cli.pid
        term = tui(tmp_path)
        term.wait_for(rf"in another skypane \(pid {cli.pid}\)", 60)
        assert "Unfinished transfers" not in term.text()  # not offered: it is not free
        term.drain(0.3)
        term.press("\x14")  # ctrl+t: to the transfer panel
        term.drain(0.3)
        term.press("p")
        term.wait_for("control it there", 10)

        os.kill(cli.pid, signal.SIGKILL)  # the owner dies: the TUI takes the job over
        cli.wait(60)
        hold.release()
        keep_reading_until(term, lambda: lease_pid(job_id) == term.pid, 60)
        finish_in_tui(term, job_id)
    finally:
        hold.release()
        if cli.poll() is None:
            cli.kill()
        cli.communicate()
        if term is not None:
            term.close()
    assert_uploaded_once(em, job_id, src, since)


HOLDER = """
import sys
from core.transfer import Journal
from core.transfer.lease import Owner
assert Journal().claim(sys.argv[1], Owner.current()).ok
print("holding", flush=True)
sys.stdin.read()
"""


def test_resume_wait_waits_for_the_owner_and_takes_over_when_it_is_killed(tmp_path: Path):
    job_id, src, dst = plant_copy(tmp_path)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, job_id],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        waiting = skypane("resume", "--wait", job_id)
        assert waiting.stderr is not None
        said = ""
        for _ in range(10):  # progress lines may come first
            said = waiting.stderr.readline()
            if "waiting" in said:
                break
        assert said == f"skypane: waiting for {job_id}, running in pid {holder.pid}\n"
        assert not dst.exists()
        os.kill(holder.pid, signal.SIGKILL)  # the owner dies without a word
        holder.wait(60)
        out = finish(waiting)
    finally:
        if holder.poll() is None:
            holder.kill()
        holder.communicate()
    assert out.status == 0, out
    assert dst.read_bytes() == src.read_bytes()
    assert journal_state(job_id) == ("done", None)
