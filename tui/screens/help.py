"""F1: every key, grouped, with the user's remappings applied."""

from __future__ import annotations

from typing import ClassVar

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import ModalScreen
from textual.widgets import Footer, Label, RichLog

from tui.actions import ActionInfo, display_keys

MOUSE_HELP = (
    ("Click", "move the cursor (Ctrl+click: select)"),
    ("Double click", "open"),
    ("Wheel", "scroll"),
    ("Drag to other pane", "copy there (onto a folder row: into it)"),
    ("Click the path", "choose another location"),
    ("Click column title", "sort by it (again: reverse)"),
)


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,f1,f10", "close", "Close", id="help-close")
    ]

    def __init__(self, actions: list[ActionInfo], keymap: dict[str, str]) -> None:
        super().__init__(classes="full")
        self._actions = actions
        self._keymap = keymap

    def compose(self) -> ComposeResult:
        yield Label(" Keys", id="screen-title")
        yield RichLog(id="help-text", markup=True, wrap=True, highlight=False, auto_scroll=False)
        yield Footer()

    def on_mount(self) -> None:
        log = self.query_one(RichLog)
        section = None
        for info in self._actions:
            if info.section != section:
                section = info.section
                log.write("")
                log.write(f"[b]{escape(section)}[/b]")
            keys = display_keys(info.keys(self._keymap))
            text = escape(f"  {keys:<18} {info.binding.description:<26}")
            log.write(f"{text} [dim]{escape(info.id)}[/dim]")
        log.write("")
        log.write("[b]Mouse[/b]")
        for what, does in MOUSE_HELP:
            log.write(escape(f"  {what:<18} {does}"))
        log.write("")
        log.write(escape("Remap keys in the config file's [keys] table by the ids on the right,"))
        log.write(escape('e.g.  copy = "f5,c"  (several keys separated by commas).'))
        log.scroll_home(animate=False)
        log.focus()

    def action_close(self) -> None:
        self.dismiss(None)
