"""Two skypane processes and one unfinished job, as a user with two windows meets it.

Shared by ``test_lease_cli.py`` and ``tests/bench/bench_two_resumes.py``: the real CLI as
subprocesses (``python -m tui``) against the TLS emulator, with the journal and sign-in in
the environment's private folders. ``Hold`` stops the emulator at a chosen request (a
switch, not a sleep), so a transfer can be killed, or kept running, at a known point.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.config import RemoteConfig, load_config
from core.emulator import Emulator, EmulatorConfig, RequestRecord, RunningServer, start_server

ROOT = Path(__file__).resolve().parents[2]
SKYPANE = [sys.executable, "-m", "tui"]
CLIENT_ID = "00000000-0000-0000-0000-00000000c0de"


@contextmanager
def signed_in(remote: str) -> Iterator[RunningServer]:
    """A fresh emulator with ``remote`` signed in to it (``skypane login``, device code)."""
    from tui.cli import main

    em = Emulator(EmulatorConfig(flavour="personal", device_code_interval=0, auto_approve_after=0))
    server = start_server(em)
    try:
        args = ["login", remote, "--client-id", CLIENT_ID, "--authority", server.authority]
        args += ["--graph-url", server.graph_url, "--ca-bundle", str(server.ca_bundle)]
        if main([*args, "--no-qr"]) != 0:
            raise RuntimeError("sign-in to the emulator failed")
        yield server
    finally:
        server.stop()
        em.close()


def set_chunk_size(remote: str, chunk: int) -> None:
    """The upload fragment size of a configured remote (a multiple of 320 KiB)."""
    config = load_config()
    rc = config.remote(remote)
    config.set_remote(RemoteConfig(rc.name, rc.type, {**rc.options, "chunk_size": chunk}))
    config.save()


def skypane(*argv: str) -> subprocess.Popen[str]:
    """``skypane ARGV`` as its own process, output captured."""
    return subprocess.Popen(
        [*SKYPANE, *argv],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def is_upload(r: RequestRecord) -> bool:
    return r.method == "PUT" and r.path.startswith("/up/")


def is_download(r: RequestRecord) -> bool:
    return r.method == "GET" and r.path.startswith("/dl/")


class Hold:
    """Stops the emulator at the first request for which ``when`` is true, until released.

    The emulator answers on one event loop, so holding there holds every request: the client
    that made it waits for its answer (and can be killed at that point), and so does any other.
    """

    def __init__(self, em: Emulator) -> None:
        self.em = em
        self._real = em.requests.append
        self._when: Callable[[RequestRecord], bool] | None = None
        self.reached = threading.Event()
        self._go = threading.Event()
        em.requests.append = self._append  # type: ignore[method-assign]

    def _append(self, record: RequestRecord) -> None:
        self._real(record)
        when = self._when
        if when is not None and not self._go.is_set() and when(record):
            self.reached.set()
            self._go.wait(300)

    def arm(self, when: Callable[[RequestRecord], bool]) -> None:
        self.reached.clear()
        self._go.clear()
        self._when = when

    def release(self) -> None:
        self._when = None
        self._go.set()

    def close(self) -> None:
        self.release()
        self.em.requests.append = self._real  # type: ignore[method-assign]


def after_n(n: int, what: Callable[[RequestRecord], bool]) -> Callable[[RequestRecord], bool]:
    """True from the ``n``-th matching request on."""
    seen = 0

    def when(r: RequestRecord) -> bool:
        nonlocal seen
        if what(r):
            seen += 1
        return seen >= n

    return when


def kill_at_hold(proc: subprocess.Popen[str], hold: Hold, timeout: float = 300) -> None:
    """SIGKILL ``proc`` once the hold is reached (it then waits on the emulator), then go on."""
    deadline = time.monotonic() + timeout
    while not hold.reached.wait(0.05):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            out, err = proc.communicate()
            raise AssertionError(f"the transfer never reached the hold: {out}{err}")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(60)
    hold.release()


@dataclass
class Outcome:
    """One process's end: exit status, the JSON it printed and its error output."""

    pid: int
    status: int
    report: Any
    stderr: str


def finish(proc: subprocess.Popen[str], timeout: float = 600) -> Outcome:
    out, err = proc.communicate(timeout=timeout)
    try:
        report = json.loads(out) if out.strip() else None
    except json.JSONDecodeError:
        report = out
    return Outcome(proc.pid, proc.returncode, report, err)


@dataclass
class Race:
    """Two ``skypane resume`` started together: who ran the job, who left it."""

    runner: Outcome
    other: Outcome
    #: Requests the emulator logged while they ran.
    requests: list[RequestRecord]


def race_two_resumes(em: Emulator, hold: Hold, *extra: str) -> Race:
    """Start two ``skypane resume --json`` at once and let them settle.

    The emulator is held at the first request either makes, so the one that claimed the job
    is still running when the other decides; the one that exits first (the one that left the
    job) releases it.
    """
    before = len(em.requests)
    hold.arm(lambda r: True)
    procs = [skypane("resume", "--json", *extra) for _ in range(2)]
    deadline = time.monotonic() + 300
    first: subprocess.Popen[str] | None = None
    while first is None and time.monotonic() < deadline:
        first = next((p for p in procs if p.poll() is not None), None)
        if first is None:
            hold.reached.wait(0.05)
    hold.release()
    assert first is not None, "neither resume ended"
    a, b = (finish(p) for p in procs)
    ran, left = (b, a) if _left_it(a) else (a, b)
    return Race(runner=ran, other=left, requests=list(em.requests)[before:])


def _left_it(o: Outcome) -> bool:
    return isinstance(o.report, dict) and o.report.get("elsewhere") is not None


def journal_state(job_id: str) -> tuple[str, Any]:
    """The job's state and owner as ``skypane jobs --json`` shows them."""
    out = subprocess.run(
        [*SKYPANE, "jobs", "--json"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    [row] = [r for r in json.loads(out) if r["id"] == job_id]
    return row["state"], row["owner"]
