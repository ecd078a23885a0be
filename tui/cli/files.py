"""``skypane remotes``, ``ls`` and ``hashsum``."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

from core.backend import Backend
from core.config import load_config
from core.hashing import QuickXorHasher, quickxor_hex
from core.model import QUICKXOR, Entry
from core.names import FolderGuard, refusal
from core.special import not_a_file
from tui.cli.common import (
    OutputWriter,
    entry_dict,
    fmt_size,
    fmt_time,
    json_item,
    open_location,
    print_json,
    run,
    safe_name,
)


def register(sub: Any) -> None:
    p = sub.add_parser("remotes", help="list configured remotes, or add one (remotes add)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=cmd_remotes)
    from tui.cli.remote_setup import register_under

    register_under(p)

    p = sub.add_parser("ls", help="list a folder (local path or remote:path)")
    p.add_argument("path", nargs="?", default=".")
    p.add_argument("-l", "--long", action="store_true", help="size, modified time and name")
    p.add_argument("-a", "--all", action="store_true", help="include hidden entries")
    p.add_argument("--hash", action="store_true", help="include QuickXorHash (computed if needed)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument(
        "-U",
        "--unsorted",
        action="store_true",
        help="print entries in the order they are listed, as they arrive",
    )
    p.set_defaults(handler=cmd_ls)

    p = sub.add_parser("hashsum", help="QuickXorHash of files, like `rclone hashsum quickxor`")
    p.add_argument("paths", nargs="+")
    p.add_argument("--hex", action="store_true", help="lower-case hex instead of base64")
    p.add_argument(
        "--download",
        action="store_true",
        help="hash remote files by reading them, not the server's",
    )
    p.set_defaults(handler=cmd_hashsum)


def cmd_remotes(args: argparse.Namespace) -> int:
    config = load_config()
    remotes = config.remotes
    if args.json:
        print_json([{"name": r.name, "type": r.type, **dict(r.options)} for r in remotes.values()])
        return 0
    if not remotes:
        print("no remotes configured (add one with `skypane login NAME`)", file=sys.stderr)
        return 0
    from tui.cli.auth import describe_remote

    for r in remotes.values():
        print(f"{r.name}:\t{r.type}\t{describe_remote(r)}".rstrip())
    return 0


async def _entry_hash(backend: Backend, entry: Entry, download: bool = False) -> str | None:
    if entry.is_dir or entry.special is not None:  # a pipe or device is never read
        return None
    stored = entry.hash(QUICKXOR)
    if stored and not download:
        return stored
    if backend.remote == "local":
        import asyncio

        from core.quickxor_parts import hash_local_file

        return await asyncio.to_thread(hash_local_file, entry.path)
    h = QuickXorHasher()
    async for chunk in backend.open_read(entry.path):
        h.update(chunk)
    return h.value()


def cmd_ls(args: argparse.Namespace) -> int:
    """Entries become their output text as each page arrives; only that text (and a sort
    key) is kept, so 100,000 entries cost a few MB. ``-U`` prints pages as they come."""
    backend, loc = open_location(args.path)
    writer = OutputWriter(sys.stdout, json_list=args.json)
    lines: list[str] = []
    keys: list[str] = []

    async def line_of(e: Entry) -> str:
        if args.hash:
            value = await _entry_hash(backend, e)
            if value:
                e = replace(e, hashes={**e.hashes, QUICKXOR: value})
        if args.json:
            return json_item(entry_dict(e))
        return ls_line(e, long=args.long, with_hash=args.hash)

    async def _ls() -> None:
        try:
            top = await backend.stat(loc.path)
            pages = backend.list(loc.path) if top.is_dir else _one_page(top)
            async for page in pages:
                shown = [e for e in page if args.all or not e.is_hidden]
                text = [await line_of(e) for e in shown]
                if args.unsorted:
                    writer.write(text)
                else:
                    lines.extend(text)
                    keys.extend(map(_sort_key, shown))
        finally:
            await backend.close()

    run(_ls)
    if not args.unsorted:
        order = sorted(range(len(lines)), key=keys.__getitem__)
        keys.clear()
        for start in range(0, len(order), 4096):
            writer.write([lines[i] for i in order[start : start + 4096]])
    writer.close()
    return 0


async def _one_page(entry: Entry) -> AsyncIterator[list[Entry]]:
    yield [entry]


def _sort_key(e: Entry) -> str:
    """Folders first, then by case-folded name."""
    return ("0" if e.is_dir else "1") + e.name.casefold()


def ls_line(e: Entry, *, long: bool, with_hash: bool) -> str:
    name = safe_name(e.name) + ("/" if e.is_dir else "")
    if e.is_link:
        name += f" -> {safe_name(e.link_target or '?')}"
    if not long:
        return name
    size = "-" if e.is_dir else fmt_size(e.size)
    line = f"{size:>10}  {fmt_time(e.modified)}  {name}"
    if with_hash:
        line = f"{e.hash(QUICKXOR) or '-':28}  {line}"
    return line


def cmd_hashsum(args: argparse.Namespace) -> int:
    config = load_config()
    status = 0
    for text in args.paths:
        backend, loc = open_location(text, config)
        problems: list[str] = []

        async def _sum(
            backend: Backend = backend,
            top: str = loc.path,
            text: str = text,
            problems: list[str] = problems,
        ) -> list[tuple[str, str]]:
            out: list[tuple[str, str]] = []
            try:
                root = await backend.stat(top)
                guard = FolderGuard()
                stack = [(root, 0)]
                while stack:
                    entry, level = stack.pop()
                    # A name that cannot address its item (``..``, ``a/b``) would read
                    # another file; a folder met twice would loop: both are reported.
                    bad_name = refusal(entry.name) if level else None
                    refused = f"{bad_name}: skipped" if bad_name else None
                    if refused is None and entry.is_dir and not entry.is_link:
                        refused = guard.enter(entry, level)
                    if refused is not None:
                        problems.append(f"{entry.path}: {refused}")
                        continue
                    if entry.is_dir and not entry.is_link:
                        children: list[Entry] = []
                        async for page in backend.list(entry.path):
                            children.extend(page)
                        children.sort(key=lambda e: e.name, reverse=True)
                        stack.extend((child, level + 1) for child in children)
                        continue
                    if entry.is_dir:
                        continue  # a link to a folder: never followed
                    if entry.special is not None:  # a pipe or device is never read
                        if entry.path == root.path:
                            raise not_a_file(entry.path, entry.special)
                        problems.append(
                            f"{entry.path}: skipped: not a regular file ({entry.special})"
                        )
                        continue
                    value = await _entry_hash(backend, entry, args.download)
                    if value is not None:
                        shown = entry.path if entry.path != root.path else text
                        if entry.path != root.path and root.is_dir:
                            shown = os.path.relpath(entry.path, root.path)
                        out.append((value, shown))
            finally:
                await backend.close()
            return out

        try:
            for value, shown in run(_sum):
                print(f"{quickxor_hex(value) if args.hex else value}  {safe_name(shown)}")
            for problem in problems:
                print(f"skypane: {safe_name(problem)}", file=sys.stderr)
                status = 1
        except Exception as exc:  # report and carry on with the other paths, like rclone
            from core.errors import SkypaneError

            if not isinstance(exc, SkypaneError):
                raise
            print(f"skypane: {safe_name(str(exc))}", file=sys.stderr)
            status = 1
    return status


__all__ = ["register"]
