"""``skypane search``: find files by name (and by content where the drive has an index)."""

from __future__ import annotations

import argparse
from typing import Any

from core.model import Entry
from core.paths import Location
from core.search import search
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
