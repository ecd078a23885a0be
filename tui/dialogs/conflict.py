"""ConflictDialog: a file being copied already exists at the destination — what now?"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Label

from core.model import Entry
from core.transfer import ConflictAction, ConflictDecision, ConflictQuestion
from tui.format import fmt_size_long, safe_name


def _side(label: str, entry: Entry) -> str:
    when = entry.modified.astimezone().strftime("%Y-%m-%d %H:%M:%S") if entry.modified else "?"
    return f"{label:<9} {entry.size:>14,} B  {fmt_size_long(entry.size):>10}  {when}"


def _newer(a: datetime | None, b: datetime | None) -> str:
    if a is None or b is None or a == b:
        return ""
    return "  (newer)" if a > b else ""


class ConflictDialog(ModalScreen[ConflictDecision]):
    """Returns the user's ``ConflictDecision``; Escape skips this one file."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("o", "decide('overwrite')", "Overwrite", show=False, id="conflict-overwrite"),
        Binding("s,escape", "decide('skip')", "Skip", show=False, id="conflict-skip"),
        Binding("r", "decide('rename')", "Keep both", show=False, id="conflict-rename"),
        Binding("a", "toggle_all", "Apply to all", show=False, id="conflict-all"),
        Binding("c", "decide('cancel')", "Cancel job", show=False, id="conflict-cancel"),
        Binding("left", "app.focus_previous", show=False, id="conflict-previous"),
        Binding("right", "app.focus_next", show=False, id="conflict-next"),
    ]

    def __init__(self, question: ConflictQuestion) -> None:
        super().__init__(classes="dialog")
        self.question = question

    def compose(self) -> ComposeResult:
        q = self.question
        with Vertical(id="dialog-box", classes="conflict") as box:
            box.border_title = "File exists"
            yield Label(
                f"{safe_name(q.dest_path)} already exists.", id="dialog-message", markup=False
            )
            yield Label(_side("New", q.source) + _newer(q.source.modified, q.existing.modified))
            yield Label(
                _side("Existing", q.existing) + _newer(q.existing.modified, q.source.modified)
            )
            if q.renamed_path != q.dest_path:
                yield Label(
                    f"Keep both writes {safe_name(q.renamed_path)}", classes="dim", markup=False
                )
            else:
                yield Label("Keep both gives the new copy a numbered name.", classes="dim")
            more = f" ({q.remaining} more)" if q.remaining else ""
            yield Checkbox(f"Apply to [u]a[/u]ll conflicts of this job{more}", id="all")
            with Horizontal(id="dialog-buttons"):
                # The underlined letter is the button's key (o, s, r, c); ←/→ move between them.
                yield Button("[u]O[/u]verwrite", id="overwrite", variant="warning")
                yield Button("[u]S[/u]kip", id="skip", variant="primary")
                yield Button("Keep both ([u]r[/u])", id="rename")
                yield Button("[u]C[/u]ancel job", id="cancel", variant="error")

    def on_mount(self) -> None:
        self.query_one("#skip", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_decide(event.button.id or "skip")

    def action_toggle_all(self) -> None:
        box = self.query_one("#all", Checkbox)
        box.value = not box.value

    def action_decide(self, action: str) -> None:
        apply_all = self.query_one("#all", Checkbox).value
        self.dismiss(ConflictDecision(ConflictAction(action), apply_to_all=apply_all))
