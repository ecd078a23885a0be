"""Helpers shared by the headless commands: opening locations, printing entries."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TextIO, TypeVar

import humanize

from core.backend import Backend
from core.config import Config
from core.model import Entry
from core.names import display
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


def _json_text(data: Any) -> str:
    text = json.dumps(data, indent=2, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a name that is not UTF-8 on disk: JSON's own escapes
        text = json.dumps(data, indent=2)
    return text


def print_json(data: Any) -> None:
    sys.stdout.write(_json_text(data) + "\n")


def json_item(data: Any) -> str:
    """``data`` as one item of a list that ``print_json`` would print (indented by two)."""
    return "  " + _json_text(data).replace("\n", "\n  ")


class OutputWriter:
    """Output lines, or the items of one JSON list, written in batches as they come."""

    def __init__(self, out: TextIO, *, json_list: bool = False) -> None:
        self.out = out
        self.json_list = json_list
        self.count = 0

    def write(self, lines: list[str]) -> None:
        if not lines:
            return
        if not self.json_list:
            self.out.write("\n".join(lines) + "\n")
        else:
            self.out.write(("[\n" if not self.count else ",\n") + ",\n".join(lines))
        self.count += len(lines)

    def close(self) -> None:
        if self.json_list:
            self.out.write("\n]\n" if self.count else "[]\n")


def ask_yes(question: str) -> bool:
    """A y/N question on stderr, answered on stdin; False when stdin is not a terminal.
    End of input raises ``EOFError`` (the command line ends with one line)."""
    if not sys.stdin.isatty():
        return False
    sys.stderr.write(f"{question} [y/N] ")
    sys.stderr.flush()
    line = sys.stdin.readline()
    if not line:
        raise EOFError
    return line.strip().lower() in ("y", "yes")


def fmt_time(when: datetime | None) -> str:
    return when.astimezone().strftime("%Y-%m-%d %H:%M:%S") if when else "-"


def fmt_size(size: int | None) -> str:
    return humanize.naturalsize(size, binary=True) if size is not None else "-"


#: Every name shown on a terminal goes through this one function.
safe_name = display
