"""The config wizard adds an SFTP remote from an ~/.ssh/config host alias: it connects once
through the backend's setup step, asks about the unknown host key and the password in
dialogs, and keeps the password in the secret store, never in the config file."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Checkbox, Input, Label, Select

from core.backend import Backend, BackendContext
from core.config import RemoteConfig, load_config
from core.remotes import open_backend
from core.secrets import MemorySecrets, load_secret_options
from tests.sftp.servers import Server, asyncssh_server
from tests.tui.dialogs.harness import SIZE, Harness, until
from tui.dialogs.confirm import ConfirmDialog
from tui.dialogs.text_input import InputDialog
from tui.dialogs.wizard import ConfigWizard
from tui.widgets.option_form import OptionForm


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[Server]:
    async with asyncssh_server(tmp_path) as s:
        yield s


def ssh_config_alias(server: Server, alias: str = "backup") -> Path:
    """``Host backup`` in ~/.ssh/config, pointing at the server (no key: a password is asked)."""
    ssh = Path.home() / ".ssh"
    ssh.mkdir(mode=0o700, exist_ok=True)
    (ssh / "config").write_text(
        f"Host {alias}\n    HostName 127.0.0.1\n    Port {server.port}\n    User {server.user}\n"
    )
    return ssh / "known_hosts"


def wizard(app: Harness) -> ConfigWizard:
    assert isinstance(app.dialog, ConfigWizard)
    return app.dialog


async def to_settings(pilot: Any, app: Harness, name: str) -> OptionForm:
    w = wizard(app)
    w.query_one("#name", Input).value = name
    w.query_one("#type", Select).value = "sftp"
    await pilot.press("ctrl+n")
    await until(pilot, lambda: w.step == "settings" and bool(w.query(OptionForm)))
    return w.query_one(OptionForm)


async def test_the_wizard_adds_an_sftp_remote_from_a_host_alias_asking_in_dialogs(
    server: Server,
) -> None:
    known_hosts = ssh_config_alias(server)
    store = MemorySecrets()
    app = Harness(lambda: ConfigWizard(load_config(), store=store))
    async with app.run_test(size=SIZE) as pilot:
        w = wizard(app)
        form = await to_settings(pilot, app, "backup")
        host = form.field("host")
        assert isinstance(host, Input) and app.focused is host
        await pilot.press("b", "a")
        # offered from ~/.ssh/config, drawn after what was typed
        await until(pilot, lambda: "backup" in host.render_line(0).text)
        await pilot.press("right")  # accept it, as in a shell
        assert host.value == "backup"
        await pilot.press("ctrl+n")
        assert w.step == "account"
        await until(pilot, lambda: bool(w.query("#connect")))
        await pilot.click("#connect")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        question = str(app.screen.query_one("#dialog-message", Label).render())
        assert "can't be established" in question
        assert server.keys.host_key.get_fingerprint("sha256") in question
        await pilot.press("y")
        await until(pilot, lambda: isinstance(app.screen, InputDialog))
        password = app.screen.query_one(Input)
        assert password.password  # typed hidden
        await pilot.press(*"correct horse", "enter")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        assert "Keep the password for backup" in str(
            app.screen.query_one("#dialog-message", Label).render()
        )
        await pilot.press("y")
        await until(pilot, lambda: w.step == "review")
        review = str(w.query_one("#review").render())
        assert "Connected to backup" in review and "host key trusted" in review
        await pilot.press("ctrl+n")
        await until(pilot, lambda: bool(app.results))
    assert app.results[0] == RemoteConfig("backup", "sftp", {"host": "backup"})
    assert "correct horse" not in load_config().path.read_text()
    assert load_secret_options(store, "backup") == {"password": "correct horse"}
    assert f"[127.0.0.1]:{server.port} ssh-ed25519 " in known_hosts.read_text()
    (server.local_root / "hello.txt").write_text("hi")
    backend = open_backend("backup", load_config(), BackendContext(secrets=store))
    try:
        assert [e.name async for page in backend.list("/") for e in page] == ["hello.txt"]
    finally:
        await backend.close()


async def test_a_password_typed_in_the_form_connects_and_is_stored_apart(server: Server) -> None:
    store = MemorySecrets()
    app = Harness(lambda: ConfigWizard(load_config(), store=store))
    async with app.run_test(size=SIZE) as pilot:
        w = wizard(app)
        form = await to_settings(pilot, app, "box")
        options = server.options()
        options.pop("key_file")
        for key in ("host", "port", "user"):
            field = form.field(key)
            assert isinstance(field, Input)
            field.value = str(options[key])
        w.query_one("#advanced", Checkbox).focus()
        await pilot.press("space")
        for key, value in (("password", "correct horse"), ("known_hosts", options["known_hosts"])):
            field = form.field(key)
            assert isinstance(field, Input)
            field.value = value
        await pilot.press("ctrl+n")
        await until(pilot, lambda: bool(w.query("#connect")))
        await pilot.click("#connect")
        await until(pilot, lambda: w.step == "review")  # nothing to ask: key known, password given
        await pilot.press("ctrl+n")
        await until(pilot, lambda: bool(app.results))
    saved = load_config().remote("box")
    assert "password" not in saved.options and saved.get("host") == "127.0.0.1"
    assert "correct horse" not in load_config().path.read_text()
    assert load_secret_options(store, "box") == {"password": "correct horse"}


async def test_a_changed_host_key_is_refused_in_the_wizard(server: Server) -> None:
    import asyncssh

    server.keys.trust(server.port, asyncssh.generate_private_key("ssh-ed25519"))
    app = Harness(lambda: ConfigWizard(load_config(), store=MemorySecrets()))
    async with app.run_test(size=SIZE) as pilot:
        w = wizard(app)
        form = await to_settings(pilot, app, "box")
        for key, value in server.options().items():
            field = form.field(key)
            if isinstance(field, Input):
                field.value = str(value)
        await pilot.press("ctrl+n")
        await until(pilot, lambda: bool(w.query("#connect")))
        await pilot.click("#connect")
        await until(pilot, lambda: "CHANGED" in str(w.query_one("#setup-error").render()))
        assert app.screen is w  # no question was asked
        await pilot.press("ctrl+n")
        assert w.step == "account"
        await pilot.press("escape")
    assert app.results == [None] and not load_config().remotes


def opened_with_dialogs(app: Harness, options: dict[str, Any]) -> Backend:
    """The remote ``box`` saved with ``options`` and opened as the TUI opens it."""
    from tui.dialogs.asker import DialogAsker

    config = load_config()
    config.set_remote(RemoteConfig("box", "sftp", options))
    config.save()
    context = BackendContext(secrets=MemorySecrets(), asker=DialogAsker(app))
    return open_backend("box", load_config(), context)


async def test_opening_a_remote_with_an_unknown_host_key_asks_in_a_dialog(server: Server) -> None:
    """A remote added without setup (``skypane remotes add``): the TUI asks when it connects."""
    server.keys.known_hosts.write_text("")
    app = Harness()
    async with app.run_test(size=SIZE) as pilot:
        backend = opened_with_dialogs(app, server.options())
        try:
            worker = app.run_worker(backend.stat("/"), exit_on_error=False)
            await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
            question = str(app.screen.query_one("#dialog-message", Label).render())
            assert server.keys.host_key.get_fingerprint("sha256") in question
            await pilot.press("y")
            await until(pilot, lambda: worker.is_finished)
            assert worker.error is None and worker.result is not None and worker.result.is_dir
        finally:
            await backend.close()
    assert f"[127.0.0.1]:{server.port} ssh-ed25519 " in server.keys.known_hosts.read_text()


async def test_a_password_declined_mid_session_is_not_asked_again(server: Server) -> None:
    options = server.options()
    options.pop("key_file")
    app = Harness()
    async with app.run_test(size=SIZE) as pilot:
        backend = opened_with_dialogs(app, options)
        try:
            first = app.run_worker(backend.stat("/"), exit_on_error=False)
            await until(pilot, lambda: isinstance(app.screen, InputDialog))
            await pilot.press("escape")
            await until(pilot, lambda: first.is_finished)
            assert "cancelled" in str(first.error)
            second = app.run_worker(backend.stat("/"), exit_on_error=False)
            await until(pilot, lambda: second.is_finished)
            assert not isinstance(app.screen, InputDialog)
            assert "refused every way of signing in" in str(second.error)
        finally:
            await backend.close()
