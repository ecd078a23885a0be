"""The TUI on a real pty, hung up during an upload (issue #21): it exits 129 with the terminal
put back, keeps the transfer in the journal, and the next start offers to resume it and
finishes it on the drive."""

from __future__ import annotations

import os
import signal
import sys
import termios
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.emulator import RunningServer
from tests.cli.helpers import signed_in_remote
from tests.terminal import Terminal

SKYPANE = [str(Path(sys.executable).parent / "skypane")]
FRAGMENT = 327680


@pytest.fixture
def remote(capsys: pytest.CaptureFixture[str]) -> Iterator[RunningServer]:
    """A remote "em" on the TLS emulator, with small upload fragments."""
    with signed_in_remote(chunk_size=FRAGMENT) as server:
        capsys.readouterr()
        yield server


def terminal_env() -> dict[str, str]:
    """This test's private home (the autouse fixture's), seen from a terminal."""
    env = {**os.environ, "TERM": "xterm-256color"}
    env.pop("NO_COLOR", None)
    env.pop("TEXTUAL_ANIMATIONS", None)
    return env


def wait_reading(term: Terminal, check, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    """Wait for ``check()``, reading the screen meanwhile so the app never blocks on output."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}; screen tail: {term.text()[-1500:]!r}")
        term.read(0.005)


def start_upload(here: Path) -> Terminal:
    term = Terminal(here, terminal_env(), argv=SKYPANE)
    term.wait_for(r"big\.bin", 60)
    # The drive pane lists "0 items" once its remote is open. Until then its location is
    # still the local "/" (only its path bar says em:/), so F5 offered "/" and the copy went
    # to this machine's root folder instead of the drive (a bug reported with #14).
    term.wait_for(r"0 items", 60)
    term.drain(0.5)
    term.press("down")  # from ".." to the file, in the left (local) pane
    term.drain(0.3)
    term.press("f5")
    term.wait_for(r"Copy file 'big\.bin' to:", 15)
    term.press("enter")
    return term


@pytest.mark.timeout(240)
def test_sighup_during_an_upload_restores_the_terminal_and_the_restart_resumes_it(
    tmp_path: Path, remote: RunningServer
):
    em = remote.emulator
    here = tmp_path / "here"
    here.mkdir()
    data = os.urandom(100 * FRAGMENT)
    (here / "big.bin").write_bytes(data)

    def fragments() -> int:
        return sum(1 for r in em.requests if r.method == "PUT" and r.path.startswith("/up/"))

    term = start_upload(here)
    try:
        wait_reading(term, lambda: fragments() >= 3, 60, "upload fragments")
        # (Not held still with SIGSTOP here: Textual answers SIGCONT by re-entering
        # application mode. A hundred fragments leave the hang-up plenty of file to land in.)
        term.buffer = b""
        os.kill(term.pid, signal.SIGHUP)
        status = term.wait_exit(60)  # a stop that never comes fails (how fast: bench_signals)
        restored = termios.tcgetattr(term.fd)[3]
    finally:
        term.close()
    assert status == 129, term.text()[-2000:]
    # Textual left the alternate screen and the application modes: the shell gets its terminal.
    assert b"\x1b[?1049l" in term.buffer
    assert restored & termios.ICANON and restored & termios.ECHO
    with pytest.raises(Exception):  # noqa: B017 - not on the drive yet
        em.item("big.bin")
    sent_before = fragments()

    term = Terminal(here, terminal_env(), argv=SKYPANE)
    try:
        term.wait_for(r"Unfinished transfers", 60)
        term.wait_for(r"Resume", 10)
        term.drain(0.3)
        term.press("enter")
        wait_reading(term, lambda: _stored(em) == data, 120, "the resumed file")
        term.drain(0.3)
        term.press("f10")
        assert term.wait_exit(30) == 0, term.text()[-2000:]
    finally:
        term.close()
    # The upload session went on from where the hang-up left it.
    assert fragments() - sent_before < len(data) // FRAGMENT


def _stored(em) -> bytes | None:  # type: ignore[no-untyped-def]
    try:
        return em.read("big.bin")
    except Exception:
        return None


@pytest.mark.timeout(180)
def test_closing_the_terminal_ends_the_app_with_129(tmp_path: Path):
    """A dropped SSH session: the pty's master side closes and the kernel sends SIGHUP."""
    here = tmp_path / "here"
    here.mkdir()
    (here / "a.txt").write_bytes(b"a")
    term = Terminal(here, terminal_env(), argv=SKYPANE)
    term.wait_for(r"a\.txt", 60)
    term.drain(0.3)
    os.close(term.fd)
    deadline = time.monotonic() + 60  # an exit that never comes fails; a busy machine is slow
    status = None
    while status is None and time.monotonic() < deadline:
        pid, raw = os.waitpid(term.pid, os.WNOHANG)
        if pid:
            status = os.waitstatus_to_exitcode(raw)
        else:
            time.sleep(0.02)
    if status is None:
        os.kill(term.pid, signal.SIGKILL)
        os.waitpid(term.pid, 0)
    assert status == 129
