"""The config wizard adds an SFTP remote from the options the backend declares; the
password typed there goes to the secret store, never to the config file."""

from __future__ import annotations

from textual.widgets import Checkbox, Input, Select

from core.config import RemoteConfig, load_config
from core.secrets import MemorySecrets, load_secret_options
from tests.tui.dialogs.harness import SIZE, Harness, until
from tui.dialogs.wizard import ConfigWizard
from tui.widgets.option_form import OptionForm


async def test_the_wizard_adds_an_sftp_remote_and_stores_its_password_apart() -> None:
    config = load_config()
    store = MemorySecrets()
    app = Harness(lambda: ConfigWizard(config, store=store))
    async with app.run_test(size=SIZE) as pilot:
        w = app.dialog
        assert isinstance(w, ConfigWizard)
        w.query_one("#name", Input).value = "box"
        w.query_one("#type", Select).value = "sftp"
        await pilot.press("ctrl+n")
        form = w.query_one(OptionForm)
        host = form.field("host")
        assert isinstance(host, Input)
        host.value = "backup-server"
        w.query_one("#advanced", Checkbox).focus()
        await pilot.press("space")
        password = form.field("password")
        assert isinstance(password, Input) and password.password
        password.value = "correct horse"
        await pilot.press("ctrl+n")
        assert w.step == "review" and "account" not in w.steps
        await pilot.press("ctrl+n")
        await until(pilot, lambda: bool(app.results))
    assert load_config().remote("box") == RemoteConfig("box", "sftp", {"host": "backup-server"})
    assert "correct horse" not in load_config().path.read_text()
    assert load_secret_options(store, "box") == {"password": "correct horse"}
