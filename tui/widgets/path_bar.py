"""PathBar: where a pane is (``remote:/path`` or a local path) and the state of its listing."""

from __future__ import annotations

import os

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from core.paths import Location
from tui.format import safe_name


def location_text(location: Location) -> str:
    """A location as the user would type it; the home folder shortened to ``~``."""
    if location.remote is None:
        home = os.path.expanduser("~")
        path = location.path
        if path == home or path.startswith(home.rstrip("/") + "/"):
            path = "~" + path[len(home.rstrip("/")) :]
        return safe_name(path)
    return safe_name(f"{location.remote}:{location.path}")


class PathBar(Widget):
    """One line: the location on the left, listing state (count, filter, sort) on the right."""

    DEFAULT_CSS = """
    PathBar { height: 1; }
    """

    location: reactive[Location] = reactive(Location(None, "/"), layout=False)
    state: reactive[str] = reactive("")

    class Clicked(Message):
        """The user clicked the path: offer another location."""

        def __init__(self, path_bar: PathBar) -> None:
            super().__init__()
            self.path_bar = path_bar

        @property
        def control(self) -> PathBar:
            return self.path_bar

    def render(self) -> Text:
        width = self.size.width
        left = location_text(self.location)
        right = self.state
        room = width - cell_len(right) - 1
        if cell_len(left) > room:
            # Keep the end of a long path: the folder you are in matters most.
            left = "…" + left[-max(room - 1, 0) :] if room > 1 else ""
        text = Text(left, style="bold", no_wrap=True, overflow="crop")
        text.pad_right(max(width - cell_len(left) - cell_len(right), 1))
        text.append(right, style="dim")
        return text

    def on_click(self, event: events.Click) -> None:
        event.stop()
        self.post_message(self.Clicked(self))
