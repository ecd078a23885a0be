"""SearchDialog: what to look for and where (this folder or the whole drive)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Checkbox, Input, Label

from core.errors import SkypaneError
from core.search import parse_query


@dataclass(frozen=True, slots=True)
class SearchRequest:
    text: str
    whole_drive: bool = False
    #: Walk the folders even where the drive has a search index.
    walk: bool = False


class SearchDialog(ModalScreen[SearchRequest | None]):
    """Returns the request, or ``None`` when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", show=False, id="search-dialog-cancel")
    ]

    def __init__(self, where: str, *, indexed: bool, last: str = "") -> None:
        super().__init__(classes="dialog")
        self._where = where
        self._indexed = indexed
        self._last = last

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog-box") as box:
            box.border_title = "Find file"
            how = "names and contents (the drive's index)" if self._indexed else "names"
            yield Label(
                f"Search {how} below {self._where}.\n* and ? make a name pattern (*.pdf).",
                id="dialog-message",
            )
            yield Input(self._last, id="dialog-input", placeholder="text or pattern")
            yield Checkbox("Whole drive (from its root)", id="search-whole")
            if self._indexed:
                yield Checkbox("Walk the folders instead of the index", id="search-walk")
            yield Label("", id="dialog-error")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        try:
            parse_query(event.value)
        except SkypaneError as exc:
            self.query_one("#dialog-error", Label).update(exc.message)
            return
        walk = self._indexed and self.query_one("#search-walk", Checkbox).value
        whole = self.query_one("#search-whole", Checkbox).value
        self.dismiss(SearchRequest(event.value.strip(), whole, walk))

    def action_cancel(self) -> None:
        self.dismiss(None)
