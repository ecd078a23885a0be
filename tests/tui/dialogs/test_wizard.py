"""ConfigWizard end to end on the TLS emulator: add a OneDrive remote (client id check, advanced
options, device-code sign-in, drive), edit one, a generic (local) remote, cancel; the drive
picker's SharePoint search, site URL and drive id."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Button, Checkbox, Collapsible, Input, OptionList, Select

from core.backends.onedrive.auth import MsalTokenProvider, remote_auth
from core.backends.onedrive.drives import DriveFinder
from core.backends.onedrive.setup import DriveChoices
from core.config import RemoteConfig, load_config
from core.emulator import RunningServer
from core.remotes import open_backend
from core.secrets import SecretStore
from core.tls import tls_context
from tests.tui.dialogs.harness import CLIENT_ID, SIZE, Harness, business, emulator_options, until
from tui.dialogs.login import DeviceLoginDialog
from tui.dialogs.picker import PickerDialog
from tui.dialogs.wizard import ConfigWizard
from tui.widgets.option_form import OptionForm


async def choose_mode(pilot: Any, mode: str) -> None:
    """Switch the drive picker's mode as a click on its radio button does."""
    pilot.app.screen.query_one(f"#mode-{mode}").value = True
    await pilot.pause()


def wizard(app: Harness) -> ConfigWizard:
    assert isinstance(app.dialog, ConfigWizard)
    return app.dialog


def error(app: Harness) -> str:
    return str(wizard(app).query_one("#wizard-error").render())


def set_option(app: Harness, name: str, value: Any) -> None:
    field = wizard(app).query_one(OptionForm).field(name)
    assert isinstance(field, Input | Checkbox | Select)
    field.value = value


async def show_advanced(pilot: Any, app: Harness) -> None:
    wizard(app).query_one("#advanced", Checkbox).focus()  # scrolls it into view
    await pilot.press("space")


async def sign_in_through_the_dialog(pilot: Any, app: Harness, server: RunningServer) -> None:
    await until(pilot, lambda: isinstance(app.screen, DeviceLoginDialog))
    login = app.screen
    assert isinstance(login, DeviceLoginDialog)
    await until(pilot, lambda: login._flow is not None and login.has_class("-waiting"))
    assert login._flow is not None
    server.emulator.approve(login._flow.user_code)
    await pilot.press("n")
    await until(pilot, lambda: isinstance(app.screen, PickerDialog))


async def test_add_a_onedrive_remote_from_scratch(server: RunningServer) -> None:
    config = load_config()
    app = Harness(lambda: ConfigWizard(config, login_close_after=0))
    async with app.run_test(size=SIZE) as pilot:
        w = wizard(app)
        await pilot.press("ctrl+n")
        assert "invalid remote name" in error(app)
        w.query_one("#name", Input).value = "work"
        assert w.query_one("#type", Select).value == "onedrive"
        await pilot.press("ctrl+n")
        assert w.step == "settings"
        guide = w.query_one("#guide", Collapsible)
        assert guide.display and "App registrations" in str(w.query_one("#guide-text").render())
        set_option(app, "client_id", "not-a-guid")
        await pilot.press("ctrl+n")
        assert "is not an application (client) id" in error(app) and not guide.collapsed
        set_option(app, "client_id", CLIENT_ID.upper())
        await show_advanced(pilot, app)
        assert w.query_one("#row-authority").display
        for key, value in emulator_options(server).items():
            if key != "client_id":
                set_option(app, key, value)
        await pilot.press("ctrl+n")
        assert w.step == "account"
        await pilot.click("#sign-in")
        await sign_in_through_the_dialog(pilot, app, server)
        picker = app.screen
        assert isinstance(picker, PickerDialog)
        await until(pilot, lambda: bool(picker.items))
        assert "OneDrive (personal)" in str(
            picker.query_one(OptionList).get_option_at_index(0).prompt
        )
        await pilot.press("enter")
        await until(pilot, lambda: w.step == "review")
        review = str(w.query_one("#review").render())
        assert "alice@outlook.com" in review and "work:" in review
        await pilot.press("ctrl+n")
        await until(pilot, lambda: bool(app.results))
    remote = app.results[0]
    assert isinstance(remote, RemoteConfig) and remote.type == "onedrive"
    saved = load_config().remote("work")
    assert saved.get("client_id") == CLIENT_ID  # checked and normalised
    assert saved.get("drive_id") == server.emulator.drive_id
    assert saved.get("drive_type") == "personal" and saved.get("account") == "alice@outlook.com"
    assert "region" not in saved.options  # defaults are not written
    assert SecretStore(log_warning=False).load("work") is not None
    backend = open_backend("work", load_config())
    try:
        assert [e async for page in backend.list("/") for e in page] == []
    finally:
        await backend.close()


async def test_cancel_writes_nothing_even_after_signing_in(server: RunningServer) -> None:
    config = load_config()
    app = Harness(lambda: ConfigWizard(config, login_close_after=0))
    async with app.run_test(size=SIZE) as pilot:
        w = wizard(app)
        w.query_one("#name", Input).value = "work"
        await pilot.press("ctrl+n")
        await show_advanced(pilot, app)
        for key, value in emulator_options(server).items():
            set_option(app, key, value)
        await pilot.press("ctrl+n")
        await pilot.click("#sign-in")
        await sign_in_through_the_dialog(pilot, app, server)
        await pilot.press("escape")  # no drive
        await until(pilot, lambda: app.screen is w)
        await pilot.press("ctrl+n")
        assert "choose drive first" in error(app)
        await pilot.press("escape")
    assert app.results == [None]
    assert load_config().remotes == {}
    assert SecretStore(log_warning=False).load("work") is None


