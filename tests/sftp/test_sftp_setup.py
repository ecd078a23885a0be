"""SFTP's declared setup step (``core.setup``) against real SSH servers, with a scripted
person answering: an unknown host key is asked about and remembered on yes, a changed one
is refused without a question, password and keyboard-interactive prompts are asked when no
stored password answers, and a typed password is kept only in the secret store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncssh
import pytest

from core import errors
from core.backends.sftp.backend import SftpBackend
from core.backends.sftp.connect import ssh_config_hosts
from core.secrets import MemorySecrets, load_secret_options, save_secret_options
from core.setup import SetupCancelled, SetupContext, run_setup
from tests.sftp.servers import KeyboardInteractiveOnly, Server, asyncssh_server


class Scripted:
    """An ``Asker`` that answers from lists and records every question."""

    def __init__(self, confirms: list[bool] | None = None, secrets: list[str] | None = None):
        self.confirms = list(confirms or [])
        self.secrets = list(secrets or [])
        self.asked: list[tuple[str, str, str]] = []

    async def confirm(self, title: str, text: str, *, yes: str = "Yes", no: str = "No") -> bool:
        self.asked.append(("confirm", title, text))
        assert self.confirms, f"unexpected question: {title}: {text}"
        return self.confirms.pop(0)

    async def secret(self, title: str, prompt: str, *, echo: bool = False) -> str | None:
        self.asked.append(("secret", title, prompt))
        return self.secrets.pop(0) if self.secrets else None

    async def choose(self, source: Any) -> Any:
        raise AssertionError("SFTP setup chooses nothing")

    async def device_code(self, starter: Any, **kwargs: Any) -> Any:
        raise AssertionError("SFTP setup shows no device code")


def context(
    options: dict[str, Any], asker: Scripted, store: MemorySecrets | None = None
) -> SetupContext:
    return SetupContext("box", dict(options), asker, store or MemorySecrets())


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[Server]:
    async with asyncssh_server(tmp_path) as s:
        yield s


def without_key(server: Server) -> dict[str, Any]:
    options = server.options()
    options.pop("key_file")
    return options


async def test_an_unknown_host_key_is_asked_about_and_remembered_on_yes(server: Server) -> None:
    server.keys.known_hosts.write_text("")
    asker = Scripted(confirms=[True])
    ctx = context(server.options(), asker)
    await run_setup(SftpBackend, ctx)
    kind, title, text = asker.asked[0]
    assert kind == "confirm" and title == "Unknown host key"
    assert server.keys.host_key.get_fingerprint("sha256") in text
    assert f"[127.0.0.1]:{server.port}" in text
    assert f"[127.0.0.1]:{server.port} ssh-ed25519 " in server.keys.known_hosts.read_text()
    assert "host key trusted" in ctx.done["connect"]
    again = Scripted()  # known now: nothing to ask
    await run_setup(SftpBackend, context(server.options(), again))
    assert again.asked == []


async def test_an_unknown_host_key_refused_writes_nothing(server: Server) -> None:
    server.keys.known_hosts.write_text("")
    asker = Scripted(confirms=[False])
    with pytest.raises(SetupCancelled):
        await run_setup(SftpBackend, context(server.options(), asker))
    assert server.keys.known_hosts.read_text() == ""


async def test_a_changed_host_key_is_refused_without_a_question(server: Server) -> None:
    server.keys.trust(server.port, asyncssh.generate_private_key("ssh-ed25519"))
    before = server.keys.known_hosts.read_text()
    asker = Scripted()
    with pytest.raises(errors.PermissionDenied, match="CHANGED"):
        await run_setup(SftpBackend, context(server.options(), asker))
    assert asker.asked == [] and server.keys.known_hosts.read_text() == before


async def test_a_password_is_asked_until_right_and_kept_only_in_the_secret_store(
    server: Server,
) -> None:
    asker = Scripted(confirms=[True], secrets=["wrong", "correct horse"])
    ctx = context(without_key(server), asker)
    await run_setup(SftpBackend, ctx)
    prompts = [a for a in asker.asked if a[0] == "secret"]
    assert len(prompts) == 2 and "skypane@127.0.0.1" in prompts[0][1]
    assert asker.asked[-1][1] == "Keep the password?"
    assert load_secret_options(ctx.staged, "box") == {"password": "correct horse"}
    assert "password" not in ctx.options and "correct horse" not in repr(ctx)
    assert load_secret_options(ctx.store, "box") == {}  # only once the remote is saved
    ctx.commit()
    assert load_secret_options(ctx.store, "box") == {"password": "correct horse"}


async def test_a_password_not_kept_stays_nowhere(server: Server) -> None:
    asker = Scripted(confirms=[False], secrets=["correct horse"])
    ctx = context(without_key(server), asker)
    await run_setup(SftpBackend, ctx)
    assert ctx.staged.names() == []


async def test_giving_up_on_the_password_cancels(server: Server) -> None:
    with pytest.raises(SetupCancelled):
        await run_setup(SftpBackend, context(without_key(server), Scripted(secrets=[])))


async def test_keyboard_interactive_prompts_are_asked(tmp_path: Path) -> None:
    async with asyncssh_server(tmp_path, ssh_server=KeyboardInteractiveOnly) as server:
        asker = Scripted(confirms=[False], secrets=["correct horse"])
        await run_setup(SftpBackend, context(without_key(server), asker))
        assert ("secret", "Sign in to skypane@127.0.0.1", "Password:") in asker.asked


async def test_a_stored_password_answers_keyboard_interactive_without_asking(
    tmp_path: Path,
) -> None:
    async with asyncssh_server(tmp_path, ssh_server=KeyboardInteractiveOnly) as server:
        store = MemorySecrets()
        save_secret_options(store, "box", {"password": "correct horse"})
        asker = Scripted()
        await run_setup(SftpBackend, context(without_key(server), asker, store))
        assert asker.asked == []


async def test_openssh_host_key_is_asked_about_once(openssh: Server, tmp_path: Path) -> None:
    known = tmp_path / "known_hosts"
    options = openssh.options(root=str(openssh.local_root), known_hosts=str(known))
    asker = Scripted(confirms=[True])
    await run_setup(SftpBackend, context(options, asker))
    assert openssh.keys.host_key.get_fingerprint("sha256") in asker.asked[0][2]
    assert f"[127.0.0.1]:{openssh.port} ssh-ed25519 " in known.read_text()
    again = Scripted()
    await run_setup(SftpBackend, context(options, again))
    assert again.asked == []


def test_host_aliases_are_read_from_ssh_config(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.write_text(
        "Host backup nas\n  HostName 10.0.0.2\nHost *.lan !evil\n  User ada\n"
        "host=box\nMatch host foo\n  Port 2\n"
    )
    assert ssh_config_hosts(config) == ["backup", "nas", "box"]
    assert ssh_config_hosts(tmp_path / "none") == []
