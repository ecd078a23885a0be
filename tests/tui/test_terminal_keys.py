"""Every default key of the main screen, as the raw bytes xterm and tmux send, reaches its action.

Pilot's key names skip the terminal: Textual's parser reads ``ESC .`` as a plain ``.`` and
``ESC [1;5R`` (Ctrl+F3) as a cursor-position report, and xterm's Shift+F6 arrives as F18. Here
the app runs on a pty (tests/keyprobe.py records the action a key selects instead of running
it) and gets exactly what a terminal writes.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from textual.binding import Binding

from tests.terminal import SKYPANE, Terminal, isolated_env, terminal_sequences
from tui.app import SkypaneApp
from tui.screens.main import MainScreen
from tui.widgets.file_list import FileList
from tui.widgets.pane import Pane

#: Where each class's bindings run when the file list has the focus.
NAMESPACES = {
    "SkypaneApp": SkypaneApp,
    "MainScreen": MainScreen,
    "Pane": Pane,
    "FileList": FileList,
}


#: Keys no xterm-like terminal sends as one key: Alt+? arrives as ESC then "?" (the find
#: binding's other key, Alt+L, is the one that works everywhere).
NOT_FROM_A_TERMINAL = {"alt+question_mark"}


def expected_actions() -> dict[str, tuple[str, str]]:
    """Key name → (namespace, action), the first binding on the focus chain winning."""
    table: dict[str, tuple[str, str]] = {}
    for name in ("FileList", "Pane", "MainScreen", "SkypaneApp"):
        for binding in NAMESPACES[name].BINDINGS:
            assert isinstance(binding, Binding)
            for key in binding.key.split(","):
                if key.strip() not in NOT_FROM_A_TERMINAL:
                    table.setdefault(key.strip(), (name, binding.action))
    return table


def wait_line(log: Path, count: int, timeout: float) -> list[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = log.read_text().splitlines() if log.exists() else []
        if len(lines) > count:
            return lines
        time.sleep(0.02)
    return log.read_text().splitlines() if log.exists() else []


@pytest.mark.timeout(240)
def test_every_default_key_works_as_a_terminal_sends_it(tmp_path: Path) -> None:
    here = tmp_path / "here"
    here.mkdir()
    (here / "a.txt").write_text("a")
    log = tmp_path / "keys.log"
    argv = [SKYPANE[0], "-m", "tests.keyprobe", str(log)]
    env = isolated_env(tmp_path / "home")
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    term = Terminal(here, env, argv=argv)
    failures: list[str] = []
    try:
        term.wait_for(r"1 item", 60)
        assert "ready" in wait_line(log, 0, 60)
        term.drain(0.3)
        for key, (namespace, action) in sorted(expected_actions().items()):
            for sequence in terminal_sequences(key):
                count = len(log.read_text().splitlines())
                term.press(sequence.decode())
                lines = wait_line(log, count, 10)
                got = lines[count] if len(lines) > count else "nothing"
                if got != f"{namespace} {action}":
                    failures.append(f"{key} {sequence!r}: expected {action}, got {got}")
                term.drain(0.05)
    finally:
        term.close()
    assert not failures, "\n".join(failures)


#: tmux's own names for keys, and the action each must reach (what tmux writes for them
#: differs from xterm for some: Home and End are ESC[1~ and ESC[4~).
TMUX_KEYS = [
    ("M-.", "Pane toggle_hidden"),
    ("C-F3", "Pane sort('name')"),
    ("S-F6", "MainScreen rename"),
    ("S-F8", "MainScreen delete_permanently"),
    ("Home", "FileList first"),
    ("End", "FileList last"),
    ("M-Left", "Pane back"),
    ("M-w", "Pane cycle_mode"),
    ("C-g", "MainScreen pick_location"),
]


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
@pytest.mark.timeout(180)
def test_keys_typed_in_a_real_tmux_reach_their_actions(tmp_path: Path) -> None:
    here = tmp_path / "here"
    here.mkdir()
    log = tmp_path / "keys.log"
    env = isolated_env(tmp_path / "home")
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    command = " ".join(
        ["env"]
        + [shlex.quote(f"{k}={v}") for k, v in env.items() if k.isidentifier()]
        + [shlex.quote(SKYPANE[0]), "-m", "tests.keyprobe", shlex.quote(str(log))]
    )
    socket = f"skypane-keys-{os.getpid()}"

    def tmux(*args: str) -> str:
        done = subprocess.run(
            ["tmux", "-L", socket, *args],
            check=True,
            timeout=30,
            cwd=here,
            capture_output=True,
            text=True,
        )
        return done.stdout

    tmux("-f", "/dev/null", "new-session", "-d", "-s", "t15", "-x", "120", "-y", "36", command)
    try:
        assert wait_line(log, 0, 120)[:1] == ["ready"]
        deadline = time.monotonic() + 60
        while "0 items" not in tmux("capture-pane", "-p", "-t", "t15"):  # both panes listed
            assert time.monotonic() < deadline, tmux("capture-pane", "-p", "-t", "t15")
            time.sleep(0.1)
        got = []
        for key, _ in TMUX_KEYS:
            count = len(log.read_text().splitlines())
            tmux("send-keys", "-t", "t15", key)
            lines = wait_line(log, count, 10)
            got.append(lines[count] if len(lines) > count else "nothing")
        assert got == [action for _, action in TMUX_KEYS]
    finally:
        subprocess.run(["tmux", "-L", socket, "kill-server"], capture_output=True, timeout=30)
