"""Names from outside: what a listed name may become, how a name is shown, how walks end.

Every name a backend lists (a server's or a disk's) is hostile until checked. ``refusal``
says why a listed name cannot become one path component somewhere else (``..`` would climb
out of the target folder, ``a/b`` would name two components, a control character would end
up in a terminal or a shell script); the planner and every walk ask it before they join a
name to a path. ``display`` is the one function that turns any name into text fit for a
terminal (CLI and TUI). ``FolderGuard`` keeps walks finite: each folder is entered once
(by id where the backend has ids) and no deeper than ``MAX_DEPTH``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from core.model import Entry

#: Folders a walk descends at most (OneDrive's 400-character paths allow ~200 levels).
MAX_DEPTH = 256

#: Characters that reorder text (bidi embeddings, overrides and isolates): a name holding
#: them reads as another ("photo\u202egpj.exe" shows as "photoexe.jpg").
_REORDERING = frozenset((*range(0x202A, 0x202F), *range(0x2066, 0x206A)))
#: Shown as escapes besides those: zero-width and direction marks that hide in text.
_HIDDEN_FORMAT = _REORDERING | {0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0x2060, 0xFEFF}


def _is_control(code: int) -> bool:
    return code < 0x20 or 0x7F <= code <= 0x9F  # C0, DEL and C1 (0x9B acts as CSI)


def display(name: str) -> str:
    """``name`` fit for a terminal: control characters, undecodable bytes and characters
    that reorder or hide text are shown as escapes instead of acting on the terminal."""
    if name.isascii() and name.isprintable():
        return name  # the common case, checked in C
    if name.isprintable() and not any(ord(ch) in _HIDDEN_FORMAT for ch in name):
        return name
    out = []
    for ch in name:
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:  # surrogate escape of a byte that was not UTF-8
            out.append(f"\\x{code - 0xDC00:02x}")
        elif _is_control(code):
            out.append(f"\\x{code:02x}")
        elif code in _HIDDEN_FORMAT or not ch.isprintable():  # line separators and such
            out.append(f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)


def misleading(name: str) -> str | None:
    """Why a path ending in ``name`` would not lead to the item listed under that name
    (``..`` climbs, ``.`` stays, ``a/b`` descends), or None."""
    if name in ("", ".", ".."):
        return "a name that is empty or a relative path marker"
    if "/" in name:
        return "a name holding a path separator (/)"
    return None


def refusal(name: str, max_bytes: int | None = None) -> str | None:
    """Why ``name``, as a backend listed it, cannot become a path component; None if it can.

    Refused: the empty name, ``.`` and ``..``, separators (``/``), NUL and other control
    characters, characters that reorder text, and names longer than ``max_bytes`` (UTF-8,
    undecodable bytes counted as the single bytes they stand for).
    """
    reason = misleading(name)
    if reason is not None:
        return reason
    if name.isascii() and name.isprintable():  # the common case, checked in C
        if max_bytes is not None and len(name) > max_bytes:
            return f"a name longer than {max_bytes} bytes"
        return None
    if any(_is_control(ord(ch)) for ch in name):
        return "a name holding control characters"
    if any(ord(ch) in _REORDERING for ch in name):
        return "a name holding characters that reorder text"
    if max_bytes is not None and len(os.fsencode(name)) > max_bytes:
        return f"a name longer than {max_bytes} bytes"
    return None


@dataclass
class FolderGuard:
    """Remembers the folders a walk entered so that none is entered twice.

    A folder is known by its id where the backend gives one (a server can list a folder
    inside itself under another name), else by its path. ``enter`` answers None to go on,
    or the reason not to.
    """

    max_depth: int = MAX_DEPTH
    seen: set[str] = field(default_factory=set)

    def enter(self, entry: Entry, depth: int) -> str | None:
        if depth > self.max_depth:
            return f"more than {self.max_depth} folders deep: not followed"
        key = f"id:{entry.id}" if entry.id else f"path:{entry.path}"
        if key in self.seen:
            return "a folder met twice in one walk (a cycle): not followed"
        self.seen.add(key)
        return None
