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


#: The shortest time a wait gives up after, whatever a caller asks: the limits only bound a
#: failure, and a busy machine can take long to schedule the app (a passing run never waits
#: for them).
PATIENCE = 60.0


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
        #: The app's CPU seconds (user + system) in all, once it has ended.
        self.cpu_total: float | None = None

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
        deadline = time.perf_counter() + max(timeout, PATIENCE)
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
        os.write(self.fd, KEYS.get(key, key.encode("latin-1")))
        return sent

    def repaint_after(self, key: str, timeout: float = 5.0) -> float:
        """Seconds from writing ``key`` to the first output that follows it."""
        self.drain(0.05)
        sent = self.press(key)
        if not self.read(timeout):
            raise TimeoutError(f"no repaint after {key}")
        return time.perf_counter() - sent

    def cpu_seconds(self) -> float:
        """The app's CPU time so far (user + system): a figure a busy machine does not inflate."""
        with open(f"/proc/{self.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_mib(self) -> float:
        with open(f"/proc/{self.pid}/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1024 / 1024

    def wait_exit(self, timeout: float = 15.0) -> int | None:
        """The exit status once the app has ended (reading on so it never blocks on output)."""
        deadline = time.monotonic() + max(timeout, PATIENCE)
        while time.monotonic() < deadline:
            pid, status, usage = os.wait4(self.pid, os.WNOHANG)
            if pid:
                self.status = os.waitstatus_to_exitcode(status)
                self.cpu_total = usage.ru_utime + usage.ru_stime
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


#: The final bytes of F1..F4 (SS3 / CSI 1;m form) and the numbers of F5..F12 (CSI n~ form).
_F_LETTERS = {1: "P", 2: "Q", 3: "R", 4: "S"}
_F_NUMBERS = {5: 15, 6: 17, 7: 18, 8: 19, 9: 20, 10: 21, 11: 23, 12: 24}
#: xterm's modifier parameter: 1 + shift(1) + alt(2) + ctrl(4).
_MODIFIER = {"shift": 1, "alt": 2, "ctrl": 4}
_PLAIN = {
    "up": [b"\x1b[A", b"\x1bOA"],
    "down": [b"\x1b[B", b"\x1bOB"],
    "right": [b"\x1b[C", b"\x1bOC"],
    "left": [b"\x1b[D", b"\x1bOD"],
    # xterm (normal and application cursor mode), then tmux and the Linux console
    "home": [b"\x1b[H", b"\x1bOH", b"\x1b[1~"],
    "end": [b"\x1b[F", b"\x1bOF", b"\x1b[4~"],
    "insert": [b"\x1b[2~"],
    "delete": [b"\x1b[3~"],
    "pageup": [b"\x1b[5~"],
    "pagedown": [b"\x1b[6~"],
    "enter": [b"\r"],
    "tab": [b"\t"],
    "backspace": [b"\x7f", b"\x08"],
    "escape": [b"\x1b"],
    "space": [b" "],
}
_CHARACTERS = {"plus": "+", "minus": "-", "asterisk": "*", "full_stop": ".", "slash": "/"}


def terminal_sequences(key: str) -> list[bytes]:
    """The bytes xterm, tmux (default settings) and a terminal over SSH send for a Textual key
    name: a key that works with all of them works for a user (SSH passes bytes through)."""
    *mods, name = key.split("+")
    if not mods and name in _PLAIN:
        return _PLAIN[name]
    char = _CHARACTERS.get(name, name)
    if name.startswith("f") and name[1:].isdigit():
        number = int(name[1:])
        param = 1 + sum(_MODIFIER[m] for m in mods)
        if number in _F_LETTERS:
            final = _F_LETTERS[number]
            return [f"\x1bO{final}".encode()] if param == 1 else [f"\x1b[1;{param}{final}".encode()]
        code = _F_NUMBERS[number]
        return [f"\x1b[{code}~".encode()] if param == 1 else [f"\x1b[{code};{param}~".encode()]
    if mods == ["alt"] and name in ("left", "right", "up", "down"):
        return [f"\x1b[1;3{'DCAB'[('left', 'right', 'up', 'down').index(name)]}".encode()]
    if mods == ["ctrl"] and len(char) == 1:
        return [bytes([ord(char) & 0x1F])]
    if mods == ["alt"] and len(char) == 1:
        return [b"\x1b" + char.encode()]
    if not mods and len(char) == 1:
        return [char.encode()]
    raise ValueError(f"no terminal sequence known for {key!r}")
