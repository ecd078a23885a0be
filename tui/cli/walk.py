"""``skypane tree`` and ``skypane info``: look at a folder tree through any backend.

Links to folders are shown, never followed, so a symlink loop cannot make either run forever;
a folder met twice (a server listing a folder inside itself), a folder too deep, or a name
that cannot address its item (``..``, ``a/b``) is shown with the reason and not entered.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from typing import Any

from core.backend import Backend
from core.model import Entry
from core.names import FolderGuard, refusal
from tui.cli.common import entry_dict, fmt_size, fmt_time, open_location, print_json, run, safe_name


@dataclass
class Node:
    entry: Entry
    children: list[Node] = field(default_factory=list)
    files: int = 0
    folders: int = 0
    size: int = 0
    #: Why this folder was not entered (a cycle, too deep, a name that cannot be followed).
    skipped: str | None = None


async def build(
    backend: Backend,
    entry: Entry,
    depth: int | None,
    guard: FolderGuard | None = None,
    level: int = 0,
) -> Node:
    """The tree below ``entry`` with totals (the whole tree is counted, ``depth`` limits
    only which children are kept for display)."""
    node = Node(entry)
    if not entry.is_dir or entry.is_link:
        node.size = entry.size if not entry.is_dir else 0
        return node
    guard = guard or FolderGuard()
    node.skipped = (refusal(entry.name) if level else None) or guard.enter(entry, level)
    if node.skipped is not None:
        return node
    children: list[Entry] = []
    async for page in backend.list(entry.path):
        children.extend(page)
    children.sort(key=lambda e: (not e.is_dir, e.name.casefold()))
    for child in children:
        sub = await build(backend, child, None if depth is None else depth - 1, guard, level + 1)
        if child.is_dir and not child.is_link:
            node.folders += 1 + sub.folders
            node.files += sub.files
        elif not child.is_dir:
            node.files += 1
        node.size += sub.size
        if depth is None or depth > 0:
            node.children.append(sub)
    return node


def _label(e: Entry) -> str:
    name = safe_name(e.name) + ("/" if e.is_dir else "")
    if e.is_link:
        name += f" -> {safe_name(e.link_target or '?')}"
    return name


def _note(node: Node) -> str:
    return f"  ({node.skipped})" if node.skipped else ""


def _print(node: Node, prefix: str = "") -> None:
    for i, child in enumerate(node.children):
        last = i == len(node.children) - 1
        size = "" if child.entry.is_dir else f"  [{fmt_size(child.entry.size)}]"
        print(f"{prefix}{'└── ' if last else '├── '}{_label(child.entry)}{size}{_note(child)}")
        _print(child, prefix + ("    " if last else "│   "))


def _as_json(node: Node) -> dict[str, Any]:
    out = entry_dict(node.entry)
    if node.skipped:
        out["not_followed"] = node.skipped
    elif node.entry.is_dir and not node.entry.is_link:
        out["children"] = [_as_json(c) for c in node.children]
    return out


def cmd_tree(args: argparse.Namespace) -> int:
    backend, loc = open_location(args.path)

    async def _tree() -> Node:
        try:
            return await build(backend, await backend.stat(loc.path), args.depth)
        finally:
            await backend.close()

    node = run(_tree)
    if args.json:
        print_json(_as_json(node))
        return 0
    print(safe_name(str(loc)))
    _print(node)
    print(f"\n{node.folders} folders, {node.files} files, {fmt_size(node.size)}")
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    backend, loc = open_location(args.path)

    async def _info() -> Node:
        try:
            entry = await backend.stat(loc.path)
            return await build(backend, entry, 0) if entry.is_dir else Node(entry)
        finally:
            await backend.close()

    node = run(_info)
    e = node.entry
    data = entry_dict(e)
    if e.is_dir and not e.is_link:
        data.update(files=node.files, folders=node.folders, total_size=node.size)
    if e.mime_type:
        data["mime_type"] = e.mime_type
    if args.json:
        print_json(data)
        return 0
    rows = [
        ("name", safe_name(e.name)),
        ("path", safe_name(e.path)),
        ("type", "folder" if e.is_dir else "file"),
        ("modified", fmt_time(e.modified)),
    ]
    if e.is_dir and not e.is_link:
        rows += [
            ("contains", f"{node.files} files, {node.folders} folders"),
            ("total size", f"{fmt_size(node.size)} ({node.size} bytes)"),
        ]
    else:
        rows.append(("size", f"{fmt_size(e.size)} ({e.size} bytes)"))
    for algo, value in sorted(e.hashes.items()):
        rows.append((algo, value))
    for key in ("id", "web_url", "mime_type", "link_target"):
        value = getattr(e, key)
        if value:
            rows.append((key.replace("_", " "), str(value)))
    width = max(len(k) for k, _ in rows)
    for k, v in rows:
        print(f"{k:<{width}}  {v}")
    return 0
