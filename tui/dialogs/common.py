"""Small pieces the skypane dialogs share: their frame's CSS and safe closing."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.markup import escape
from rich.text import Text
from textual.screen import Screen
from textual.widgets import DataTable

#: The frame every dialog of this package uses (ids differ from app.tcss's ``#dialog-box`` so
#: these rules, being DEFAULT_CSS, are not overridden by it).
FRAME_CSS = """
    {screen} {
        align: center middle;
        background: $background 60%;
    }
    {screen} > .sky-box {
        width: {width};
        max-width: 100%;
        height: auto;
        max-height: 100%;
        border: round $primary;
        border-title-color: $text-primary;
        border-title-style: bold;
        border-subtitle-color: $text-muted;
        background: $surface;
        padding: 0 1;
    }
    {screen} Vertical > Label {
        width: 100%;
    }
    {screen} .sky-buttons {
        height: auto;
        align: center middle;
        margin-top: 1;
    }
    {screen} .sky-buttons Button {
        margin: 0 1;
        min-width: 10;
    }
    {screen} .sky-error {
        color: $text-error;
        height: auto;
    }
    {screen} .sky-ok {
        color: $text-success;
        height: auto;
    }
    {screen} .sky-muted {
        color: $text-muted;
        height: auto;
    }
    {screen} .sky-title {
        text-style: bold;
        color: $text-accent;
        margin-top: 1;
    }
"""


#: What "sent to the clipboard" depends on: the terminal must accept OSC 52 (kitty, WezTerm,
#: iTerm2, foot, Windows Terminal, xterm with allowWindowOps; tmux with set-clipboard on).
OSC52_NOTE = " (if the terminal allows OSC 52; in tmux: set -g set-clipboard on)"


def frame_css(screen: str, width: str) -> str:
    """The shared frame rules for the dialog type ``screen`` with a box ``width``."""
    return FRAME_CSS.replace("{screen}", screen).replace("{width}", width)


def dismiss_if_active(screen: Screen[Any], result: Any) -> bool:
    """Dismiss ``screen`` only when it is on top (``dismiss`` pops whatever is on top).

    Returns False when another screen covers it; the caller may try again later.
    """
    if not screen.is_active:
        return False
    screen.dismiss(result)
    return True


def fill_table(
    table: DataTable[Any],
    labels: Sequence[str],
    rows: Sequence[Sequence[str]],
    keys: Sequence[str] | None = None,
) -> None:
    """Replace what ``table`` shows: columns ``labels``, each as wide as its widest cell.

    The widths are given here, not left to DataTable: it measures new rows only when it next
    idles, so a frame drawn before that shows them cut to the headers' widths, and the screen
    could keep that frame after the widths were known (on a busy machine). Each width is
    measured as DataTable draws the cell (a string is read as markup).
    """
    # DataTable reads a string cell as markup: a file named "[b]x[/b]" must show as it is.
    rows = [[escape(cell) for cell in row] for row in rows]
    table.clear(columns=True)
    for i, label in enumerate(labels):
        cells = [row[i] for row in rows if i < len(row)]
        width = max(Text.from_markup(text, end="").cell_len for text in [label, *cells])
        table.add_column(label, width=width)
    for n, row in enumerate(rows):
        table.add_row(*row, key=keys[n] if keys is not None else None)
