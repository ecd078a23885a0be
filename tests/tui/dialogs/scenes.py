"""Each dialog in a fixed state, for the snapshot tests and the screenshot script.

A scene is (make the screen, get it ready with the pilot)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from tests.tui.dialogs.fakes import FixedCodeAuth
from tests.tui.dialogs.harness import until
from tui.dialogs.login import DeviceLoginDialog

Scene = tuple[Callable[[], Any], Callable[[Any], Awaitable[None]]]


def _login() -> Scene:
    auth = FixedCodeAuth()

    def make() -> DeviceLoginDialog:
        return DeviceLoginDialog(auth, remote="work", clock=auth.clock)

    async def ready(pilot: Any) -> None:
        await until(pilot, lambda: pilot.app.screen.has_class("-waiting"))

    return make, ready


SCENES: dict[str, Scene] = {
    "dialog-login": _login(),
}
