"""BigText: a short code (letters, digits, '-') drawn three lines high with half blocks.

Textual's Digits widget knows only hexadecimal letters; device codes use the whole alphabet.
A 5-pixel-high font drawn with ``▀▄█`` stays legible from across a room and takes 3 lines.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

#: 5 rows per glyph, '#' lit. Wider glyphs where 3 columns would be ambiguous (M, N, O, W).
FONT: dict[str, tuple[str, ...]] = {
    "A": (".#.", "#.#", "###", "#.#", "#.#"),
    "B": ("##.", "#.#", "##.", "#.#", "##."),
    "C": (".##", "#..", "#..", "#..", ".##"),
    "D": ("##.", "#.#", "#.#", "#.#", "##."),
    "E": ("###", "#..", "##.", "#..", "###"),
    "F": ("###", "#..", "##.", "#..", "#.."),
    "G": (".##", "#..", "#.#", "#.#", ".##"),
    "H": ("#.#", "#.#", "###", "#.#", "#.#"),
    "I": ("###", ".#.", ".#.", ".#.", "###"),
    "J": ("..#", "..#", "..#", "#.#", ".#."),
    "K": ("#.#", "#.#", "##.", "#.#", "#.#"),
    "L": ("#..", "#..", "#..", "#..", "###"),
    "M": ("#...#", "##.##", "#.#.#", "#...#", "#...#"),
    "N": ("#..#", "##.#", "#.##", "#..#", "#..#"),
    "O": (".##.", "#..#", "#..#", "#..#", ".##."),
    "P": ("##.", "#.#", "##.", "#..", "#.."),
    "Q": (".#.", "#.#", "#.#", "##.", ".##"),
    "R": ("##.", "#.#", "##.", "#.#", "#.#"),
    "S": (".##", "#..", ".#.", "..#", "##."),
    "T": ("###", ".#.", ".#.", ".#.", ".#."),
    "U": ("#.#", "#.#", "#.#", "#.#", "###"),
    "V": ("#.#", "#.#", "#.#", "#.#", ".#."),
    "W": ("#...#", "#...#", "#.#.#", "##.##", "#...#"),
    "X": ("#.#", "#.#", ".#.", "#.#", "#.#"),
    "Y": ("#.#", "#.#", ".#.", ".#.", ".#."),
    "Z": ("###", "..#", ".#.", "#..", "###"),
    "0": ("###", "#.#", "#.#", "#.#", "###"),
    "1": (".#.", "##.", ".#.", ".#.", "###"),
    "2": ("##.", "..#", ".#.", "#..", "###"),
    "3": ("##.", "..#", ".#.", "..#", "##."),
    "4": ("#.#", "#.#", "###", "..#", "..#"),
    "5": ("###", "#..", "##.", "..#", "##."),
    "6": (".##", "#..", "###", "#.#", "###"),
    "7": ("###", "..#", ".#.", ".#.", ".#."),
    "8": ("###", "#.#", "###", "#.#", "###"),
    "9": ("###", "#.#", "###", "..#", "##."),
    "-": ("...", "...", "###", "...", "..."),
    " ": ("..", "..", "..", "..", ".."),
}
_HALF = {(False, False): " ", (True, False): "▀", (False, True): "▄", (True, True): "█"}


def can_draw(text: str) -> bool:
    return bool(text) and all(ch in FONT for ch in text.upper())


def render_big(text: str) -> list[str]:
    """Three lines of half-block characters spelling ``text`` (one blank column between)."""
    glyphs = [FONT[ch] for ch in text.upper()]
    rows = [".".join(g[r] for g in glyphs) for r in range(5)]
    rows.append("." * len(rows[0]))  # pad to an even number of pixel rows
    return [
        "".join(
            _HALF[(top == "#", bottom == "#")] for top, bottom in zip(upper, lower, strict=True)
        )
        for upper, lower in zip(rows[0::2], rows[1::2], strict=True)
    ]


class BigText(Static):
    """``text`` in the big font, or plain bold text when a character is not in the font."""

    DEFAULT_CSS = """
    BigText {
        width: auto;
        height: auto;
        text-wrap: nowrap;
        text-overflow: clip;
        text-style: bold;
    }
    """

    def __init__(self, text: str = "", *, id: str | None = None, classes: str | None = None):
        super().__init__(id=id, classes=classes)
        self.text = text

    def on_mount(self) -> None:
        self.set_text(self.text)

    def set_text(self, text: str) -> None:
        self.text = text
        if can_draw(text):
            self.update(Text("\n".join(render_big(text))))
        else:
            self.update(Text(text))
