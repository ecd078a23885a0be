"""InputDialog: one line of text (a folder name, a new name, a pattern, a destination)."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label
from textual.widgets.input import Selection


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
        select_stem: bool = False,
    ) -> None:
        super().__init__(classes="dialog")
        self._title = title
        self._prompt = prompt
        self._value = value
        self._check = check
        self._select_stem = select_stem

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog-box") as box:
            box.border_title = self._title
            yield Label(self._prompt, id="dialog-message", markup=False)
            yield Input(self._value, id="dialog-input", select_on_focus=not self._select_stem)
            yield Label("", id="dialog-error")

    def on_mount(self) -> None:
        field = self.query_one(Input)
        field.focus()
        if self._select_stem:
            self.call_after_refresh(self._select_name_stem)

    def _select_name_stem(self) -> None:
        # Renaming: select the name without its extension, as file managers do.
        value = self._value
        stem = len(value) - len(value.rsplit(".", 1)[1]) - 1 if "." in value.lstrip(".") else 0
        self.query_one(Input).selection = Selection(0, stem or len(value))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        value = event.value.strip()
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
