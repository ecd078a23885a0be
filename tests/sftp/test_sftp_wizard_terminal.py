"""The first-start wizard adds an SFTP remote from an ~/.ssh/config alias in a real terminal:
keys go in as a terminal sends them (a pty), the host key question and the password dialog
are answered there, and the remote is saved with the password in the secret store only."""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path

import pytest

from core.config import RemoteConfig, load_config
from core.secrets import SecretStore, load_secret_options
from tests.sftp.servers import asyncssh_server
from tests.terminal import Terminal

CTRL_N = "\x0e"


async def see(term: Terminal, needle: str) -> None:
    """Wait (in a thread: the SSH server runs on this loop) until ``needle`` (a regular
    expression) is drawn."""
    await asyncio.to_thread(term.wait_for, needle, 30)


def send(term: Terminal, *keys: str) -> None:
    for key in keys:
        term.press(key)


@pytest.mark.timeout(300)  # a dozen waits, each bounded by the terminal's patience
async def test_first_start_wizard_adds_an_sftp_remote_in_a_terminal(tmp_path: Path) -> None:
    async with asyncssh_server(tmp_path / "server") as server:
        ssh = Path.home() / ".ssh"
        ssh.mkdir(mode=0o700, exist_ok=True)
        (ssh / "config").write_text(
            f"Host backup\n  HostName 127.0.0.1\n  Port {server.port}\n  User {server.user}\n"
        )
        env = {**os.environ, "TERM": "xterm-256color"}
        term = Terminal(tmp_path, env)
        try:
            await see(term, "Welcome to skypane")
            send(term, "backup", "tab")  # the name, then the type
            send(term, "enter")  # opens the list of types (local, onedrive, sftp)
            await see(term, "sftp")
            send(term, "down")
            await asyncio.to_thread(term.drain)
            send(term, "enter")
            await see(term, "sftp")  # chosen: the closed list shows it
            send(term, CTRL_N)
            await see(term, "Host name or ~/.ssh/config alias")
            send(term, "backup", CTRL_N)
            await see(term, "Connect")
            send(term, "enter")
            await see(term, "Trust and connect")
            fingerprint = server.keys.host_key.get_fingerprint("sha256")
            await see(term, re.escape(fingerprint[:24]))  # the question shows it
            send(term, "y")
            await see(term, "Password")
            send(term, "correct horse", "enter")
            await see(term, "Keep the password")
            send(term, "y")
            await see(term, "Connected to backup")
            send(term, CTRL_N)  # Save
            await asyncio.to_thread(term.drain, 1.0)
            assert "correct horse" not in term.text()  # never drawn
        finally:
            await asyncio.to_thread(term.close)
    assert load_config().remote("backup") == RemoteConfig("backup", "sftp", {"host": "backup"})
    assert "correct horse" not in load_config().path.read_text()
    stored = load_secret_options(SecretStore(log_warning=False), "backup")
    assert stored == {"password": "correct horse"}
    assert f"[127.0.0.1]:{server.port} ssh-ed25519 " in (ssh / "known_hosts").read_text()
