"""Helpers shared by the headless commands: opening locations, printing entries."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

import humanize

from core.backend import Backend
from core.config import Config
from core.model import Entry
from core.paths import Location
from core.remotes import open_backend, resolve

T = TypeVar("T")


def run(coro_fn: Callable[[], Awaitable[T]]) -> T:
    """Run one coroutine to completion on a fresh event loop."""

    async def _main() -> T:
        return await coro_fn()

    return asyncio.run(_main())


def open_location(text: str, config: Config | None = None) -> tuple[Backend, Location]:
    loc, config = resolve(text, config)
    return open_backend(loc.remote, config), loc


def entry_dict(entry: Entry) -> dict[str, Any]:
    """An entry as JSON-ready data."""
    out: dict[str, Any] = {
        "name": entry.name,
        "path": entry.path,
        "type": "dir" if entry.is_dir else "file",
        "size": entry.size,
        "modified": entry.modified.isoformat() if entry.modified else None,
    }
    if entry.hashes:
        out["hashes"] = dict(entry.hashes)
    if entry.id:
        out["id"] = entry.id
    if entry.is_link:
        out["link_target"] = entry.link_target
    if entry.is_package:
        out["package"] = True
    if entry.web_url:
        out["web_url"] = entry.web_url
    return out


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


def fmt_time(when: datetime | None) -> str:
    return when.astimezone().strftime("%Y-%m-%d %H:%M:%S") if when else "-"


def fmt_size(size: int | None) -> str:
    return humanize.naturalsize(size, binary=True) if size is not None else "-"


#: Characters that reorder or hide text (bidi overrides and isolates, zero-width marks): a
#: name holding them could pass for another ("photo\u202egpj.exe" reads "photoexe.jpg").
_HIDDEN_FORMAT = frozenset(
    (0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0x2060, 0xFEFF, *range(0x202A, 0x202F),
     *range(0x2066, 0x206A))
)  # fmt: skip


def safe_name(name: str) -> str:
    """A name fit for a terminal: control characters, undecodable bytes and characters that
    reorder or hide text are shown as escapes instead of acting on the terminal."""
    out = []
    for ch in name:
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:  # surrogate escape of a byte that was not UTF-8
            out.append(f"\\x{code - 0xDC00:02x}")
        elif code < 0x20 or 0x7F <= code <= 0x9F:  # C0, DEL and C1 (0x9B is a CSI)
            out.append(f"\\x{code:02x}")
        elif code in _HIDDEN_FORMAT:
            out.append(f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)
