"""The sign-in code's "sent to the clipboard" in a real tmux: with ``set-clipboard on`` the
OSC 52 sequence skypane writes lands in tmux's paste buffer (what the README tells users)."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.terminal import isolated_env

SOCKET = f"skypane-t15-{os.getpid()}"


def tmux(*args: str) -> str:
    return subprocess.run(
        ["tmux", "-L", SOCKET, *args], check=True, capture_output=True, text=True, timeout=30
    ).stdout


def screen() -> str:
    return tmux("capture-pane", "-p", "-t", "t15")


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
@pytest.mark.timeout(180)
def test_copy_code_reaches_tmux_paste_buffer_with_set_clipboard_on(tmp_path: Path) -> None:
    env = isolated_env(tmp_path / "home")
    env["TERM"] = "xterm-256color"
    skypane = str(Path(sys.executable).parent / "skypane")
    command = " ".join(
        [f"{k}={shlex.quote(v)}" for k, v in env.items() if k.isidentifier()]
        + ["exec", shlex.quote(skypane), "--demo"]
    )
    tmux("-f", "/dev/null", "new-session", "-d", "-s", "t15", "-x", "120", "-y", "40")
    try:
        tmux("set-option", "-g", "set-clipboard", "on")
        tmux("send-keys", "-t", "t15", f"cd {shlex.quote(str(tmp_path))} && {command}", "Enter")
        deadline = time.monotonic() + 150
        code = None
        while time.monotonic() < deadline and code is None:
            found = re.search(
                r"([A-Z0-9]{4,}(?:-[A-Z0-9]{4,})?)\s+\(press c to copy it\)", screen()
            )
            code = found.group(1) if found else None
            time.sleep(0.1)
        assert code, screen()
        tmux("send-keys", "-t", "t15", "c")
        while time.monotonic() < deadline:
            buffers = tmux("list-buffers", "-F", "#{buffer_name}")
            if buffers.strip():
                break
            time.sleep(0.1)
        assert tmux("show-buffer") == code
    finally:
        subprocess.run(["tmux", "-L", SOCKET, "kill-server"], capture_output=True, timeout=30)
