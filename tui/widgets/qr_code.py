"""QrCode: a QR code drawn with half blocks, two modules per terminal line.

segno makes the matrix; the drawing is ours so the code is dark on light whatever the
theme (phones read that best), and it needs no graphics protocol: it works over SSH.
"""

from __future__ import annotations

import segno
from rich.style import Style
from rich.text import Text
from textual.widgets import Static

_HALF = {(False, False): " ", (True, False): "▀", (False, True): "▄", (True, True): "█"}
#: Dark modules as the foreground on a light background.
QR_STYLE = Style(color="#000000", bgcolor="#ffffff")


def qr_lines(data: str, border: int = 2) -> list[str]:
    """``data`` as a QR code: each line holds two module rows (top ``▀``, bottom ``▄``)."""
    matrix = [
        [bool(m) for m in row]
        for row in segno.make(data, error="L", micro=False).matrix_iter(scale=1, border=border)
    ]
    if len(matrix) % 2:
        matrix.append([False] * len(matrix[0]))
    return [
        "".join(_HALF[(t, b)] for t, b in zip(top, bottom, strict=True))
        for top, bottom in zip(matrix[0::2], matrix[1::2], strict=True)
    ]


class QrCode(Static):
    """Shows ``data`` as a QR code (nothing when ``data`` is empty)."""

    DEFAULT_CSS = """
    QrCode {
        width: auto;
        height: auto;
        text-wrap: nowrap;
        text-overflow: clip;
    }
    """

    def __init__(self, data: str = "", *, id: str | None = None, classes: str | None = None):
        super().__init__(id=id, classes=classes)
        self.data = data

    def on_mount(self) -> None:
        self.set_data(self.data)

    def set_data(self, data: str) -> None:
        self.data = data
        if not data:
            self.update("")
            return
        self.update(Text("\n".join(qr_lines(data)), style=QR_STYLE))
