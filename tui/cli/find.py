"""``skypane search`` (find files by name, and by content where the drive has an index) and
``skypane du`` (folder sizes)."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import Any

from core.model import Entry
from core.paths import Location
from core.search import search
from core.usage import UsageNode, UsageReport, disk_usage
from tui.cli.common import entry_dict, fmt_size, fmt_time, open_location, print_json, run, safe_name


def register(sub: Any) -> None:
    p = sub.add_parser(
        "search",
        help="find files below a folder (local path or remote:path)",
        description="Search below PATH. On OneDrive the drive's search index is asked (names "
        "and contents, new files may take a while to show up); local folders are walked. "
        "* and ? make QUERY a name pattern (`*.pdf`). --walk lists every folder instead.",
    )
    p.add_argument("path", metavar="PATH")
    p.add_argument("query", metavar="QUERY")
    p.add_argument("-l", "--long", action="store_true", help="size and modified time too")
    p.add_argument("--walk", action="store_true", help="walk the folders instead of the index")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=cmd_search)

    p = sub.add_parser(
        "du",
        help="folder sizes below a folder, biggest first (like ncdu)",
        description="Totals of every folder below PATH. On OneDrive the whole tree comes from "
        "one delta enumeration (not a listing per folder); local folders are walked.",
    )
    p.add_argument("path", nargs="?", default=".", metavar="PATH")
    p.add_argument("-d", "--depth", type=int, default=1, metavar="N", help="levels shown (1)")
    p.add_argument("-a", "--all", action="store_true", help="show files too, not only folders")
    p.add_argument("--walk", action="store_true", help="list folder by folder instead of delta")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress line")
    p.set_defaults(handler=cmd_du)


def cmd_search(args: argparse.Namespace) -> int:
    backend, loc = open_location(args.path)
    found: list[Entry] = []

    async def _search() -> None:
        try:
            async for page in search(backend, args.query, loc.path, use_index=not args.walk):
                if args.json:
                    found.extend(page)
                    continue
                for e in page:  # print as the hits arrive
                    name = safe_name(str(Location(loc.remote, e.path))) + ("/" if e.is_dir else "")
                    if args.long:
                        size = "-" if e.is_dir else fmt_size(e.size)
                        name = f"{size:>10}  {fmt_time(e.modified)}  {name}"
                    print(name, flush=True)
                found.extend(page)
        finally:
            await backend.close()

    run(_search)
    if args.json:
        print_json([entry_dict(e) for e in found])
    return 0


def usage_dict(node: UsageNode, depth: int, files: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": node.name,
        "path": node.path,
        "type": "dir" if node.is_dir else "file",
        "size": node.size,
    }
    if node.is_dir:
        out.update(files=node.files, folders=node.folders)
        if depth > 0:
            out["children"] = [
                usage_dict(c, depth - 1, files) for c in node.children if files or c.is_dir
            ]
    return out


def _print_usage(node: UsageNode, depth: int, files: bool, shown: Callable[[str], str]) -> None:
    for child in node.children:
        if not (files or child.is_dir):
            continue
        if depth > 1 and child.is_dir:
            _print_usage(child, depth - 1, files, shown)
        counts = f"{child.files:>8} files" if child.is_dir else " " * 14
        name = safe_name(shown(child.path)) + ("/" if child.is_dir else "")
        print(f"{fmt_size(child.size):>10}  {counts}  {name}")


def cmd_du(args: argparse.Namespace) -> int:
    if args.depth < 0:
        print("skypane: --depth must be 0 or more", file=sys.stderr)
        return 2
    backend, loc = open_location(args.path)
    live = sys.stderr.isatty() and not (args.quiet or args.json)

    def progress(count: int) -> None:
        if live:
            sys.stderr.write(f"\r{count} items read…")
            sys.stderr.flush()

    async def _du() -> UsageReport:
        try:
            return await disk_usage(backend, loc.path, progress=progress, use_delta=not args.walk)
        finally:
            await backend.close()

    began = time.monotonic()
    report = run(_du)
    elapsed = time.monotonic() - began
    if live:
        sys.stderr.write("\r\x1b[K")
    root = report.root
    if args.json:
        data = usage_dict(root, args.depth, args.all)
        data.update(method=report.method, elapsed=round(elapsed, 3))
        data["problems"] = [{"path": p, "reason": r} for p, r in report.problems]
        print_json(data)
        return 0 if not report.problems else 1
    _print_usage(root, args.depth, args.all, lambda p: str(Location(loc.remote, p)))
    print(
        f"{fmt_size(root.size):>10}  {root.files:>8} files  {safe_name(str(loc))} "
        f"(total, {root.folders} folders)"
    )
    for path, reason in report.problems:
        print(f"error: {safe_name(path)}: {reason}", file=sys.stderr)
    print(f"read by {report.method} in {elapsed:.1f} s", file=sys.stderr)
    return 0 if not report.problems else 1
