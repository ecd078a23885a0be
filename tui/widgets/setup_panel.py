"""SetupPanel: the config wizard's step that runs a backend's declared setup (``core.setup``).

One button per step the backend declares (OneDrive: sign in, choose the drive; SFTP:
connect), the lines its steps report, and the questions they ask as dialogs (``DialogAsker``).
New secrets stay in the context's staged store until the wizard saves, so cancelling the
wizard leaves the stored sign-in as it was — the same rule ``skypane login`` follows.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Label

from core.backend import Option
from core.config import RemoteConfig
from core.errors import SkypaneError
from core.secrets import MemorySecrets, Secrets
from core.setup import Setup, SetupCancelled, SetupContext, run_setup
from tui.format import Clock, system_clock


class SetupPanel(Vertical):
    """What is set up so far, with a button for each of the backend's steps."""

    DEFAULT_CSS = """
    SetupPanel { height: auto; }
    SetupPanel Horizontal { height: auto; margin: 1 0; }
    SetupPanel Horizontal Button { margin-right: 2; }
    SetupPanel Label { width: 100%; }
    """

    class Changed(Message):
        """A step finished."""

    def __init__(
        self,
        kind: Setup,
        options: tuple[Option, ...],
        store: Secrets,
        *,
        existing: RemoteConfig | None = None,
        login_close_after: float = 1.5,
        clock: Clock = system_clock,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.kind = kind
        self.declared = options
        self.store = store
        self.existing = existing
        self.login_close_after = login_close_after
        self.clock = clock
        self.context: SetupContext | None = None

    def compose(self) -> ComposeResult:
        yield Label("", id="setup-state")
        with Horizontal():
            for step in self.kind.SETUP_STEPS:
                yield Button(step.label, id=step.key)
        yield Label("", id="setup-error", classes="sky-error")

    def on_mount(self) -> None:
        self._refresh()
        self.call_after_refresh(self.focus_action)

    @property
    def complete(self) -> bool:
        done = self.context.done if self.context is not None else {}
        return all(step.key in done for step in self.kind.SETUP_STEPS)

    def _next_step(self) -> str | None:
        done = self.context.done if self.context is not None else {}
        return next((s.key for s in self.kind.SETUP_STEPS if s.key not in done), None)

    def focus_action(self) -> bool:
        """Focus the first step left to do; False when every step is done."""
        key = self._next_step()
        if key is None or not self.query(f"#{key}"):
            return False
        self.query_one(f"#{key}", Button).focus()
        return True

    def configure(
        self, name: str, options: Mapping[str, Any], secret_values: Mapping[str, str]
    ) -> None:
        """The remote's name and settings as the earlier steps left them. Steps done before
        (in this wizard, or when the remote was saved) stay done while they still hold."""
        from tui.dialogs.asker import DialogAsker

        old = self.context
        context = SetupContext(
            name,
            dict(options),
            DialogAsker(self.app, clock=self.clock, login_close_after=self.login_close_after),
            self.store,
            staged=old.staged if old is not None else MemorySecrets(),
            secret_values=dict(secret_values),
        )
        saved = old.options if old is not None else None
        if saved is None and self.existing is not None:
            saved = dict(self.existing.options)
        if saved is not None:
            self.kind.resume_setup(context, saved)
        self.context = context
        self._refresh()

    def fill(self, options: dict[str, Any]) -> None:
        """Add what the steps filled in (the account, the drive) to a remote's options."""
        if self.context is None:
            return
        for option in self.declared:
            if option.filled_by_setup:
                options[option.name] = self.context.options.get(option.name)

    def commit(self) -> None:
        """Store the secrets the steps made (called when the remote is saved)."""
        if self.context is not None:
            self.context.commit(self.store)

    @property
    def summary(self) -> list[str]:
        return self.context.summary if self.context is not None else []

    # -- drawing -----------------------------------------------------------------------------

    def _refresh(self, error: str = "") -> None:
        if not self.query("#setup-state"):
            return  # not composed yet: on_mount draws
        state = self.query_one("#setup-state", Label)
        lines = self.summary
        if lines:
            state.update("\n".join(lines))
            state.set_classes("sky-ok")
        else:
            first = self.kind.SETUP_STEPS[0].label.rstrip("…")
            state.update(f"Not set up yet: {first.lower()} to go on.")
            state.set_classes("sky-muted")
        done = self.context.done if self.context is not None else {}
        ready = True
        for step in self.kind.SETUP_STEPS:
            self.query_one(f"#{step.key}", Button).disabled = not ready
            ready = ready and step.key in done
        self.query_one("#setup-error", Label).update(error)

    # -- running steps -------------------------------------------------------------------------

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id:
            self.run_steps(event.button.id)

    @work(exclusive=True, group="setup-steps")
    async def run_steps(self, start: str) -> None:
        context = self.context
        if context is None:
            return
        error = ""
        try:
            await run_setup(self.kind, context, start)
        except SetupCancelled as exc:
            error = str(exc)
        except SkypaneError as exc:
            error = f"✗ {exc}"
        if not self.is_attached:
            return
        self._refresh(error)
        self.post_message(self.Changed())
        self.call_after_refresh(self.focus_action)
