"""Each dialog in a fixed state, for the snapshot tests and the screenshot script.

A scene is (make the screen, get it ready with the pilot); ``SCENES`` holds a factory per
name so each test starts from fresh data."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import tomlkit

from core.backends.onedrive.setup import DriveChoices
from core.config import Config, RemoteConfig
from core.secrets import MemorySecrets
from tests.tui.dialogs.fakes import FixedCodeAuth, SampleDrive, SampleDrives
from tests.tui.dialogs.harness import CLIENT_ID, fixed_clock, until
from tui.dialogs.cleanup import VersionCleanupDialog
from tui.dialogs.links import LinkDialog
from tui.dialogs.login import DeviceLoginDialog
from tui.dialogs.picker import PickerDialog
from tui.dialogs.remotes import RemotesDialog
from tui.dialogs.versions import Destination, VersionsDialog
from tui.dialogs.wizard import ConfigWizard

Scene = tuple[Callable[[], Any], Callable[[Any], Awaitable[None]]]


async def choose_mode(pilot: Any, mode: str) -> None:
    """Switch the drive picker's mode as a click on its radio button does."""
    pilot.app.screen.query_one(f"#mode-{mode}").value = True
    await pilot.pause()


def _login() -> Scene:
    auth = FixedCodeAuth()

    def make() -> DeviceLoginDialog:
        return DeviceLoginDialog(auth, remote="work", clock=auth.clock)

    async def ready(pilot: Any) -> None:
        await until(pilot, lambda: pilot.app.screen.has_class("-waiting"))

    return make, ready


def _links() -> Scene:
    def make() -> LinkDialog:
        return LinkDialog(SampleDrive(), "/Docs/report.docx", clock=fixed_clock)

    async def ready(pilot: Any) -> None:
        dialog = pilot.app.screen
        await until(pilot, lambda: len(dialog.links) == 2)
        dialog.query_one("#expiry").value = "2025-07-15"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: len(dialog.links) == 3)
        dialog.query_one("#link-type").focus()

    return make, ready


def _versions(personal: bool) -> Scene:
    def make() -> VersionsDialog:
        dest = Destination(SampleDrive(), "/Backup", "~/target")
        return VersionsDialog(SampleDrive(personal), "/Docs/report.docx", destination=dest)

    async def ready(pilot: Any) -> None:
        dialog = pilot.app.screen
        await until(pilot, lambda: bool(dialog.versions))
        await pilot.press("down", "down")

    return make, ready


def _cleanup(personal: bool, run: bool) -> Scene:
    def make() -> VersionCleanupDialog:
        return VersionCleanupDialog(SampleDrive(personal), "/Docs", clock=fixed_clock)

    async def ready(pilot: Any) -> None:
        dialog = pilot.app.screen
        await until(pilot, lambda: dialog.has_class("-ready"))
        await pilot.click("#policy-all-but-current")
        if run:
            await pilot.press("ctrl+d")
            await until(pilot, lambda: type(pilot.app.screen).__name__ == "ConfirmDialog")
            await pilot.press("y")
            await until(pilot, lambda: dialog.has_class("-done"))

    return make, ready


def _config() -> Config:
    config = Config(Path("/nonexistent/config.toml"), tomlkit.document())
    config.set_remote(
        RemoteConfig(
            "work",
            "onedrive",
            {"client_id": CLIENT_ID, "account": "alice@contoso.com", "drive_type": "business",
             "drive_id": "b!5EPfeJVYhn9bqR-vegJCBPfBvYdNpecJ"},
        )
    )  # fmt: skip
    config.set_remote(RemoteConfig("photos", "local", {"root": "/srv/photos"}))
    return config


def _wizard() -> Scene:
    def make() -> ConfigWizard:
        return ConfigWizard(_config(), store=MemorySecrets(), types=["local", "onedrive"])

    async def ready(pilot: Any) -> None:
        wizard = pilot.app.screen
        wizard.query_one("#name").value = "onedrive"
        await pilot.press("ctrl+n")
        await until(pilot, lambda: wizard.step == "settings")
        await until(
            pilot, lambda: pilot.app.focused is not None and pilot.app.focused.id == "opt-client_id"
        )
        # typed, as a user does: a value set from here could land before the field's focus
        # event, which then selects it all
        await pilot.press(*CLIENT_ID)

    return make, ready


def _drive_picker() -> Scene:
    def make() -> PickerDialog:
        return PickerDialog(DriveChoices(SampleDrives(), account="alice@contoso.com"))  # type: ignore[arg-type]

    async def ready(pilot: Any) -> None:
        picker = pilot.app.screen
        await until(pilot, lambda: bool(picker.items))
        await choose_mode(pilot, "search")
        picker.query_one("#picker-query").value = "market"
        await pilot.press("enter")
        await until(pilot, lambda: len(picker.items) == 2 and picker.mode == "search")
        await pilot.press("enter")
        await until(pilot, lambda: picker.items and picker.items[0].label == "Documents")

    return make, ready


def _remotes() -> Scene:
    def make() -> RemotesDialog:
        store = MemorySecrets()
        store.save("work", "{}")
        return RemotesDialog(_config(), store=store)

    async def ready(pilot: Any) -> None:
        await pilot.pause()

    return make, ready


SCENES: dict[str, Callable[[], Scene]] = {
    "dialog-login": _login,
    "dialog-link": _links,
    "dialog-versions": lambda: _versions(personal=False),
    "dialog-versions-personal": lambda: _versions(personal=True),
    "dialog-cleanup": lambda: _cleanup(personal=False, run=False),
    "dialog-cleanup-done": lambda: _cleanup(personal=False, run=True),
    "dialog-cleanup-personal": lambda: _cleanup(personal=True, run=False),
    "dialog-wizard": _wizard,
    "dialog-drive-picker": _drive_picker,
    "dialog-remotes": _remotes,
}
