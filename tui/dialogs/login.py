"""DeviceLoginDialog: sign in with a code typed on any device.

The dialog drives a backend's device-code flow (``core.setup.DeviceCodeStarter``, OneDrive's
msal sign-in): it blocks, so the start and the polling run in threads (``asyncio.to_thread`` inside a worker); the poller
waits on an event this dialog owns, so Cancel stops it at once and "check now" (or the
countdown reaching zero) wakes it early.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from threading import Event
from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label

from core.errors import SkypaneError
from core.setup import (
    Cancelled,
    Declined,
    DeviceCodeFlow,
    DeviceCodeStarter,
    Expired,
    Failed,
    SignedIn,
)
from core.setup import SignInOutcome as LoginOutcome
from tui.dialogs.common import OSC52_NOTE, dismiss_if_active, frame_css
from tui.format import Clock, system_clock
from tui.widgets.big_text import BigText
from tui.widgets.qr_code import QrCode


@dataclass(frozen=True, slots=True)
class LoginResult:
    """How the dialog ended: signed in, or the last failure / cancellation."""

    outcome: LoginOutcome

    @property
    def signed_in(self) -> bool:
        return isinstance(self.outcome, SignedIn)

    @property
    def account(self) -> str | None:
        return self.outcome.account if isinstance(self.outcome, SignedIn) else None


def fmt_countdown(seconds: float) -> str:
    seconds = max(int(seconds), 0)
    return f"{seconds // 60}:{seconds % 60:02d}"


class DeviceLoginDialog(ModalScreen[LoginResult]):
    """Shows the code, the URL and its QR code; polls until the sign-in ends."""

    DEFAULT_CSS = (
        frame_css("DeviceLoginDialog", "96")
        + """
    DeviceLoginDialog #login-main { height: auto; }
    DeviceLoginDialog #login-note { margin-bottom: 1; height: auto; color: $text-accent; }
    DeviceLoginDialog #login-left { width: 1fr; height: auto; padding-right: 1; }
    DeviceLoginDialog #login-url { text-style: bold underline; color: $text-accent; }
    DeviceLoginDialog #login-code { margin: 1 0 0 2; color: $text-warning; }
    DeviceLoginDialog #login-code-plain { margin: 0 0 1 2; color: $text-muted; }
    DeviceLoginDialog #login-status { margin-top: 1; height: auto; }
    DeviceLoginDialog #login-qr { margin: 0 0 0 1; }
    DeviceLoginDialog.-no-qr #login-qr { display: none; }
    DeviceLoginDialog.-waiting #retry { display: none; }
    DeviceLoginDialog.-failed #copy-code, DeviceLoginDialog.-failed #check { display: none; }
    DeviceLoginDialog.-starting #copy-code, DeviceLoginDialog.-starting #check,
    DeviceLoginDialog.-starting #retry { display: none; }
    DeviceLoginDialog.-done #check, DeviceLoginDialog.-done #retry,
    DeviceLoginDialog.-done #copy-code { display: none; }
    """
    )

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel sign-in", id="login-cancel"),
        Binding("c", "copy_code", "Copy code", id="login-copy-code"),
        Binding("u", "copy_url", "Copy URL", id="login-copy-url"),
        Binding("n", "check_now", "Check now", id="login-check-now"),
        Binding("r", "retry", "New code", id="login-retry"),
        Binding("g", "toggle_qr", "QR code", show=False, id="login-toggle-qr"),
    ]

    def __init__(
        self,
        auth: DeviceCodeStarter,
        *,
        remote: str = "",
        reason: str | None = None,
        note: str | None = None,
        clock: Clock = system_clock,
        close_after: float = 1.5,
        min_poll: float = 1.0,
    ) -> None:
        super().__init__()
        self._auth = auth
        self._remote = remote
        self._reason = reason
        self._note = note
        self._clock = clock
        self._close_after = close_after
        self._min_poll = min_poll
        self._flow: DeviceCodeFlow | None = None
        self._outcome: LoginOutcome | None = None
        #: Set when the dialog goes away: the poller's waiter returns "cancelled".
        self._halt = Event()
        self._wake = Event()
        self._dismissed = False

    @property
    def remote(self) -> str:
        """The remote this dialog signs in to."""
        return self._remote

    # -- layout ----------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Vertical(classes="sky-box") as box:
            box.border_title = f"Sign in{' to ' + self._remote if self._remote else ''}"
            box.border_subtitle = "c copy code · u copy URL · n check now · Esc cancel"
            if self._reason:
                yield Label(self._reason, id="login-reason", classes="sky-error")
            if self._note:
                yield Label(self._note, id="login-note")
            with Horizontal(id="login-main"):
                with Vertical(id="login-left"):
                    yield Label("On any device (phone, laptop), open:", classes="sky-muted")
                    yield Label("…", id="login-url")
                    yield Label("and enter the code:", classes="sky-muted")
                    yield BigText("", id="login-code")
                    yield Label("", id="login-code-plain")
                    yield Label("", id="login-countdown", classes="sky-muted")
                    yield Label("Asking for a code…", id="login-status")
                yield QrCode("", id="login-qr")
            with Horizontal(classes="sky-buttons"):
                yield Button("Copy code", id="copy-code", variant="primary")
                yield Button("Check now", id="check")
                yield Button("New code", id="retry", variant="primary")
                yield Button("Cancel", id="cancel")

    #: Below this many terminal rows the QR code would push the buttons off screen.
    QR_MIN_ROWS = 32

    def on_mount(self) -> None:
        if self.app.size.height < self.QR_MIN_ROWS:
            self.add_class("-no-qr")
            self.query_one(
                ".sky-box"
            ).border_subtitle = "c copy code · g QR code · n check now · Esc cancel"
        self.set_interval(1.0, self._tick)
        self._start()

    def on_unmount(self) -> None:
        self._stop_polling()

    # -- the flow ------------------------------------------------------------------------

    def _set_state(self, state: str) -> None:
        for name in ("starting", "waiting", "failed", "done"):
            self.set_class(name == state, f"-{name}")

    def _start(self) -> None:
        self._halt.clear()
        self._wake.clear()
        self._outcome = None
        self._set_state("starting")
        self.query_one("#login-status", Label).update("Asking for a code…")
        self.query_one("#login-status", Label).set_classes("")
        self._sign_in()

    def _wait(self, seconds: float) -> bool:
        """The poller's pause between polls (in its thread); True means stop."""
        self._wake.wait(max(seconds, self._min_poll))
        self._wake.clear()
        return self._halt.is_set()

    def _stop_polling(self) -> None:
        self._halt.set()
        if self._flow is not None:
            self._flow.cancel()
        self._wake.set()

    @work(exclusive=True, group="device-login")
    async def _sign_in(self) -> None:
        try:
            flow = await asyncio.to_thread(self._auth.start_device_flow, self._wait)
        except Exception as exc:
            if self._halt.is_set():
                return  # the dialog went away and its HTTP client may be closed under us
            message = (
                str(exc) if isinstance(exc, SkypaneError) else f"Could not ask for a code: {exc}"
            )
            self._finished(Failed(message))
            return
        if self._halt.is_set():
            flow.cancel()
            return
        self._flow = flow
        self._show_flow(flow)
        try:
            outcome = await asyncio.to_thread(flow.poll)
        except asyncio.CancelledError:
            flow.cancel()
            raise
        except Exception as exc:
            if self._halt.is_set():
                return
            message = str(exc) if isinstance(exc, SkypaneError) else f"Sign-in failed: {exc}"
            self._finished(Failed(message))
            return
        self._finished(outcome)

    def _show_flow(self, flow: DeviceCodeFlow) -> None:
        if self._halt.is_set():
            return  # cancelled while the code was on its way
        self._set_state("waiting")
        self.query_one("#login-url", Label).update(flow.verification_uri)
        self.query_one("#login-code", BigText).set_text(flow.user_code)
        self.query_one("#login-code-plain", Label).update(
            f"{flow.user_code}   (press c to copy it)"
        )
        self.query_one("#login-qr", QrCode).set_data(flow.verification_uri)
        self.query_one("#login-status", Label).update("Waiting for you to sign in…")
        self._tick()
        self.query_one("#copy-code", Button).focus()

    def _tick(self) -> None:
        flow = self._flow
        if not self.is_attached or not self.query("#login-countdown"):
            return  # closing
        label = self.query_one("#login-countdown", Label)
        if flow is None or self._outcome is not None:
            label.update("")
            return
        left = (flow.expires_at - self._clock()).total_seconds()
        label.update(f"The code expires in {fmt_countdown(left)}")
        if left <= 0:
            self._wake.set()  # let the poller notice and say "expired"

    def _finished(self, outcome: LoginOutcome) -> None:
        if self._dismissed:
            return  # the user closed the dialog; its result is already given
        self._outcome = outcome
        self._tick()
        status = self.query_one("#login-status", Label)
        if isinstance(outcome, SignedIn):
            self._set_state("done")
            status.update(f"✓ Signed in as {outcome.account}")
            status.set_classes("sky-ok")
            self.query_one("#cancel", Button).label = "Close"
            if self._close_after <= 0:
                self._close()
            else:
                self.set_timer(self._close_after, self._close)
            return
        if isinstance(outcome, Cancelled):
            self._close()
            return
        self._set_state("failed")
        if isinstance(outcome, Declined):
            text = "✗ The sign-in was declined on the verification page."
        elif isinstance(outcome, Expired):
            text = "✗ The code expired before the sign-in was approved."
        else:
            text = f"✗ Sign-in failed: {outcome.message}"
        status.update(f"{text}\nPress r for a new code, or Esc to give up.")
        status.set_classes("sky-error")
        self.query_one("#retry", Button).focus()

    def _close(self) -> None:
        if self._dismissed:
            return
        outcome = self._outcome or Cancelled()
        if dismiss_if_active(self, LoginResult(outcome)):
            self._dismissed = True
        else:
            self.set_timer(0.5, self._close)  # another dialog covers this one; wait

    # -- actions ---------------------------------------------------------------------------

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        action = {
            "copy-code": self.action_copy_code,
            "check": self.action_check_now,
            "retry": self.action_retry,
            "cancel": self.action_cancel,
        }.get(event.button.id or "")
        if action is not None:
            action()

    def action_cancel(self) -> None:
        self._stop_polling()
        if self._outcome is None:
            self._outcome = Cancelled()
        self._close()

    def action_copy_code(self) -> None:
        if self._flow is not None:
            self.app.copy_to_clipboard(self._flow.user_code)
            self.notify(f"Code {self._flow.user_code} sent to the clipboard{OSC52_NOTE}", timeout=3)

    def action_copy_url(self) -> None:
        if self._flow is not None:
            self.app.copy_to_clipboard(self._flow.verification_uri)
            self.notify(f"Sign-in page address sent to the clipboard{OSC52_NOTE}", timeout=3)

    def action_check_now(self) -> None:
        self._wake.set()

    def action_retry(self) -> None:
        if self._outcome is None or isinstance(self._outcome, SignedIn | Cancelled):
            return
        self._flow = None
        self.query_one("#login-code", BigText).set_text("")
        self.query_one("#login-code-plain", Label).update("")
        self._start()

    def action_toggle_qr(self) -> None:
        self.toggle_class("-no-qr")


__all__ = ["DeviceLoginDialog", "LoginResult", "fmt_countdown"]
