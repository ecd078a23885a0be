"""``skypane login`` for an SFTP remote in a real terminal (a pty), as a person runs it: the
host alias comes from ~/.ssh/config, the unknown host key is shown and answered with yes,
the password is typed without echo, and the remote then works."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from core.config import RemoteConfig, load_config
from core.secrets import SecretStore, load_secret_options
from tests.sftp.servers import asyncssh_server
from tests.terminal import SKYPANE, Terminal


def ssh_alias(port: int, user: str) -> Path:
    ssh = Path.home() / ".ssh"
    ssh.mkdir(mode=0o700, exist_ok=True)
    (ssh / "config").write_text(
        f"Host backup\n    HostName 127.0.0.1\n    Port {port}\n    User {user}\n"
    )
    return ssh / "known_hosts"


async def answer(term: Terminal, needle: str, reply: str) -> None:
    """Wait (in a thread: the SSH server runs on this loop) for ``needle``, then type."""
    await asyncio.to_thread(term.wait_for, needle, 30)
    os.write(term.fd, reply.encode() + b"\r")


async def test_login_asks_the_host_key_and_the_password_on_the_terminal(tmp_path: Path) -> None:
    async with asyncssh_server(tmp_path / "server") as server:
        (server.local_root / "hello.txt").write_text("hi")
        known_hosts = ssh_alias(server.port, server.user)
        env = {**os.environ, "TERM": "xterm-256color", "PYTHONUNBUFFERED": "1"}
        argv = [*SKYPANE, "login", "backup", "host=backup", "--type", "sftp"]
        term = Terminal(tmp_path, env, argv=argv)
        try:
            await answer(term, r"Trust and connect\? \(yes/no\)", "yes")
            shown = term.text()
            assert "can't be established" in shown
            assert server.keys.host_key.get_fingerprint("sha256") in shown
            await answer(term, r"Password: ", "correct horse")
            await answer(term, r"Keep it\? \(yes/no\)", "yes")
            status = await asyncio.to_thread(term.wait_exit, 60)
        finally:
            term.close()
        text = term.text()
        assert status == 0, text
        assert "correct horse" not in text  # typed without echo
        assert "Connected to backup" in text and "Try: skypane ls backup:" in text
        assert load_config().remote("backup") == RemoteConfig("backup", "sftp", {"host": "backup"})
        assert "correct horse" not in load_config().path.read_text()
        stored = load_secret_options(SecretStore(log_warning=False), "backup")
        assert stored == {"password": "correct horse"}
        assert f"[127.0.0.1]:{server.port} ssh-ed25519 " in known_hosts.read_text()
        ls = await asyncio.create_subprocess_exec(
            *SKYPANE, "ls", "backup:", stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        out, err = await asyncio.wait_for(ls.communicate(), 120)
        assert ls.returncode == 0, err.decode()
        assert out.decode().split() == ["hello.txt"]


async def test_login_without_a_terminal_refuses_the_host_key_question(tmp_path: Path) -> None:
    async with asyncssh_server(tmp_path / "server") as server:
        known_hosts = ssh_alias(server.port, server.user)
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tui", "login", "backup", "host=backup", "--type", "sftp",
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        _out, err = await asyncio.wait_for(proc.communicate(), 120)
        assert proc.returncode == 2, err.decode()
        assert "Unknown host key: cannot ask, standard input is not a terminal" in err.decode()
        assert not known_hosts.exists() and not load_config().remotes


async def test_ctrl_c_at_the_password_prompt_cancels_at_once(tmp_path: Path) -> None:
    async with asyncssh_server(tmp_path / "server") as server:
        known_hosts = ssh_alias(server.port, server.user)
        server.keys.known_hosts.replace(known_hosts)  # the key is known: straight to the password
        env = {**os.environ, "TERM": "xterm-256color", "PYTHONUNBUFFERED": "1"}
        term = Terminal(
            tmp_path, env, argv=[*SKYPANE, "login", "backup", "host=backup", "--type", "sftp"]
        )
        try:
            await asyncio.to_thread(term.wait_for, r"Password: ", 30)
            os.write(term.fd, b"\x03")  # Ctrl-C, as the terminal sends it
            status = await asyncio.to_thread(term.wait_exit, 30)
        finally:
            term.close()
        assert status == 130, term.text()
        assert "cancelled; nothing was changed" in term.text()
        assert not load_config().remotes
