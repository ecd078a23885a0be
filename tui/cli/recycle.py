"""``skypane recycle REMOTE:``: list, restore and empty a drive's recycle bin where Graph
offers one; elsewhere say so and name the web page."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from core.backend import RecycleBin
from core.errors import Unsupported
from core.model import RecycledItem, RecycleSupport, RestoreResult
from tui.cli.common import ask_yes, fmt_size, fmt_time, open_location, print_json, run, safe_name


def register(sub: Any) -> None:
    p = sub.add_parser(
        "recycle",
        help="list, restore or empty the recycle bin of a remote",
        description="Lists the recycle bin of REMOTE: (SharePoint document libraries). "
        "OneDrive Personal cannot be listed through Graph, but an item skypane deleted can be "
        "restored by the id it printed; OneDrive for Business has no Graph recycle bin at all: "
        "the command names the web page instead.",
    )
    p.add_argument("remote", metavar="REMOTE:")
    action = p.add_mutually_exclusive_group()
    action.add_argument("--restore", nargs="+", metavar="ID", help="put these items back")
    action.add_argument(
        "--empty", nargs="*", metavar="ID", help="delete for good: these items, or everything"
    )
    p.add_argument("-y", "--yes", action="store_true", help="do not ask before emptying")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=cmd_recycle)


def recycled_dict(r: RecycledItem) -> dict[str, Any]:
    return {
        "id": r.id,
        "name": r.name,
        "size": r.size,
        "deleted": r.deleted.isoformat() if r.deleted else None,
        "original": r.original,
        "deleted_by": r.deleted_by,
    }


def _unsupported(support: RecycleSupport, what: str) -> Unsupported:
    where = f"; use {support.web_url}" if support.web_url else ""
    return Unsupported(f"cannot {what} here: {support.reason}{where}")


def cmd_recycle(args: argparse.Namespace) -> int:
    backend, loc = open_location(args.remote)
    if not isinstance(backend, RecycleBin):
        run(backend.close)
        where = "your desktop's Trash" if loc.remote is None else "the service's web page"
        print(
            f"skypane: {args.remote} has no recycle bin skypane can reach; see {where}",
            file=sys.stderr,
        )
        return 1
    bin_: RecycleBin = backend

    async def _go() -> tuple[list[RecycledItem], list[RestoreResult], RecycleSupport]:
        try:
            support = await bin_.recycle_support()
            if args.restore:
                if not support.can_restore:
                    raise _unsupported(support, "restore")
                return [], await bin_.restore_recycled(args.restore), support
            if not support.can_list:
                raise _unsupported(support, "list the recycle bin")
            items = await bin_.list_recycled()
            if args.empty is not None:
                if not support.can_empty:
                    raise _unsupported(support, "empty the recycle bin")
                ids = args.empty or [r.id for r in items]
                chosen = [r for r in items if r.id in set(ids)]
                if not chosen:
                    return [], [], support
                total = fmt_size(sum(r.size for r in chosen))
                if not args.yes and not ask_yes(
                    f"Delete {len(chosen)} item(s), {total}, for good? This cannot be undone."
                ):
                    raise Unsupported("nothing deleted (confirm on a terminal or pass --yes)")
                await bin_.empty_recycled([r.id for r in chosen])
                return chosen, [], support
            return items, [], support
        finally:
            await backend.close()

    items, restored, _support = run(_go)
    if args.restore:
        if args.json:
            print_json([{"id": res.id, "ok": res.ok, "error": res.error} for res in restored])
        for res in restored:
            if not res.ok:
                print(f"skypane: {res.id}: not restored: {res.error}", file=sys.stderr)
            elif not args.json:
                print(f"restored {res.id}")
        return 0 if all(res.ok for res in restored) else 1
    if args.json:
        print_json([recycled_dict(r) for r in items])
        return 0
    verb = "deleted for good" if args.empty is not None else None
    for r in items:
        where = safe_name(r.original or "?")
        line = f"{r.id}  {fmt_size(r.size):>10}  {fmt_time(r.deleted)}  {where}/{safe_name(r.name)}"
        print(f"{verb}: {line}" if verb else line)
    if not items and args.empty is None:
        print("the recycle bin is empty", file=sys.stderr)
    return 0