async def test_a_generic_backend_gets_a_form_and_no_account_step(tmp_path: Path) -> None:
    config = load_config()
    app = Harness(lambda: ConfigWizard(config))
    async with app.run_test(size=SIZE) as pilot:
        w = wizard(app)
        w.query_one("#name", Input).value = "scratch"
        w.query_one("#type", Select).value = "local"
        await pilot.press("ctrl+n")
        assert not w.query_one("#guide").display
        set_option(app, "root", str(tmp_path))
        await pilot.press("ctrl+n")
        assert w.step == "review" and "account" not in w.steps
        await pilot.press("ctrl+n")
        await until(pilot, lambda: bool(app.results))
    assert load_config().remote("scratch") == RemoteConfig(
        "scratch", "local", {"root": str(tmp_path)}
    )


async def test_a_taken_name_is_refused(drive: RunningServer) -> None:
    app = Harness(lambda: ConfigWizard(load_config()))
    async with app.run_test(size=SIZE) as pilot:
        wizard(app).query_one("#name", Input).value = "work"
        await pilot.press("ctrl+n")
        assert "already exists" in error(app)
        await pilot.press("escape")


async def test_edit_keeps_the_sign_in_until_sign_in_settings_change(drive: RunningServer) -> None:
    config = load_config()
    before = config.remote("work")
    app = Harness(lambda: ConfigWizard(config, existing=before))
    async with app.run_test(size=SIZE) as pilot:
        w = wizard(app)
        assert w.query_one("#name", Input).disabled
        await pilot.press("ctrl+n")
        await show_advanced(pilot, app)
        set_option(app, "chunk_size", "3276800")
        await pilot.press("ctrl+n")
        await until(
            pilot,
            lambda: "Signed in as alice" in str(w.query_one("#setup-state").render()),
        )
        account = w.query_one("#account")
        assert not account.query_one("#choose-drive", Button).disabled
        await pilot.press("ctrl+n")
        await pilot.press("ctrl+n")
        await until(pilot, lambda: bool(app.results))
    after = load_config().remote("work")
    assert after.get("chunk_size") == 3276800
    assert after.get("drive_id") == before.get("drive_id")
    assert after.get("account") == before.get("account")
    # Another tenant: the old sign-in no longer applies.
    app = Harness(lambda: ConfigWizard(load_config(), existing=after))
    async with app.run_test(size=SIZE) as pilot:
        w = wizard(app)
        await pilot.press("ctrl+n")
        set_option(app, "tenant", "organizations")
        await pilot.press("ctrl+n")
        await pilot.press("ctrl+n")
        assert "sign in and choose drive first" in error(app)
        await pilot.press("escape")


# -- the drive picker on Business --------------------------------------------------------------


@pytest.fixture
async def finder(drive: RunningServer) -> AsyncIterator[DriveFinder]:
    options = load_config().remote("work").options
    auth = remote_auth("work", options)
    async with DriveFinder(
        drive.graph_url, MsalTokenProvider(auth), verify=tls_context(options["ca_bundle"])
    ) as f:
        yield f
    auth.close()


@business
async def test_picker_finds_a_site_by_search_then_its_library(finder: DriveFinder) -> None:
    app = Harness(lambda: PickerDialog(DriveChoices(finder)))
    async with app.run_test(size=SIZE) as pilot:
        picker = app.dialog
        assert isinstance(picker, PickerDialog)
        await until(pilot, lambda: bool(picker.items))
        await choose_mode(pilot, "search")
        picker.query_one("#picker-query", Input).value = "marketing"
        await pilot.press("enter")
        await until(pilot, lambda: bool(picker.items) and picker.mode == "search")
        assert "Site: Marketing" in str(picker.query_one(OptionList).get_option_at_index(0).prompt)
        await pilot.press("enter")
        await until(
            pilot, lambda: "Libraries of" in str(picker.query_one("#picker-status").render())
        )
        await pilot.press("enter")
        await until(pilot, lambda: bool(app.results))
    chosen = app.results[0].value
    assert chosen.drive_type == "documentLibrary" and "marketing" in (chosen.web_url or "")


@business
async def test_picker_takes_a_site_url_or_a_drive_id(
    finder: DriveFinder, drive: RunningServer
) -> None:
    app = Harness(lambda: PickerDialog(DriveChoices(finder)))
    async with app.run_test(size=SIZE) as pilot:
        picker = app.dialog
        assert isinstance(picker, PickerDialog)
        await until(pilot, lambda: bool(picker.items))
        await choose_mode(pilot, "url")
        picker.query_one("#picker-query", Input).value = "https://nowhere.example/sites/none"
        await pilot.press("enter")
        await until(pilot, lambda: "✗" in str(picker.query_one("#picker-status").render()))
        await choose_mode(pilot, "id")
        picker.query_one("#picker-query", Input).value = drive.emulator.drive_id
        await pilot.press("enter")
        await until(pilot, lambda: len(picker.items) == 1)
        await pilot.click("#use")
        await until(pilot, lambda: bool(app.results))
    assert app.results[0].value.id == drive.emulator.drive_id
