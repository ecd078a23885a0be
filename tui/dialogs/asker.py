"""DialogAsker: a backend's setup questions asked in dialogs (``core.setup.Asker``).

Each question pushes its dialog and waits for the answer on the app's loop, so a backend's
step (an SSH connection waiting for its password, a sign-in polling for approval) goes on
underneath while the person answers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from textual.app import App
from textual.screen import Screen

from core.setup import Cancelled, Choice, ChoiceSource, DeviceCodeStarter, SignInOutcome
from tui.format import Clock, system_clock


class DialogAsker:
    """``Asker`` for the TUI; ``clock`` and ``login_close_after`` go to the sign-in dialog."""

    def __init__(
        self,
        app: App[Any],
        *,
        clock: Clock = system_clock,
        login_close_after: float = 1.5,
        give_up: Callable[[], bool] | None = None,
    ) -> None:
        self.app = app
        self.clock = clock
        self.login_close_after = login_close_after
        #: Asked just before each dialog opens: True answers "no" without opening it (a
        #: sign-in that cannot work any more, such as the demo's after its emulator stopped).
        self.give_up = give_up

    async def _answer(self, screen: Screen[Any]) -> Any:
        if self.give_up is not None and self.give_up():
            return None
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

        def done(result: Any) -> None:
            if not future.done():
                future.set_result(result)

        self.app.push_screen(screen, done)
        return await future

    async def confirm(self, title: str, text: str, *, yes: str = "Yes", no: str = "No") -> bool:
        from tui.dialogs.confirm import ConfirmDialog

        return bool(await self._answer(ConfirmDialog(title, text, yes=yes, no=no)))

    async def secret(self, title: str, prompt: str, *, echo: bool = False) -> str | None:
        from tui.dialogs.text_input import InputDialog

        answer = await self._answer(InputDialog(title, prompt, password=not echo))
        return answer if isinstance(answer, str) else None

    async def choose(self, source: ChoiceSource) -> Choice | None:
        from tui.dialogs.picker import PickerDialog

        answer = await self._answer(PickerDialog(source))
        return answer if isinstance(answer, Choice) else None

    async def device_code(
        self,
        starter: DeviceCodeStarter,
        *,
        remote: str = "",
        reason: str | None = None,
        note: str | None = None,
    ) -> SignInOutcome:
        from tui.dialogs.login import DeviceLoginDialog, LoginResult

        dialog = DeviceLoginDialog(
            starter,
            remote=remote,
            reason=reason,
            note=note,
            clock=self.clock,
            close_after=self.login_close_after,
        )
        result = await self._answer(dialog)
        return result.outcome if isinstance(result, LoginResult) else Cancelled()
