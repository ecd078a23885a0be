"""MessageLine: the main screen's notices, between the panes and the transfer panel.

Textual's toasts float over the bottom right, which in a two-pane file manager is the right
pane's rows and the transfer strip: they hid the cursor line for seconds. Here a notice takes
its own lines for its lifetime (the panes give them up and get them back), as mc's hint line
does, so nothing under it is covered.
"""

from __future__ import annotations

from textual.widgets import Static

#: At most this many notices show at once (the newest last).
KEEP = 3


class MessageLine(Static):
    DEFAULT_CSS = """
    MessageLine {
        height: auto;
        max-height: 4;
        padding: 0 1;
        background: $primary 25%;
        display: none;
    }
    MessageLine.-warning { background: $warning 30%; }
    MessageLine.-error { background: $error 35%; }
    """

    def __init__(self) -> None:
        super().__init__(markup=False)
        self._notes: list[tuple[str, str]] = []

    def show_note(self, message: str, title: str, severity: str, timeout: float) -> None:
        text = f"{title}: {message}" if title else message
        self._notes = [*self._notes, (text, severity)][-KEEP:]
        self._draw()
        self.set_timer(timeout, lambda: self._expire(text))

    def _expire(self, text: str) -> None:
        self._notes = [(t, s) for t, s in self._notes if t != text]
        self._draw()

    def _draw(self) -> None:
        self.display = bool(self._notes)
        severities = {s for _, s in self._notes}
        self.set_class("error" in severities, "-error")
        self.set_class("warning" in severities and "error" not in severities, "-warning")
        self.update("\n".join(text.replace("\n", " ") for text, _ in self._notes))

    @property
    def text(self) -> str:
        return "\n".join(t for t, _ in self._notes)
