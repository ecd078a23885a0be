"""SIGTERM, SIGHUP and Ctrl-C stop a transfer command safely (issue #21): the exit status names
the signal, the part file and the journal keep the work done, and ``skypane resume`` finishes
it to a verified copy. Each command runs as its own process, as ``timeout`` or a closed SSH
session would meet it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from core.emulator import RunningServer
from tests.cli.helpers import ROOT, signed_in_remote, skypane

#: Generous: the figure to meet is ~2 s (tests/bench/bench_signals.py measures it); a busy
#: machine is much slower (work that takes 2 s idle took 18 s at load 12 on 2 cores), but a
#: stop that never comes fails.
STOP_LIMIT = 60.0


@contextmanager
def started(*args: str, module: str = "tui") -> Iterator[subprocess.Popen[str]]:
    """``python -m module ARGS`` in its own process, killed at the end if still running."""
    proc = subprocess.Popen(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def part_files(folder: Path) -> list[Path]:
    return sorted(folder.glob(".*.skypane-part"))


def wait_until(check, timeout: float = 120.0, what: str = "condition") -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.002)


def stop(proc: subprocess.Popen[str], sig: int, *, frozen: bool = True) -> tuple[int, str, float]:
    """Send ``sig`` and wait for the exit: (status, stderr, seconds from the signal).

    ``frozen``: the process is held still (SIGSTOP) when it is signalled and let go just
    after, so the signal lands where the test saw it, however fast this machine is.
    """
    if frozen:
        os.kill(proc.pid, signal.SIGSTOP)
    os.kill(proc.pid, sig)
    began = time.monotonic()
    if frozen:
        os.kill(proc.pid, signal.SIGCONT)
    _, err = proc.communicate(timeout=STOP_LIMIT)
    return proc.returncode, err, time.monotonic() - began


@pytest.mark.timeout(240)  # a process started, stopped and resumed, on a busy machine
@pytest.mark.parametrize(
    ("sig", "status"),
    [(signal.SIGTERM, 143), (signal.SIGHUP, 129), (signal.SIGINT, 130)],
    ids=["SIGTERM", "SIGHUP", "SIGINT"],
)
def test_a_signal_mid_copy_stops_safely_and_resume_finishes_the_file(
    tmp_path: Path, sig: int, status: int
):
    data = os.urandom(48 * 1024 * 1024)
    (tmp_path / "big.bin").write_bytes(data)
    dst = tmp_path / "dst"
    dst.mkdir()
    with started("cp", "-q", "--transfers", "1", str(tmp_path / "big.bin"), str(dst)) as proc:
        wait_until(lambda: any(p.stat().st_size for p in part_files(dst)), what="a part file")
        code, err, took = stop(proc, sig)  # as soon as its first bytes are on disk
    assert code == status, err
    assert took < STOP_LIMIT
    assert f"stopped by {signal.Signals(sig).name}" in err and "skypane resume" in err
    [part] = part_files(dst)
    assert 0 < part.stat().st_size < len(data)  # kept for the resume
    assert not (dst / "big.bin").exists()

    unfinished = skypane("jobs", "--unfinished", "--json")
    [row] = json.loads(unfinished.stdout)
    done = skypane("resume", "--json", row["id"])
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["state"] == "done"
    assert (dst / "big.bin").read_bytes() == data
    assert part_files(dst) == []


@pytest.mark.timeout(240)  # a process started, stopped and resumed, on a busy machine
def test_a_worker_stuck_in_a_read_cannot_hold_sigterm(tmp_path: Path):
    data = os.urandom(6 * 1024 * 1024)
    (tmp_path / "big.bin").write_bytes(data)
    dst = tmp_path / "dst"
    dst.mkdir()
    after = 3 * 1024 * 1024
    argv = (str(after), "cp", "-q", str(tmp_path / "big.bin"), str(dst))
    with started(*argv, module="tests.cli.stuck_child") as proc:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "READY"  # its worker thread now never returns
        code, err, took = stop(proc, signal.SIGTERM, frozen=False)
    assert code == 143, err
    assert took < STOP_LIMIT
    [part] = part_files(dst)
    assert part.stat().st_size >= after
    done = skypane("resume", "--json")
    assert done.returncode == 0, done.stderr
    assert (dst / "big.bin").read_bytes() == data and part_files(dst) == []


@pytest.fixture
def remote(capsys: pytest.CaptureFixture[str]) -> Iterator[RunningServer]:
    """A remote "em" on the TLS emulator, with small upload fragments."""
    with signed_in_remote(chunk_size=327680) as server:
        capsys.readouterr()
        yield server


@pytest.mark.timeout(240)  # a process started, stopped and resumed, on a busy machine
def test_sigterm_mid_upload_then_resume_gives_a_verified_copy_on_the_drive(
    tmp_path: Path, remote: RunningServer
):
    data = os.urandom(12 * 1024 * 1024)
    (tmp_path / "big.bin").write_bytes(data)
    em = remote.emulator

    def fragments() -> int:
        return sum(1 for r in em.requests if r.method == "PUT" and r.path.startswith("/up/"))

    with started("put", "-q", str(tmp_path / "big.bin"), "em:") as proc:
        wait_until(lambda: fragments() >= 2, what="upload fragments")
        code, err, took = stop(proc, signal.SIGTERM)
    assert code == 143, err
    assert took < STOP_LIMIT
    with pytest.raises(Exception):  # noqa: B017 - not on the drive yet
        em.item("big.bin")
    sent_before = fragments()

    done = skypane("resume", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["state"] == "done"
    assert em.read("big.bin") == data
    # The resume continued the upload session instead of sending the file again.
    assert fragments() - sent_before < len(data) // 327680
