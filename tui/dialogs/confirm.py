"""ConfirmDialog: a yes/no question; ``True`` only for an explicit yes."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label


class ConfirmDialog(ModalScreen[bool]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,n", "answer(False)", "No", show=False, id="confirm-no"),
        Binding("y", "answer(True)", "Yes", show=False, id="confirm-yes"),
        Binding("left,right", "app.focus_next", show=False, id="confirm-switch"),
    ]

    def __init__(
        self, title: str, message: str, *, yes: str = "Yes", no: str = "No", danger: bool = False
    ) -> None:
        super().__init__(classes="dialog")
        self._title = title
        self._message = message
        self._yes = yes
        self._no = no
        self._danger = danger

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog-box") as box:
            box.border_title = self._title
            yield Label(self._message, id="dialog-message", markup=False)
            with Horizontal(id="dialog-buttons"):
                yield Button(self._yes, variant="error" if self._danger else "primary", id="yes")
                yield Button(self._no, id="no")

    def on_mount(self) -> None:
        # A dangerous question starts on "No" so a stray Enter does no harm.
        self.query_one("#no" if self._danger else "#yes", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
