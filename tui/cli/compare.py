"""``skypane compare A B`` and ``skypane mirror A B``: two folders side by side, then one made
like the other (copies, overwrites, deletions to the trash only, a deletion limit)."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from typing import Any

from core.compare import Compared, Comparison, Side, compare
from core.config import load_config
from core.remotes import resolve
from core.transfer import ConflictPolicy, Job, JobKind, TransferEngine
from tui.cli.common import ask_yes, fmt_size, open_location, print_json, safe_name
from tui.cli.transfer import _print_plan, _report, _run_jobs, _summary

MARKS = {Side.ONLY_LEFT: "<", Side.ONLY_RIGHT: ">", Side.DIFFERENT: "!", Side.SAME: "="}


def register(sub: Any) -> None:
    p = sub.add_parser(
        "compare",
        help="compare two folders (local paths or remote:path) without downloading",
        description="Lists what is only in A (<), only in B (>) and different (!): by size, "
        "then by a hash both sides know (QuickXorHash), else by modified time. "
        "Exit code 0 when the folders are the same, 1 when they differ.",
    )
    p.add_argument("left", metavar="A")
    p.add_argument("right", metavar="B")
    p.add_argument("--same", action="store_true", help="list identical files too (=)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=cmd_compare)

    p = sub.add_parser(
        "mirror",
        help="make folder B like folder A (one way; deletions go to the trash)",
        description="Copies what A has and B lacks or holds differently, and deletes from B "
        "what A lacks, always to the recycle bin / trash. Journaled: `skypane resume` "
        "continues an interrupted mirror. Deletions are confirmed on a terminal (--yes "
        "skips the question) and bounded by --max-delete.",
    )
    p.add_argument("left", metavar="A")
    p.add_argument("right", metavar="B")
    p.add_argument("--dry-run", action="store_true", help="show the plan, change nothing")
    p.add_argument(
        "--max-delete", type=int, default=None, metavar="N", help="refuse to delete more than N"
    )
    p.add_argument("-y", "--yes", action="store_true", help="do not ask before deleting")
    p.add_argument("--transfers", type=int, default=4, metavar="N", help="files at once (4)")
    p.add_argument("--json", action="store_true", help="print a JSON summary")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress display")
    p.set_defaults(handler=cmd_mirror)


def compared_dict(c: Compared) -> dict[str, Any]:
    return {
        "path": c.rel,
        "side": str(c.side),
        "reason": c.reason or None,
        "type": "dir" if c.is_dir else "file",
        "left_size": c.left.size if c.left is not None and not c.left.is_dir else None,
        "right_size": c.right.size if c.right is not None and not c.right.is_dir else None,
    }


def cmd_compare(args: argparse.Namespace) -> int:
    config = load_config()
    left_b, left = open_location(args.left, config)
    right_b, right = open_location(args.right, config)

    async def _compare() -> Comparison:
        try:
            return await compare(left_b, left.path, right_b, right.path)
        finally:
            await left_b.close()
            await right_b.close()

    began = time.monotonic()
    result = asyncio.run(_compare())
    elapsed = time.monotonic() - began
    counts = result.counts()
    if args.json:
        print_json(
            {
                "left": args.left,
                "right": args.right,
                "counts": counts,
                "folders": result.folders,
                "elapsed": round(elapsed, 3),
                "items": [
                    compared_dict(c) for c in result.items if args.same or c.side is not Side.SAME
                ],
                "problems": [{"path": p, "reason": r} for p, r in result.problems],
            }
        )
    else:
        for c in result.items:
            if c.side is Side.SAME and not args.same:
                continue
            name = safe_name(c.rel) + ("/" if c.is_dir else "")
            why = f"  ({_why(c)})" if c.side is Side.DIFFERENT else ""
            print(f"{MARKS[c.side]} {name}{why}")
        for path, reason in result.problems:
            print(f"error: {safe_name(path)}: {reason}", file=sys.stderr)
        print(
            f"{counts['only_left']} only in A, {counts['only_right']} only in B, "
            f"{counts['different']} different, {counts['same']} same "
            f"({result.folders} folders, {elapsed:.1f} s)",
            file=sys.stderr,
        )
    differ = counts["only_left"] + counts["only_right"] + counts["different"]
    return 1 if differ or result.problems else 0


def _why(c: Compared) -> str:
    if c.reason == "size" and c.left is not None and c.right is not None:
        return f"size {fmt_size(c.left.size)} vs {fmt_size(c.right.size)}"
    return {"type": "file vs folder", "modified": "modified time"}.get(c.reason, c.reason)


def _confirm(job: Job) -> bool:
    plan = job.plan
    assert plan is not None
    n = len(plan.deletes)
    shown = plan.deletes[:10]
    print(f"The mirror would move {n} item(s) to the recycle bin / trash:", file=sys.stderr)
    for path in shown:
        print(f"  {safe_name(path)}", file=sys.stderr)
    if n > len(shown):
        print(f"  … and {n - len(shown)} more", file=sys.stderr)
    return ask_yes("Go ahead?")


def cmd_mirror(args: argparse.Namespace) -> int:
    config = load_config()
    src_loc, dst_loc = resolve(args.left, config)[0], resolve(args.right, config)[0]
    if args.max_delete is not None and args.max_delete < 0:
        print("skypane: --max-delete must be 0 or more", file=sys.stderr)
        return 2
    args.conflict = None

    async def submit(engine: TransferEngine, dry_run: bool) -> Job:
        return await engine.submit(
            JobKind.MIRROR,
            [src_loc],
            dst_loc,
            policy=ConflictPolicy.OVERWRITE,
            dry_run=dry_run,
            max_delete=args.max_delete,
        )

    async def preview(engine: TransferEngine, interactive: bool) -> list[Job]:
        return [await submit(engine, True)]

    args.dry_run, wanted_dry = True, args.dry_run
    jobs, elapsed, _lost = asyncio.run(_run_jobs(args, preview, config))
    planned = jobs[0]
    ok = planned.plan is not None and not planned.plan.fatal
    if wanted_dry or not ok:
        if args.json:
            print_json(_summary(planned, elapsed))
        else:
            _print_plan(planned)
        return 0 if ok and planned.plan is not None and planned.plan.ok else 1
    assert planned.plan is not None
    if planned.plan.deletes and not args.yes:
        if not sys.stdin.isatty() or args.json:
            print(
                f"skypane: the mirror would delete {len(planned.plan.deletes)} item(s) (to the "
                "trash); check with --dry-run, then run again with --yes",
                file=sys.stderr,
            )
            return 1
        if not _confirm(planned):
            print("skypane: nothing was changed", file=sys.stderr)
            return 1

    async def start(engine: TransferEngine, interactive: bool) -> list[Job]:
        return [await submit(engine, False)]

    args.dry_run = False
    jobs, elapsed, lost = asyncio.run(_run_jobs(args, start, config))
    return _report(jobs, args.json, elapsed, lost=lost)
