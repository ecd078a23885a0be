"""SignInAgain: what a backend awaits when its sign-in died mid-session.

It runs the sign-in the remote's backend type declares (``core.setup.SignsIn``) with the
TUI's ``DialogAsker``; the dialogs load only when a sign-in is actually needed.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from textual.app import App

from core.config import Config, RemoteConfig
from core.errors import SkypaneError
from tui.format import Clock, system_clock


class SignInAgain:
    """``BackendContext.on_auth_required`` for the TUI.

    A backend whose refresh token stopped working (revoked, idle 90 days, MFA change) awaits
    this instead of failing: it runs the remote's sign-in (the login dialog), writes the new
    tokens where the backend reads them, and answers True so the waiting request (and the
    transfers queued behind it) goes on. Requests that fail together share one dialog.
    """

    def __init__(
        self,
        app: App[Any],
        config: Config,
        secrets: Any = None,
        *,
        clock: Clock = system_clock,
    ) -> None:
        self.app = app
        self.config = config
        self.secrets = secrets
        self.clock = clock
        #: Words shown instead of the default explanation, by remote (the demo's).
        self.notes: dict[str, str] = {}
        #: Seconds the sign-in dialog stays up after a sign-in, by remote, instead of its own
        #: pause (the demo's: none, its drive appearing says it).
        self.close_after: dict[str, float] = {}
        #: Remotes whose sign-in cannot work now, with why (the demo's drive once its
        #: emulator has stopped): their requests fail at once instead of opening a dialog
        #: nobody can finish (it would cover the screen and take F10).
        self.unavailable: dict[str, str] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._rounds: dict[str, int] = {}
        self._answers: dict[str, bool] = {}

    def stop_asking(self, remote: str, why: str) -> None:
        """No more sign-in dialogs for ``remote``; one that is open is cancelled."""
        from tui.dialogs.login import DeviceLoginDialog

        self.unavailable[remote] = why
        for screen in self.app.screen_stack:
            if isinstance(screen, DeviceLoginDialog) and screen.remote == remote:
                screen.call_later(screen.action_cancel)  # once it runs, if not yet mounted

    async def __call__(self, remote: str) -> bool:
        if remote in self.unavailable:
            return False
        lock = self._locks.setdefault(remote, asyncio.Lock())
        seen = self._rounds.get(remote, 0)
        async with lock:
            if self._rounds.get(remote, 0) != seen:
                return self._answers.get(remote, False)  # answered while we waited
            answer = await self._ask(remote)
            self._rounds[remote] = seen + 1
            self._answers[remote] = answer
            return answer

    async def _ask(self, remote: str) -> bool:
        from core.registry import backend_class
        from core.secrets import default_store
        from core.setup import sign_in_of
        from tui.dialogs.asker import DialogAsker

        try:
            rc = self.config.remote(remote)
            signs_in = sign_in_of(backend_class(rc.type))
        except (SkypaneError, ImportError):
            return False
        if signs_in is None:
            return False
        reason: str | None = None
        note: str | None = self.notes.get(remote)
        if note is None and rc.get("account"):
            reason = (
                f"The sign-in of {remote} is no longer valid (expired, revoked or changed). "
                "Sign in again: waiting transfers go on afterwards."
            )
        elif note is None:
            note = f"{remote} has no sign-in on this machine yet: sign in to open it."
        pause = (
            {"login_close_after": self.close_after[remote]} if remote in self.close_after else {}
        )
        try:
            account = await signs_in.sign_in(
                remote,
                rc.options,
                DialogAsker(
                    self.app,
                    clock=self.clock,
                    give_up=lambda: remote in self.unavailable,
                    **pause,
                ),
                default_store(self.secrets),
                reason=reason,
                note=note,
            )
        except SkypaneError:
            return False
        if account is None:
            return False
        if account != rc.get("account"):
            self._remember_account(rc, account)
        if remote in self.close_after:  # the dialog did not stay to say it
            self.app.notify(f"Signed in to {remote} as {account}", timeout=4)
        return True

    def _remember_account(self, rc: RemoteConfig, account: str) -> None:
        with contextlib.suppress(SkypaneError, OSError):
            self.config.set_remote(
                RemoteConfig(rc.name, rc.type, {**rc.options, "account": account})
            )
            self.config.save()
