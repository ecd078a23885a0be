"""`skypane --demo` in a real terminal: the app draws at once, its emulator runs in a process
of its own, the drive is listed after the real device-code sign-in, the 20,000-file folder
opens, and the emulator ends with the app, whether the app quits or is killed."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import pytest

from tests.terminal import Terminal, isolated_env

SKYPANE = str(Path(sys.executable).parent / "skypane")


def emulator_of(app_pid: int) -> int:
    """The pid of the app's demo emulator (its child running ``core.demo``)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for task in Path(f"/proc/{app_pid}/task").iterdir():
            for pid in (task / "children").read_text().split():
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
                if b"core.demo" in cmdline:
                    return int(pid)
        time.sleep(0.05)
    raise AssertionError("the demo's emulator process was not found")


def ended(pid: int, timeout: float = 60) -> bool:
    """Whether ``pid`` ends (or is left a zombie nobody reaps) within ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return True
        if state in ("Z", "X"):
            return True
        time.sleep(0.05)
    return False


@pytest.mark.timeout(240)
def test_the_demo_lists_its_drive_opens_the_big_folder_and_its_emulator_ends_on_quit(
    tmp_path: Path,
) -> None:
    env = isolated_env(tmp_path / "home")
    term = Terminal(tmp_path, env, argv=[SKYPANE, "--demo"])
    try:
        term.wait_for(r"Quit", 60)  # the first frame
        emulator = emulator_of(term.pid)
        term.wait_for(r"Sign in to demo", 60)
        term.wait_for(r"[A-Z0-9]{6,}\s+\(press c to copy it\)", 60)
        term.wait_for(r"Signed in to demo as alice@", 60)  # the emulator approved the code
        term.wait_for(r"Archive", 60)
        term.drain(0.5)
        term.press("tab")  # to the drive, on its first row: Archive (the root has no "..")
        term.drain(0.3)
        term.press("enter")
        term.wait_for(r"Sensor logs", 60)
        term.drain(0.3)
        term.press("down")  # from ".." to the one folder
        term.drain(0.3)
        term.press("enter")
        term.wait_for(r"20,000 items", 120)  # every page of the big folder listed
        term.drain(0.5)
        term.press("f10")
        assert term.wait_exit(60) == 0, term.text()[-2000:]
    finally:
        term.close()
    assert ended(emulator), "the demo's emulator outlived the app"


@pytest.mark.timeout(240)
def test_the_emulator_ends_when_the_demo_app_is_killed(tmp_path: Path) -> None:
    env = isolated_env(tmp_path / "home")
    term = Terminal(tmp_path, env, argv=[SKYPANE, "--demo"])
    try:
        term.wait_for(r"Quit", 60)
        emulator = emulator_of(term.pid)
        term.wait_for(r"Archive", 120)
        os.kill(term.pid, signal.SIGKILL)
        term.wait_exit(60)
    finally:
        term.close()
    assert ended(emulator), "the demo's emulator outlived the killed app"


@pytest.mark.timeout(240)
def test_a_demo_emulator_that_cannot_start_is_reported_on_screen(tmp_path: Path) -> None:
    env = isolated_env(tmp_path / "home")
    drive = Path(env["SKYPANE_DATA_DIR"]) / "demo" / "drive"
    term = Terminal(tmp_path, env, argv=[SKYPANE, "--demo"])  # makes the CA and the drive
    try:
        term.wait_for(r"Archive", 120)
    finally:
        term.close()
    (drive / "state.sqlite").write_bytes(b"not a database" * 100)
    term = Terminal(tmp_path, env, argv=[SKYPANE, "--demo"])
    try:
        # a notice; over the sign-in dialog it is a toast, whose lines wrap at spaces
        term.wait_for(r"The demo's emulator stopped", 120)
        term.wait_for(r"DatabaseError", 30)
        # No sign-in dialog for a drive whose emulator has stopped: one would cover the
        # screen and take F10 (it did, in 8 tries of 8, before the sign-in stopped asking).
        # A second for a dialog to come, if one were still to come.
        term.drain(1.0)
        term.press("f10")
        assert term.wait_exit(60) == 0, term.text()[-2000:]
    finally:
        term.close()
