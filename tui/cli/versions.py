"""``skypane versions`` (list, save, restore, delete one file's versions) and ``skypane cleanup``
(trim old versions below a folder by policy, with a dry run). The work is
``core.versions_cleanup``'s, shared with the TUI's versions dialogs."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from datetime import UTC, datetime
from typing import Any

from core.backend import Versions
from core.errors import ConfigError, SkypaneError
from core.model import Version
from core.paths import Location, basename
from core.remotes import local_backend
from core.versions_cleanup import (
    CleanupPlan,
    CleanupPolicy,
    CleanupProgress,
    ScanProgress,
    free_path,
    parse_cutoff,
    plan_cleanup,
    run_cleanup,
    save_version,
    scan_versions,
    version_file_name,
)
from tui.cli.common import fmt_size, fmt_time, open_location, print_json, run, safe_name

EXIT_USAGE = 2


def register(sub: Any) -> None:
    p = sub.add_parser(
        "versions",
        help="list a file's versions; save, restore or delete one",
        description="Without an action, list the versions of remote:path (newest first).",
    )
    p.add_argument("path", metavar="REMOTE:PATH")
    action = p.add_mutually_exclusive_group()
    action.add_argument("--get", metavar="ID", help="save version ID as a local file")
    action.add_argument("--restore", metavar="ID", help="make version ID the current one")
    action.add_argument("--delete", metavar="ID", help="delete version ID (not on Personal)")
    p.add_argument("-o", "--output", metavar="FILE", help="with --get: where to save it")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=cmd_versions)

    p = sub.add_parser(
        "cleanup",
        help="delete old file versions below a folder (dry run first)",
        description="Scan every file below remote:path and delete older versions by policy. "
        "The current version of a file is never deleted. Asks before deleting unless --yes.",
    )
    p.add_argument("path", metavar="REMOTE:PATH")
    policy = p.add_mutually_exclusive_group(required=True)
    policy.add_argument("--keep", type=int, metavar="N", help="keep the newest N versions")
    policy.add_argument(
        "--older-than", metavar="WHEN", help="delete versions older than 90d, 6m, 2025-01-31…"
    )
    policy.add_argument(
        "--all-but-current", action="store_true", help="delete every version but the current"
    )
    p.add_argument("-n", "--dry-run", action="store_true", help="only show what would go")
    p.add_argument("-y", "--yes", action="store_true", help="do not ask before deleting")
    p.add_argument("-v", "--verbose", action="store_true", help="list every file of the plan")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=cmd_cleanup)


def _err(text: str) -> None:
    print(f"skypane: {safe_name(text)}", file=sys.stderr)


def _versioned(text: str) -> tuple[Any, Location]:
    backend, loc = open_location(text)
    if not isinstance(backend, Versions):
        raise ConfigError(f"{text}: this location keeps no file versions")
    return backend, loc


def version_dict(v: Version) -> dict[str, Any]:
    return {
        "id": v.id,
        "modified": v.modified.isoformat() if v.modified else None,
        "size": v.size,
        "author": v.author,
        "current": v.current,
    }


# -- versions ----------------------------------------------------------------------------------


def cmd_versions(args: argparse.Namespace) -> int:
    if args.output and not args.get:
        _err("versions: --output goes with --get")
        return EXIT_USAGE
    return run(lambda: _versions(args))


async def _versions(args: argparse.Namespace) -> int:
    backend, loc = _versioned(args.path)
    try:
        if args.restore:
            await backend.restore_version(loc.path, args.restore)
            print(f"Restored version {args.restore} of {loc}.")
            return 0
        if args.delete:
            await backend.delete_version(loc.path, args.delete)
            print(f"Deleted version {args.delete} of {loc}.")
            return 0
        versions = await backend.list_versions(loc.path)
        if args.get:
            return await _get(backend, loc, versions, args)
        if args.json:
            print_json([version_dict(v) for v in versions])
            return 0
        print(f"{'ID':<12} {'MODIFIED':<19} {'SIZE':>10}  {'AUTHOR':<24}")
        for v in versions:
            mark = "  (current)" if v.current else ""
            author = safe_name(v.author or "")
            print(
                f"{v.id:<12} {fmt_time(v.modified):<19} {fmt_size(v.size):>10}  {author:<24}{mark}"
            )
        return 0
    finally:
        await backend.close()


async def _get(
    backend: Any, loc: Location, versions: list[Version], args: argparse.Namespace
) -> int:
    match = next((v for v in versions if v.id == args.get), None)
    if match is None:
        _err(f"{loc} has no version {args.get!r} (see `skypane versions {args.path}`)")
        return 1
    local = local_backend()
    if args.output:
        target = os.path.abspath(os.path.expanduser(args.output))
    else:
        target = await free_path(local, os.getcwd(), version_file_name(basename(loc.path), match))
    entry = await save_version(backend, loc.path, match, local, target)
    print(f"Saved version {match.id} ({fmt_size(entry.size)}) to {target}")
    return 0


# -- cleanup -------------------------------------------------------------------------------------


def policy_of(args: argparse.Namespace) -> CleanupPolicy:
    if args.keep is not None:
        return CleanupPolicy.keep_newest(args.keep)
    if args.older_than:
        return CleanupPolicy.older_than(
            parse_cutoff(args.older_than, datetime.now(UTC).astimezone())
        )
    return CleanupPolicy.all_but_current()


def plan_dict(plan: CleanupPlan) -> dict[str, Any]:
    return {
        "policy": plan.policy.describe(),
        "files": plan.file_count,
        "versions": plan.version_count,
        "bytes": plan.bytes,
        "plan": [
            {"path": f.path, "delete": [v.id for v in f.delete], "bytes": f.bytes}
            for f in plan.files
        ],
    }


class _Status:
    """One self-rewriting line on stderr when it is a terminal; nothing otherwise."""

    def __init__(self) -> None:
        self.live = sys.stderr.isatty()

    def show(self, text: str) -> None:
        if self.live:
            sys.stderr.write("\r\x1b[K" + text[: os.get_terminal_size(2).columns - 1])
            sys.stderr.flush()

    def done(self) -> None:
        if self.live:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()


def cmd_cleanup(args: argparse.Namespace) -> int:
    try:
        policy = policy_of(args)
    except ConfigError as exc:
        _err(f"cleanup: {exc}")
        return EXIT_USAGE
    return run(lambda: _cleanup(args, policy))


async def _cleanup(args: argparse.Namespace, policy: CleanupPolicy) -> int:
    backend, loc = _versioned(args.path)
    status = _Status()
    try:

        def scanning(p: ScanProgress) -> None:
            status.show(f"scanning: {p.folders} folders, {p.files} files, {p.versions} versions")

        scan = await scan_versions(backend, loc.path, on_progress=scanning)
        status.done()
        for problem in scan.errors:
            _err(f"cannot read {problem.path}: {problem.message}")
        plan = plan_cleanup(scan.files, policy)
        if args.json and args.dry_run:
            print_json(plan_dict(plan))
            return 1 if scan.errors else 0
        if not args.json:
            _print_plan(plan, scan.version_count, len(scan.files), args.verbose)
        if args.dry_run or not plan.version_count:
            return 1 if scan.errors else 0
        support = backend.version_support()
        if not support.can_delete:
            _err(
                f"{support.delete_refusal or 'this drive cannot delete versions'}; nothing deleted"
            )
            return 1
        if not args.yes:
            if not sys.stdin.isatty():
                _err("cleanup: refusing to delete without --yes when not asked on a terminal")
                return EXIT_USAGE
            answer = input(
                f"Delete {plan.version_count} version(s), {fmt_size(plan.bytes)}? [y/N] "
            )
            if answer.strip().lower() not in ("y", "yes"):
                print("Nothing deleted.")
                return 0

        def deleting(p: CleanupProgress) -> None:
            status.show(f"deleting: {p.done}/{p.total}, {fmt_size(p.bytes_reclaimed)} reclaimed")

        result = await run_cleanup(backend, plan, on_progress=deleting)
        status.done()
        for failure in result.failures:
            _err(f"{failure.path} (version {failure.version_id}): {failure.message}")
        if args.json:
            print_json(
                {
                    **plan_dict(plan),
                    "deleted": result.deleted,
                    "bytes_reclaimed": result.bytes_reclaimed,
                    "failed": len(result.failures),
                }
            )
        else:
            print(
                f"Deleted {result.deleted} version(s), reclaimed {fmt_size(result.bytes_reclaimed)}"
                + (f"; {len(result.failures)} failed" if result.failures else "")
            )
        return 1 if result.failures or scan.errors else 0
    except SkypaneError:
        status.done()
        raise
    except (KeyboardInterrupt, asyncio.CancelledError):
        status.done()
        raise
    finally:
        await backend.close()


def _print_plan(plan: CleanupPlan, versions: int, files: int, verbose: bool) -> None:
    print(f"Scanned {files} file(s) with {versions} version(s).")
    print(f"Policy: {plan.policy.describe()}.")
    shown = plan.files if verbose else plan.files[:20]
    for item in shown:
        print(
            f"  {safe_name(item.path)}: delete {len(item.delete)} of "
            f"{len(item.delete) + item.kept} ({fmt_size(item.bytes)})"
        )
    if len(plan.files) > len(shown):
        print(f"  … and {len(plan.files) - len(shown)} more file(s) (--verbose lists them)")
    print(
        f"Would delete {plan.version_count} version(s) of {plan.file_count} file(s), "
        f"reclaiming {fmt_size(plan.bytes)}."
    )
