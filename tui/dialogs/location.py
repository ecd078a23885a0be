"""LocationPicker: choose what a pane shows — the local disk or a configured remote, or type a path."""

from __future__ import annotations

import os
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from core.errors import UnknownRemote
from core.paths import Location, parse_location


class LocationPicker(ModalScreen[Location | None]):
    """Returns the chosen location (remote ``None`` = local), or ``None`` when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", show=False, id="picker-cancel"),
        # Typing goes to the path field at once; the arrows still walk the list.
        Binding("up", "step(-1)", "Previous location", show=False, id="picker-up"),
        Binding("down", "step(1)", "Next location", show=False, id="picker-down"),
    ]

    def __init__(self, remotes: dict[str, str], current: Location, side: str = "") -> None:
        super().__init__(classes="dialog")
        #: remote name → backend type, in config order
        self._remotes = remotes
        self._current = current
        self._side = side
        self._choices: list[Location] = []

    def compose(self) -> ComposeResult:
        home = os.path.expanduser("~")
        self._choices = [Location(None, home), Location(None, "/")]
        options = [
            Option(f"local   {home}  (home)", id="choice-0"),
            Option("local   /", id="choice-1"),
        ]
        for i, (name, kind) in enumerate(self._remotes.items(), start=2):
            self._choices.append(Location(name, "/"))
            options.append(Option(f"{name}:   ({kind})", id=f"choice-{i}"))
        with Vertical(id="dialog-box") as box:
            box.border_title = f"Location{' — ' + self._side if self._side else ''}"
            yield OptionList(*options, id="picker-list")
            if not self._remotes:
                yield Label("No remotes configured yet.", id="picker-hint")
            yield Input(
                placeholder="or type a path: /tmp, ~/docs, remote:/folder", id="picker-path"
            )
            yield Label("", id="dialog-error")

    def on_mount(self) -> None:
        chosen = 0
        for i, loc in enumerate(self._choices):
            if loc.remote == self._current.remote and loc.remote is not None:
                chosen = i
        self.query_one(OptionList).highlighted = chosen
        self.query_one("#picker-path", Input).focus()

    def action_step(self, step: int) -> None:
        options = self.query_one(OptionList)
        current = options.highlighted if options.highlighted is not None else 0
        options.highlighted = max(0, min(current + step, options.option_count - 1))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(self._choices[event.option_index])

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        if not text:  # Enter on an empty field takes the highlighted location
            chosen = self.query_one(OptionList).highlighted
            if chosen is not None:
                self.dismiss(self._choices[chosen])
            return
        try:
            loc = parse_location(text, list(self._remotes))
        except UnknownRemote as exc:
            self.query_one("#dialog-error", Label).update(str(exc))
            return
        if loc.remote is None:
            loc = Location(None, os.path.abspath(os.path.expanduser(loc.path)))
        self.dismiss(loc)

    def action_cancel(self) -> None:
        self.dismiss(None)
