"""EditConflictDialog: the file opened with F4 changed on the drive while it was being edited."""

from __future__ import annotations

from typing import ClassVar, Literal

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label

from tui.format import safe_name

#: "copy": upload the edit beside the file under a numbered name; "overwrite": replace the
#: changed file with the edit; "discard": throw the edit away.
EditChoice = Literal["copy", "overwrite", "discard"]


class EditConflictDialog(ModalScreen[EditChoice]):
    """Escape keeps both: the edit goes up as a copy, nothing is lost."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c,escape", "choose('copy')", "Keep mine as a copy", show=False, id="edit-copy"),
        Binding("o", "choose('overwrite')", "Overwrite", show=False, id="edit-overwrite"),
        Binding("d", "choose('discard')", "Discard my edit", show=False, id="edit-discard"),
    ]

    def __init__(self, name: str, copy_name: str, gone: bool = False) -> None:
        super().__init__(classes="dialog")
        self._file_name = name
        self._copy_as = copy_name
        self._gone = gone

    def compose(self) -> ComposeResult:
        what = "was deleted" if self._gone else "changed on the drive"
        with Vertical(id="dialog-box") as box:
            box.border_title = "Changed while you edited it"
            yield Label(
                f"{safe_name(self._file_name)} {what} while it was open in the editor.",
                id="dialog-message",
                markup=False,
            )
            yield Label(
                f"Keep mine as a copy uploads your edit as {safe_name(self._copy_as)}.",
                classes="dim",
                markup=False,
            )
            with Horizontal(id="dialog-buttons"):
                yield Button("Keep mine as a copy", id="copy", variant="primary")
                yield Button("Overwrite", id="overwrite", variant="warning")
                yield Button("Discard my edit", id="discard", variant="error")

    def on_mount(self) -> None:
        self.query_one("#copy", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_choose(event.button.id or "copy")

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)  # type: ignore[arg-type]
