"""Each dialog in a fixed state, for the snapshot tests and the screenshot script.

A scene is (make the screen, get it ready with the pilot)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from tests.tui.dialogs.fakes import FixedCodeAuth, SampleDrive
from tests.tui.dialogs.harness import fixed_clock, until
from tui.dialogs.cleanup import VersionCleanupDialog
from tui.dialogs.links import LinkDialog
from tui.dialogs.login import DeviceLoginDialog
from tui.dialogs.versions import Destination, VersionsDialog

Scene = tuple[Callable[[], Any], Callable[[Any], Awaitable[None]]]


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


SCENES: dict[str, Scene] = {
    "dialog-login": _login(),
    "dialog-link": _links(),
    "dialog-versions": _versions(personal=False),
    "dialog-versions-personal": _versions(personal=True),
    "dialog-cleanup": _cleanup(personal=False, run=False),
    "dialog-cleanup-done": _cleanup(personal=False, run=True),
    "dialog-cleanup-personal": _cleanup(personal=True, run=False),
}
