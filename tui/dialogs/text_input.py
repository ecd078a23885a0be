"""InputDialog: one line of text (a folder name, a new name, a pattern, a destination)."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label


class InputDialog(ModalScreen[str | None]):
    """Returns the text, or ``None`` when cancelled; ``check`` may refuse a value with a reason."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", show=False, id="input-cancel")
    ]

    def __init__(
        self,
        title: str,
        prompt: str,
        value: str = "",
        *,
        check: Callable[[str], str | None] | None = None,
        password: bool = False,
    ) -> None:
        super().__init__(classes="dialog")
        self._title = title
        self._prompt = prompt
        self._value = value
        self._check = check
        #: A secret: typed hidden, and taken exactly as typed (spaces are part of it).
        self._password = password

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog-box") as box:
            box.border_title = self._title
            yield Label(self._prompt, id="dialog-message", markup=False)
            # The whole value starts selected, as in mc: typing replaces it, an arrow keeps it.
            yield Input(
                self._value, id="dialog-input", select_on_focus=True, password=self._password
            )
            yield Label("", id="dialog-error")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        value = event.value if self._password else event.value.strip()
        if not value:
            self.dismiss(None)
            return
        problem = self._check(value) if self._check else None
        if problem:
            self.query_one("#dialog-error", Label).update(problem)
            return
        self.dismiss(value)

    def action_cancel(self) -> None:
        self.dismiss(None)
