"""Each dialog in a fixed state, for the snapshot tests and the screenshot script.

A scene is (make the screen, get it ready with the pilot)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from tests.tui.dialogs.fakes import FixedCodeAuth, SampleDrive
from tests.tui.dialogs.harness import fixed_clock, until
from tui.dialogs.links import LinkDialog
from tui.dialogs.login import DeviceLoginDialog

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


SCENES: dict[str, Scene] = {
    "dialog-login": _login(),
    "dialog-link": _links(),
}
