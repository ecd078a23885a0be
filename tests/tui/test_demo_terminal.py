"""The README's run command, as a user meets it: `skypane --demo` in a real terminal.

The installed `skypane` script starts on a pty with a private HOME; the demo's TLS emulator
asks for the device-code sign-in and approves it by itself; the drive appears in the right
pane; F5 copies a local file up, and after quitting, the file is on the demo drive with the
same bytes, while the user's own configuration was never written.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from core.backend import BackendContext
from core.backends.onedrive.auth import SignedIn, remote_auth
from core.demo import REMOTE, start_demo
from core.hashing import QUICKXOR, quickxor_of
from core.remotes import open_backend
from core.secrets import MemorySecrets
from tests.terminal import Terminal, isolated_env

ROOT = Path(__file__).resolve().parents[2]
#: The environment pytest started in (read at import, before the autouse fixture isolates
#: HOME): the README command runs the way a user's shell would run it.
USER_ENV = dict(os.environ)


def readme_command(marker: str) -> str:
    lines = (ROOT / "README.md").read_text().splitlines()
    return lines[lines.index(f"<!-- {marker} -->") + 2]


def shell_python() -> str | None:
    """The ``python3`` a user's shell finds: the first on PATH outside this virtualenv."""
    venv_bin = str(Path(sys.executable).parent)
    path = os.pathsep.join(p for p in USER_ENV.get("PATH", "").split(os.pathsep) if p != venv_bin)
    return shutil.which("python3", path=path)


@pytest.mark.timeout(180)
def test_the_readme_run_command_shows_the_demo_drive(tmp_path: Path) -> None:
    command = readme_command("run-command")
    assert command.endswith("skypane --demo"), command
    python = shell_python()
    assert python is not None, "no python3 on PATH besides this virtualenv's"
    venv_bin = str(Path(sys.executable).parent)
    env = isolated_env(tmp_path / "home")
    env["PATH"] = os.pathsep.join(
        [str(Path(python).parent)]
        + [p for p in USER_ENV.get("PATH", "").split(os.pathsep) if p != venv_bin]
    )
    env.pop("VIRTUAL_ENV", None)
    # uv finds its cache and this checkout's .venv as the user's shell would
    env["UV_CACHE_DIR"] = USER_ENV.get("UV_CACHE_DIR") or str(
        Path(USER_ENV.get("XDG_CACHE_HOME") or Path(USER_ENV["HOME"]) / ".cache") / "uv"
    )
    term = Terminal(ROOT, env, argv=["/bin/sh", "-c", command])
    try:
        term.wait_for(r"Sign in to demo", 120)
        term.wait_for(r"Documents", 30)
        term.wait_for(r"Archive", 10)
        term.drain(0.5)
        term.press("f10")
        assert term.wait_exit(20) == 0, term.text()[-2000:]
    finally:
        term.close()


@pytest.mark.timeout(180)
async def test_demo_in_a_terminal_signs_in_lists_the_drive_and_copies_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = isolated_env(tmp_path / "home")
    here = tmp_path / "here"
    here.mkdir()
    payload = os.urandom(300_000)
    (here / "field-notes.bin").write_bytes(payload)
    term = Terminal(here, env, argv=[str(Path(sys.executable).parent / "skypane"), "--demo"])
    try:
        term.wait_for(r"Sign in to demo", 60)
        term.wait_for(r"[A-Z0-9]{6,}\s+\(press c to copy it\)", 30)
        term.wait_for(r"Documents", 30)  # approved by the emulator after a few seconds
        term.wait_for(r"Archive", 10)
        term.drain(0.5)
        term.press("down")  # from ".." to the file, in the left (local) pane
        term.drain(0.3)
        term.press("f5")
        term.wait_for(r"Copy file 'field-notes\.bin' to:", 15)
        term.wait_for(r"demo:/", 5)
        term.press("enter")
        term.wait_for(r"1 done", 60)
        term.drain(0.3)
        term.press("f10")
        assert term.wait_exit(20) == 0, term.text()[-2000:]
    finally:
        term.close()

    assert not any((tmp_path / "home" / "skypane-config").iterdir()), "user config was written"
    for var in ("HOME", "XDG_DATA_HOME", "SKYPANE_DATA_DIR", "SKYPANE_CONFIG_DIR"):
        monkeypatch.setenv(var, env[var])
    session = start_demo(auto_approve_after=0.1)
    try:
        secrets = MemorySecrets()
        flow = remote_auth(REMOTE, session.remote.options, secrets).start_device_flow()
        assert isinstance(await flow.wait(), SignedIn)
        backend = open_backend(REMOTE, session.config, BackendContext(secrets=secrets))
        try:
            entry = await backend.stat("/field-notes.bin")
            assert entry.size == len(payload)
            assert entry.hashes.get(QUICKXOR) == quickxor_of(payload)
        finally:
            await backend.close()
    finally:
        session.stop()
