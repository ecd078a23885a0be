"""PickerDialog: one item of a backend's ``ChoiceSource`` (core.setup) — a drive among one's
own, a library of a SharePoint site found by search or by its URL, a drive given by id.

Every item is listed with its kind and address so similar names can be told apart; the
ways of looking (modes) and what an item holds are the source's.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, RadioButton, RadioSet
from textual.widgets.option_list import Option

from core.errors import SkypaneError
from core.setup import Choice, ChoiceSource
from tui.dialogs.common import frame_css
from tui.format import safe_name


def choice_prompt(choice: Choice) -> Text:
    text = Text()
    if choice.prefix:
        text.append(choice.prefix, "italic")
    text.append(safe_name(choice.label) or "(no name)", "bold")
    if choice.kind:
        text.append(f"  {choice.kind}")
    if choice.detail:
        text.append(f"\n  {choice.detail}", style="dim")
    return text


class PickerDialog(ModalScreen[Choice | None]):
    DEFAULT_CSS = (
        frame_css("PickerDialog", "96")
        + """
    PickerDialog RadioSet { width: 100%; height: auto; border: none; }
    PickerDialog RadioSet > RadioButton { width: auto; margin-right: 2; }
    PickerDialog #picker-modes { layout: horizontal; }
    PickerDialog #picker-query { margin-top: 1; }
    PickerDialog.-no-query #picker-query { display: none; }
    PickerDialog.-one-mode #picker-modes { display: none; }
    PickerDialog #picker-results { height: auto; max-height: 14; margin-top: 1; }
    PickerDialog #picker-status { margin-top: 1; }
    """
    )

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="drives-cancel"),
    ]

    def __init__(self, source: ChoiceSource, *, use_label: str = "Use this one") -> None:
        self.modes = {m.key: m for m in source.modes}
        self.mode = source.modes[0].key
        classes = "" if self.modes[self.mode].placeholder else "-no-query"
        if len(self.modes) == 1:
            classes += " -one-mode"
        super().__init__(classes=classes.strip() or None)
        self.source = source
        self.use_label = use_label
        self.items: list[Choice] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="sky-box") as box:
            box.border_title = self.source.title
            box.border_subtitle = "Enter picks · Esc cancels"
            if self.source.note:
                yield Label(self.source.note, classes="sky-muted", markup=False)
            with RadioSet(id="picker-modes"):
                for key, mode in self.modes.items():
                    yield RadioButton(mode.label, key == self.mode, id=f"mode-{key}")
            yield Input(id="picker-query", placeholder=self.modes[self.mode].placeholder)
            yield OptionList(id="picker-results")
            yield Label("", id="picker-status", classes="sky-muted")
            with Horizontal(classes="sky-buttons"):
                yield Button(self.use_label, id="use", variant="primary")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self._lookup()

    # -- modes and look-ups --------------------------------------------------------------------

    @on(RadioSet.Changed, "#picker-modes")
    def _mode_changed(self, event: RadioSet.Changed) -> None:
        key = (event.pressed.id or "").removeprefix("mode-")
        if key not in self.modes:
            return
        self.mode = key
        self.workers.cancel_group(self, "choice-lookup")  # a late answer must not land here
        needs_query = bool(self.modes[key].placeholder)
        self.set_class(not needs_query, "-no-query")
        query = self.query_one("#picker-query", Input)
        query.placeholder = self.modes[key].placeholder
        query.value = ""
        self._show([], "")
        if not needs_query:
            self._lookup()
        else:
            query.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._lookup()

    def _status(self, text: str, style: str = "sky-muted") -> None:
        label = self.query_one("#picker-status", Label)
        label.update(text)
        label.set_classes(style)

    def _show(self, items: list[Choice], status: str) -> None:
        self.items = items
        results = self.query_one(OptionList)
        results.clear_options()
        results.add_options(Option(choice_prompt(i)) for i in items)
        if items:
            results.highlighted = 0
        self._status(status)

    @work(exclusive=True, group="choice-lookup")
    async def _lookup(self) -> None:
        query = self.query_one("#picker-query", Input).value.strip()
        if self.modes[self.mode].placeholder and not query:
            self._status("Type what to look for, then Enter.")
            return
        self._status("Looking…")
        try:
            items = list(await self.source.lookup(self.mode, query))
        except SkypaneError as exc:
            self._show([], "")
            self._status(f"✗ {exc}", "sky-error")
            return
        found = f"{len(items)} found." if items else "Nothing found."
        hint = f" {self.source.hint}" if self.source.hint and any(i.opens for i in items) else ""
        self._show(items, found + hint)
        self.query_one(OptionList).focus()

    @work(exclusive=True, group="choice-lookup")
    async def _open(self, choice: Choice) -> None:
        self._status(f"Opening {safe_name(choice.label)}…")
        try:
            heading, items = await self.source.open(choice)
        except SkypaneError as exc:
            self._status(f"✗ {exc}", "sky-error")
            return
        self._show(items, f"{heading}: {len(items)}")
        self.query_one(OptionList).focus()

    # -- choosing ------------------------------------------------------------------------------------

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._pick(event.option_index)

    def _pick(self, index: int | None) -> None:
        if index is None or not 0 <= index < len(self.items):
            return
        item = self.items[index]
        if item.opens:
            self._open(item)
        else:
            self.dismiss(item)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "use":
            self._pick(self.query_one(OptionList).highlighted)
        else:
            self.action_cancel()

    def action_cancel(self) -> None:
        self.dismiss(None)
