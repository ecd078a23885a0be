"""OneDrive naming rules (GRAPH.md §14): what a name may be, how names compare."""

from __future__ import annotations

import re
from collections.abc import Container

from .config import Flavour
from .errors import GraphError

#: The decoded path of an item, including its own name, may not be longer than this.
MAX_PATH = 400

_RESERVED_CHARS = frozenset('/\\*<>?:|"')
_RESERVED_NAMES = frozenset(
    {".lock", "con", "prn", "aux", "nul", "desktop.ini"}
    | {f"com{n}" for n in range(10)}
    | {f"lpt{n}" for n in range(10)}
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def fold(name: str) -> str:
    """The key under which a name is unique in its folder (names are case-insensitive)."""
    return name.casefold()


def invalid_name(message: str) -> GraphError:
    return GraphError(400, "invalidRequest", message, inner="invalidPath")


def check_name(name: str, flavour: Flavour, *, is_folder: bool, at_root: bool = False) -> None:
    """Raise 400 invalidRequest/invalidPath when OneDrive would refuse ``name``."""
    if not name or name in (".", ".."):
        raise invalid_name("The name is empty or a relative path marker")
    bad = sorted(set(name) & _RESERVED_CHARS)
    if bad:
        raise invalid_name(f"The name contains invalid characters: {''.join(bad)}")
    if _CONTROL.search(name):
        raise invalid_name("The name contains control characters")
    if name != name.strip(" "):
        raise invalid_name("The name may not start or end with a space")
    if name.endswith("."):
        raise invalid_name("The name may not end with a period")
    lowered = name.casefold()
    if lowered in _RESERVED_NAMES or lowered.startswith("~$") or "_vti_" in lowered:
        raise invalid_name(f"'{name}' is a reserved name")
    if flavour == "business":
        if name.startswith("~"):
            raise invalid_name("The name may not start with a tilde")
        if is_folder and at_root and lowered == "forms":
            raise invalid_name("'forms' is reserved at the root of a library")


def check_path_length(path: str) -> None:
    """Raise 400 pathIsTooLong for a decoded path (``a/b/c.txt``) over :data:`MAX_PATH`."""
    if len(path.strip("/")) > MAX_PATH:
        raise GraphError(400, "invalidRequest", "The path is too long", inner="pathIsTooLong")


def unique_name(name: str, taken: Container[str]) -> str:
    """``name`` or the first of ``name 1``, ``name 2``… (before the extension) not in use.

    ``taken`` holds folded names.
    """
    if fold(name) not in taken:
        return name
    dot = name.rfind(".")
    stem, ext = (name[:dot], name[dot:]) if dot > 0 else (name, "")
    n = 1
    while True:
        candidate = f"{stem} {n}{ext}"
        if fold(candidate) not in taken:
            return candidate
        n += 1
