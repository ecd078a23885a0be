"""skypane in a real pseudo-terminal: write keys, read what it draws.

Shared by the end-to-end TUI tests and ``tests/bench/bench_tui.py``. The app runs as its own
process (the installed ``skypane`` script or ``python -m tui``) with a private HOME and
skypane directories, so nothing of the user's is read or written.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import struct
import sys
import termios
import time
from collections.abc import Sequence
from pathlib import Path

from tests.isolation import private_home

SKYPANE = [sys.executable, "-m", "tui"]
ANSI = re.compile(
    rb"\x1b(\[[0-9;?<>=$ ]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[PX^_][^\x1b]*\x1b\\|.)"
)
KEYS = {
    "down": b"\x1b[B",
    "up": b"\x1b[A",
    "pagedown": b"\x1b[6~",
    "enter": b"\r",
    "tab": b"\t",
    "escape": b"\x1b",
    "f5": b"\x1b[15~",
    "f10": b"\x1b[21~",
}


def isolated_env(home: Path) -> dict[str, str]:
    """The environment for a skypane that sees only ``home``."""
    env = {**os.environ, **private_home(home)}
    env["TERM"] = "xterm-256color"
    env.pop("NO_COLOR", None)
    env.pop("TEXTUAL_ANIMATIONS", None)
    return env


class Terminal:
    """The app on a pty: write keys, wait for text to appear on the screen output."""

    def __init__(
        self,
        cwd: Path,
        env: dict[str, str],
        size: tuple[int, int] = (120, 36),
        argv: Sequence[str] = SKYPANE,
    ) -> None:
        self.started = time.perf_counter()
        pid, fd = pty.fork()
        if pid == 0:  # the child: become skypane
            os.chdir(cwd)
            os.execve(argv[0], list(argv), env)
        self.pid, self.fd = pid, fd
        cols, rows = size
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.buffer = b""
        self.status: int | None = None

    def read(self, timeout: float) -> bytes:
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return b""
        try:
            data = os.read(self.fd, 1 << 20)
        except OSError:
            return b""
        self.buffer += data
        return data

    def text(self) -> str:
        return ANSI.sub(b"", self.buffer).decode("utf-8", "replace")

    def wait_for(self, needle: str, timeout: float = 120.0) -> float:
        """Read until ``needle`` (a regular expression) shows in the output; returns when."""
        deadline = time.perf_counter() + timeout
        pattern = re.compile(needle.encode())
        seen = 0
        while time.perf_counter() < deadline:
            # Only new output is searched (from a little before, for a needle cut in two).
            start = max(seen - 200, 0)
            if pattern.search(ANSI.sub(b"", self.buffer[start:])):
                return time.perf_counter()
            seen = len(self.buffer)
            self.read(0.02)
        raise TimeoutError(f"{needle!r} did not appear; screen tail: {self.text()[-2000:]!r}")

    def drain(self, quiet: float = 0.3) -> None:
        """Read until the app has been silent for ``quiet`` seconds."""
        while self.read(quiet):
            pass

    def press(self, key: str) -> float:
        self.buffer = b""
        sent = time.perf_counter()
        os.write(self.fd, KEYS.get(key, key.encode()))
        return sent

    def repaint_after(self, key: str, timeout: float = 5.0) -> float:
        """Seconds from writing ``key`` to the first output that follows it."""
        self.drain(0.05)
        sent = self.press(key)
        if not self.read(timeout):
            raise TimeoutError(f"no repaint after {key}")
        return time.perf_counter() - sent

    def rss_mib(self) -> float:
        with open(f"/proc/{self.pid}/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1024 / 1024

    def wait_exit(self, timeout: float = 15.0) -> int | None:
        """The exit status once the app has ended (reading on so it never blocks on output)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = os.waitstatus_to_exitcode(status)
                return self.status
            self.read(0.1)
        return None

    def close(self) -> None:
        try:
            if self.status is None:
                os.write(self.fd, KEYS["f10"])
                if self.wait_exit(10) is None:
                    os.kill(self.pid, signal.SIGTERM)
                    os.waitpid(self.pid, 0)
        finally:
            os.close(self.fd)
