"""``skypane cp|mv|get|put|rm|mkdir|tree|info|jobs|resume``: the transfer engine, headless.

Every transfer is journaled (``core.dirs.state_dir()/journal.sqlite3``): after Ctrl-C, a
closed SSH session (SIGHUP), SIGTERM or even ``kill -9``, ``skypane resume`` continues it.
A job another skypane process runs (the TUI, another ``resume``) is left to it, and
``--wait`` waits for it (taking it over if that process goes away).
Exit codes: 0 everything done, 1 something failed or was cancelled, 2 usage.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from core import errors
from core.backend import Backend
from core.config import Config, load_config
from core.paths import Location
from core.remotes import open_backend, resolve
from core.transfer import (
    ConflictAction,
    ConflictDecision,
    ConflictPolicy,
    ConflictQuestion,
    ItemState,
    Job,
    JobKind,
    JobState,
    Journal,
    ProgressSnapshot,
    TransferEngine,
)
from core.transfer.lease import Lease, host_name
from core.transfer.runner import STREAM_CUTOFF, STREAMS
from tui.cli.common import fmt_size, fmt_time, print_json, safe_name
from tui.cli.deletion import NothingDeleted, check_destructive
from tui.cli.progress_view import View, describe, make_view
from tui.cli.walk import cmd_info, cmd_tree
from tui.stop import AFTER, GRACE, SignalStop, Stopped, exit_code, exit_within, signal_name

POLICIES = [p.value for p in ConflictPolicy]


#: Files at once: the engine's workers (more only queue behind the drive's throttling).
MAX_TRANSFERS = 64


class UsageError(Exception):
    """Wrong arguments: exit code 2."""


def _count(high: int, what: str) -> Callable[[str], int]:
    """An argparse type: a whole number from 1 to ``high``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = 0
        if not 1 <= value <= high:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number of {what} from 1 to {high}")
        return value

    return parse


#: ``--transfers``: a whole number from 1 to ``MAX_TRANSFERS``.
transfers = _count(MAX_TRANSFERS, "files")


#: Most ranged streams one download may use.
MAX_STREAMS = 32


#: ``--multi-thread-streams``: 1 (one stream) to ``MAX_STREAMS``.
streams = _count(MAX_STREAMS, "streams")


def size_text(text: str) -> int:
    """``--multi-thread-cutoff``: bytes, or a number with K, M or G (powers of 1024)."""
    units = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3}
    number, unit = text.strip().upper().rstrip("IB"), ""
    if number[-1:] in units:
        number, unit = number[:-1], number[-1]
    try:
        value = float(number) * units[unit]
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size (such as 256M or 1G)")
    return int(value)


def _stream_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--multi-thread-streams",
        dest="streams",
        type=streams,
        default=STREAMS,
        metavar="N",
        help=f"ranged streams per large download, 1..{MAX_STREAMS} ({STREAMS})",
    )
    p.add_argument(
        "--multi-thread-cutoff",
        dest="stream_cutoff",
        type=size_text,
        default=STREAM_CUTOFF,
        metavar="SIZE",
        help=f"downloads this large use several streams ({STREAM_CUTOFF // 1024**2}M)",
    )


def _transfer_options(p: argparse.ArgumentParser, *, conflicts: bool = True) -> None:
    p.add_argument("--dry-run", action="store_true", help="plan and report, write nothing")
    if conflicts:
        p.add_argument(
            "--conflict",
            choices=POLICIES,
            default=None,
            help="what to do with existing files (default: ask on a terminal, else skip)",
        )
    p.add_argument(
        "--transfers",
        type=transfers,
        default=4,
        metavar="N",
        help=f"files at once, 1..{MAX_TRANSFERS} (4)",
    )
    if conflicts:  # the commands that copy files
        _stream_options(p)
    p.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    p.add_argument("-q", "--quiet", action="store_true", help="print only errors")
    p.add_argument(
        "-v", "--verbose", action="store_true", help="progress and summary for rm and mkdir too"
    )


def _quiet(args: argparse.Namespace) -> bool:
    """Only errors are printed: asked for, or JSON on stdout, or rm/mkdir without -v
    (silent on success, as rm and mkdir are)."""
    if args.quiet or args.json:
        return True
    kind = getattr(args, "kind", None)
    return kind in (JobKind.DELETE, JobKind.MKDIR) and not getattr(args, "verbose", False)


def register(sub: Any) -> None:
    for name, help_text in (
        ("cp", "copy files and folders (local paths or remote:path)"),
        ("mv", "move: copy, verify, then delete the source (a rename within one drive)"),
    ):
        p = sub.add_parser(name, help=help_text)
        p.add_argument("paths", nargs="+", metavar="SRC... DEST")
        if name == "mv":
            p.add_argument(
                "--permanent",
                action="store_true",
                help="delete moved sources (copied across drives) for good, not to the trash",
            )
        _transfer_options(p)
        p.set_defaults(handler=cmd_transfer, kind=JobKind.COPY if name == "cp" else JobKind.MOVE)
    p = sub.add_parser("get", help="download remote:path... into DEST (default: here)")
    p.add_argument("paths", nargs="+", metavar="REMOTE:SRC... [DEST]")
    _transfer_options(p)
    p.set_defaults(handler=cmd_transfer, kind=JobKind.COPY, direction="get")
    p = sub.add_parser("put", help="upload local paths into remote:DEST")
    p.add_argument("paths", nargs="+", metavar="SRC... REMOTE:DEST")
    _transfer_options(p)
    p.set_defaults(handler=cmd_transfer, kind=JobKind.COPY, direction="put")
    p = sub.add_parser("rm", help="delete files (to the trash where there is one)")
    p.add_argument("paths", nargs="+")
    p.add_argument("-r", "--recursive", action="store_true", help="delete folders too")
    p.add_argument(
        "--permanent",
        action="store_true",
        help="skip the trash / recycle bin: this cannot be undone",
    )
    p.add_argument(
        "-y",
        "--yes",
        action="store_true",
        help="delete a big tree (over 1,000 files or 10 GiB) without asking",
    )
    _transfer_options(p, conflicts=False)
    p.set_defaults(handler=cmd_transfer, kind=JobKind.DELETE)
    p = sub.add_parser("mkdir", help="create a folder (and its parents)")
    p.add_argument("paths", nargs=1, metavar="PATH")
    _transfer_options(p, conflicts=False)
    p.set_defaults(handler=cmd_transfer, kind=JobKind.MKDIR)
    p = sub.add_parser("tree", help="show a folder tree with sizes")
    p.add_argument("path", nargs="?", default=".")
    p.add_argument("-L", "--depth", type=int, default=None, help="descend at most N levels")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_tree)
    p = sub.add_parser("info", help="details of a file or folder (folder totals included)")
    p.add_argument("path")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_info)
    p = sub.add_parser("jobs", help="list transfer jobs in the journal")
    p.add_argument("--json", action="store_true")
    p.add_argument("--unfinished", action="store_true", help="only jobs that can be resumed")
    p.set_defaults(handler=cmd_jobs)
    p = sub.add_parser("resume", help="continue unfinished transfer jobs (all, or one by ID)")
    p.add_argument("id", nargs="?")
    p.add_argument(
        "--wait",
        action="store_true",
        help="wait for jobs another skypane runs (and take them over if it goes away)",
    )
    p.add_argument(
        "--failed",
        action="store_true",
        help="run the failed items of the finished job ID again (as the TUI's r does)",
    )
    _resume_options(p)
    p = sub.add_parser("retry", help="run the failed items of a finished job again")
    p.add_argument("id")
    _resume_options(p)
    p.set_defaults(failed=True, wait=False)


def _resume_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--transfers", type=transfers, default=4, metavar="N")
    _stream_options(p)
    p.add_argument("--json", action="store_true")
    p.add_argument("-q", "--quiet", action="store_true")
    p.set_defaults(handler=cmd_resume, dry_run=False, conflict=None)


# -- arguments → job -------------------------------------------------------------


def _split(args: argparse.Namespace, config: Config) -> tuple[list[Location], Location | None]:
    locs = [resolve(p, config)[0] for p in args.paths]
    kind: JobKind = args.kind
    direction = getattr(args, "direction", None)
    if kind in (JobKind.DELETE, JobKind.MKDIR):
        return (locs, None) if kind is JobKind.DELETE else ([], locs[0])
    if direction == "get":
        if len(locs) > 1 and locs[-1].remote is None:
            srcs, dest = locs[:-1], locs[-1]
        else:
            srcs, dest = locs, resolve(".", config)[0]
        if any(s.remote is None for s in srcs):
            raise UsageError("get downloads remote:paths; use cp for local files")
        return srcs, dest
    if len(locs) < 2:
        raise UsageError(f"{args.command}: give at least one source and a destination")
    srcs, dest = locs[:-1], locs[-1]
    if direction == "put" and (dest.remote is None or any(s.remote for s in srcs)):
        raise UsageError("put uploads local paths to a remote:path; use cp otherwise")
    return srcs, dest


async def _check_rm(args: argparse.Namespace, srcs: list[Location], engine: TransferEngine) -> None:
    if args.kind is not JobKind.DELETE or args.recursive:
        return
    for s in srcs:
        entry = await engine.backend(s.remote).stat(s.path)
        if entry.is_dir and not entry.is_link:
            raise UsageError(f"rm: {s} is a folder (use -r)")


class Console:
    """Progress display plus the interactive conflict question on a terminal."""

    def __init__(self, quiet: bool) -> None:
        self.view: View | None = make_view(quiet)
        self.lock = asyncio.Lock()

    def progress(self, snap: ProgressSnapshot) -> None:
        if self.view is not None:
            self.view.update(snap)

    async def ask(self, q: ConflictQuestion) -> ConflictDecision:
        async with self.lock:
            if self.view is not None:
                self.view.suspend()
            try:
                return await asyncio.to_thread(_prompt, q)
            finally:
                if self.view is not None:
                    self.view.resume()

    def close(self) -> None:
        if self.view is not None:
            self.view.close()


def _prompt(q: ConflictQuestion) -> ConflictDecision:
    src, old = q.source, q.existing
    print(f"\n{safe_name(q.dest_path)} exists.", file=sys.stderr)
    print(f"  existing: {fmt_size(old.size):>10}  {fmt_time(old.modified)}", file=sys.stderr)
    print(f"  new:      {fmt_size(src.size):>10}  {fmt_time(src.modified)}", file=sys.stderr)
    if q.renamed_path != q.dest_path:
        print(f"  [r]ename writes {safe_name(q.renamed_path)}", file=sys.stderr)
    choices = {"o": ConflictAction.OVERWRITE, "s": ConflictAction.SKIP, "r": ConflictAction.RENAME}
    while True:
        sys.stderr.write("[o]verwrite, [s]kip, [r]ename, [c]ancel (capital = all): ")
        sys.stderr.flush()
        line = sys.stdin.readline()
        if not line:  # end of input (Ctrl-D): nobody can answer, so stop rather than guess
            print("", file=sys.stderr)
            return ConflictDecision(ConflictAction.CANCEL)
        answer = line.strip()
        if not answer:
            continue
        if answer.lower() == "c":
            return ConflictDecision(ConflictAction.CANCEL)
        action = choices.get(answer.lower())
        if action is not None:
            return ConflictDecision(action, apply_to_all=answer.isupper())


def owner_json(lease: Lease) -> dict[str, Any]:
    alive = not lease.owner_gone(time.time())
    return {"pid": lease.pid, "host": lease.host, "heartbeat": lease.heartbeat, "alive": alive}


def _summary(job: Job, elapsed: float, holder: Lease | None = None) -> dict[str, Any]:
    snap = job.last_snapshot
    plan = job.plan
    out: dict[str, Any] = {
        "job": job.id,
        "kind": str(job.kind),
        "state": str(job.state),
        "error": job.error,
        "elapsed": round(elapsed, 3),
        "items": {
            s: sum(1 for i in job.items if i.state.value == s)
            for s in ("done", "skipped", "failed", "cancelled", "pending")
        },
        "bytes": snap.bytes_done if snap else 0,
        "failed": [
            {"src": str(i.src), "dst": str(i.dst), "error": i.error} for i in job.failed_items()
        ],
        "notes": [{"dst": str(i.dst), "note": i.note} for i in job.items if i.note],
        "elsewhere": owner_json(holder) if holder is not None else None,
    }
    if plan is not None:
        out["plan"] = {
            "files": plan.files,
            "folders": plan.folders,
            "bytes": plan.bytes,
            "method": plan.method,
            "free": plan.free,
            "conflicts": list(plan.conflicts),
            "deletes": list(plan.deletes),
            "problems": [
                {"path": p.path, "reason": p.reason, "severity": p.severity} for p in plan.problems
            ],
        }
    if job.dry_run:
        out["actions"] = [
            {"kind": str(i.kind), "src": str(i.src), "dst": str(i.dst), "size": i.size}
            | ({"refused": i.error} if i.state is ItemState.FAILED else {})
            for i in job.items
        ]
    return out


def _print_plan(job: Job) -> None:
    plan = job.plan
    if plan is None:
        print(f"nothing planned: {safe_name(job.error or '')}")
        return
    for it in job.items:
        if it.state is ItemState.FAILED:
            print(f"refused: {safe_name(str(it.src))}: {it.error}", file=sys.stderr)
            continue
        print(f"{it.kind.value:6} {safe_name(str(it.src))} -> {safe_name(str(it.dst))}")
    for p in plan.problems:
        print(f"{p.severity}: {safe_name(p.path)}: {safe_name(p.reason)}", file=sys.stderr)
    mirror = job.kind is JobKind.MIRROR
    for c in plan.conflicts:
        print(f"{'replace' if mirror else 'exists'}: {safe_name(c)}")
    free = f", {fmt_size(plan.free)} free" if plan.free is not None else ""
    clashes = "overwrites" if mirror else "conflicts"
    deletes = f", {len(plan.deletes)} deletions to the trash" if mirror else ""
    print(
        f"plan: {plan.files} files, {plan.folders} folders, {fmt_size(plan.bytes)}"
        f" ({plan.method}){free}; {len(plan.conflicts)} {clashes}{deletes},"
        f" {len(plan.problems)} problems"
    )


def _report(
    jobs: Sequence[Job],
    as_json: bool,
    elapsed: float,
    elsewhere: dict[str, Lease] | None = None,
    lost: dict[str, Lease | None] | None = None,
    *,
    quiet: bool = False,
) -> int:
    """Print how the jobs ended; 0 when all are done (jobs left to another skypane aside)."""
    elsewhere, lost = elsewhere or {}, lost or {}
    if as_json:
        data = [_summary(j, elapsed, elsewhere.get(j.id) or lost.get(j.id)) for j in jobs]
        print_json(data[0] if len(data) == 1 else data)
    else:
        for job in jobs:
            holder = elsewhere.get(job.id)
            if holder is not None:
                print(
                    f"{job.id} running in another skypane ({holder.describe()}); left to it"
                    f" (skypane resume --wait {job.id} waits for it)",
                    file=sys.stderr,
                )
                continue
            if job.id in lost:
                taker = lost[job.id]
                who = taker.describe() if taker else "another skypane"
                print(f"{job.id} was taken over by {who}, which finishes it", file=sys.stderr)
                continue
            for prob in job.plan.problems if job.plan else ():
                print(
                    f"{prob.severity}: {safe_name(prob.path)}: {safe_name(prob.reason)}",
                    file=sys.stderr,
                )
            for it in job.failed_items():
                print(
                    f"failed: {safe_name(str(it.src))}: {safe_name(it.error or '')}",
                    file=sys.stderr,
                )
            for it in job.items:
                if it.note and it.state.value == "done" and "SharePoint" in it.note:
                    print(f"note: {safe_name(str(it.dst))}: {it.note}", file=sys.stderr)
            snap = job.last_snapshot
            line = describe(snap) if snap else ""
            tail = f" ({safe_name(job.error)})" if job.error else ""
            if not quiet or job.state is not JobState.DONE:
                print(f"{job.id} {job.state.value}{tail}: {line}", file=sys.stderr)
            if job.state is not JobState.DONE and not job.state.finished:
                print(f"continue with: skypane resume {job.id}", file=sys.stderr)
            elif job.state is JobState.FAILED:
                print(f"run the failed items again with: skypane retry {job.id}", file=sys.stderr)
    ours = [j for j in jobs if j.id not in elsewhere]
    ok = all(j.state is JobState.DONE for j in ours)
    return 0 if ok else 1


async def _run_jobs(
    args: argparse.Namespace, start: Any, config: Config
) -> tuple[list[Job], float, dict[str, Lease | None]]:
    """Run the jobs ``start`` gives; also returns those another skypane took from us."""
    console = Console(_quiet(args))
    interactive = sys.stdin.isatty() and not args.json
    journal = Journal()
    engine = TransferEngine(
        lambda remote: _open(remote, config),
        journal,
        workers=args.transfers,
        on_progress=console.progress,
        on_conflict=console.ask if interactive else None,
        streams=getattr(args, "streams", STREAMS),
        stream_cutoff=getattr(args, "stream_cutoff", STREAM_CUTOFF),
    )
    stop = asyncio.Event()
    signals = SignalStop(lambda signum: stop.set(), on_again=console.close)
    signals.install()
    began = time.monotonic()
    jobs: list[Job] = []
    try:
        jobs = await start(engine, interactive)
        waits = [engine.wait(j.id) for j in jobs if not j.dry_run]
        if waits:
            everything: asyncio.Future[Any] = asyncio.ensure_future(asyncio.gather(*waits))
            stopper: asyncio.Future[Any] = asyncio.ensure_future(stop.wait())
            await asyncio.wait([everything, stopper], return_when=asyncio.FIRST_COMPLETED)
            stopper.cancel()
            everything.cancel()
            # Retrieved, never raised: a job left to another skypane has nothing to wait on.
            await asyncio.gather(everything, return_exceptions=True)
        lost = {j.id: engine.holder(j.id) for j in jobs if _lost(engine, j)}
    finally:
        # A signal leaves one more second for running items to stop at a chunk boundary;
        # then they are cancelled where they wait (a read stuck in the kernel included).
        # A second signal meanwhile ends the process at once.
        await engine.close(grace=GRACE if stop.is_set() else None)
        console.close()
        journal.close()
        signals.remove()
    if signals.signum is not None:
        name = signal_name(signals.signum)
        print(
            f"\nskypane: stopped by {name}; unfinished work is kept in the journal",
            file=sys.stderr,
        )
        for job in jobs:
            if job.items and not job.state.finished and not job.dry_run:
                print(f"continue with: skypane resume {job.id}", file=sys.stderr)
        # Python waits for worker threads at exit; one stuck in a system call must not hold it.
        exit_within(AFTER, exit_code(signals.signum))
        raise Stopped(signals.signum)
    return jobs, time.monotonic() - began, lost


def _lost(engine: TransferEngine, job: Job) -> bool:
    try:
        return not job.dry_run and not job.state.finished and engine.lost(job.id)
    except errors.NotFound:
        return False


def _open(remote: str | None, config: Config) -> Backend:
    backend = open_backend(remote, config)
    # What is alive now (the modules a backend loads, their classes and tables) lives as
    # long as the process: the collector need not walk it again on every full collection
    # of a transfer that allocates per file.
    gc.freeze()
    return backend


def cmd_transfer(args: argparse.Namespace) -> int:
    config = load_config()
    try:
        srcs, dest = _split(args, config)
    except UsageError as exc:
        print(f"skypane: {safe_name(str(exc))}", file=sys.stderr)
        return 2
    try:
        check_destructive(args, srcs, config)
    except NothingDeleted as declined:
        print(declined, file=sys.stderr)
        return declined.code

    async def start(engine: TransferEngine, interactive: bool) -> list[Job]:
        await _check_rm(args, srcs, engine)
        conflict = getattr(args, "conflict", None)
        policy = (
            ConflictPolicy(conflict)
            if conflict
            else (ConflictPolicy.ASK if interactive else ConflictPolicy.SKIP)
        )
        job = await engine.submit(
            args.kind,
            srcs,
            dest,
            policy=policy,
            dry_run=args.dry_run,
            use_trash=not getattr(args, "permanent", False),
        )
        return [job]

    try:
        jobs, elapsed, lost = asyncio.run(_run_jobs(args, start, config))
    except UsageError as exc:
        print(f"skypane: {safe_name(str(exc))}", file=sys.stderr)
        return 2
    if args.dry_run:
        job = jobs[0]
        if args.json:
            print_json(_summary(job, elapsed))
        else:
            _print_plan(job)
        refused = any(i.state is ItemState.FAILED for i in job.items)
        return 0 if job.plan is not None and job.plan.ok and not refused else 1
    return _report(jobs, args.json, elapsed, lost=lost, quiet=_quiet(args))


def cmd_resume(args: argparse.Namespace) -> int:
    config = load_config()
    #: Jobs another skypane runs, left to it (reported, not counted as failures).
    left: dict[str, Lease] = {}

    if args.failed and not args.id:
        print("skypane: resume --failed needs the ID of a job (see skypane jobs)", file=sys.stderr)
        return 2

    async def start(engine: TransferEngine, interactive: bool) -> list[Job]:
        if args.failed:
            return [engine.retry_journaled(args.id)]
        wanted = [args.id] if args.id else None
        jobs = await engine.resume_unfinished(wanted)
        for job_id, lease in engine.took_over.items():
            if not (args.quiet or args.json):
                print(
                    f"skypane: taking over {job_id} from {lease.describe()}, which is gone",
                    file=sys.stderr,
                )
        if engine.elsewhere and args.wait:
            watched = engine.watch(list(engine.elsewhere))
            jobs += watched
            if not (args.quiet or args.json):
                for job in watched:
                    holder = engine.holder(job.id)
                    who = holder.describe() if holder else "another skypane"
                    print(f"skypane: waiting for {job.id}, running in {who}", file=sys.stderr)
        elif engine.elsewhere:
            assert engine.journal is not None
            for job_id, lease in engine.elsewhere.items():
                held = engine.journal.load_job(job_id)
                if held is not None:
                    left[job_id] = lease
                    jobs.append(held)
        if args.id and not jobs:
            raise errors.NotFound(
                "no unfinished job with that id (skypane resume --failed ID runs a finished"
                " job's failed items again)",
                path=args.id,
            )
        return [j for j in jobs if not (j.state is JobState.PAUSED and args.id is None)]

    jobs, elapsed, lost = asyncio.run(_run_jobs(args, start, config))
    if not jobs:
        if not _quiet(args):
            print("nothing to resume", file=sys.stderr)
        return 0
    return _report(jobs, args.json, elapsed, left, lost, quiet=_quiet(args))


def cmd_jobs(args: argparse.Namespace) -> int:
    journal = Journal()
    try:
        jobs = journal.jobs(unfinished_only=args.unfinished)
        leases = journal.leases()
    finally:
        journal.close()
    rows: list[dict[str, Any]] = []
    for j in jobs:
        counts = {s: sum(1 for i in j.items if i.state.value == s) for s in ("done", "failed")}
        lease = leases.get(j.id)
        rows.append(
            {
                "id": j.id,
                "state": str(j.state),
                "kind": str(j.kind),
                "created": j.created.isoformat(),
                "title": j.title,
                "items": len(j.items),
                "done": counts["done"],
                "failed": counts["failed"],
                "bytes": sum(i.size for i in j.items),
                "error": j.error,
                "owner": owner_json(lease) if lease is not None else None,
            }
        )
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        print("no jobs in the journal", file=sys.stderr)
    here = host_name()
    for r, j in zip(rows, jobs, strict=True):
        lease = leases.get(j.id)
        owner = ""
        if lease is not None:
            gone = " (gone)" if not r["owner"]["alive"] else ""
            owner = f"  [{lease.describe(here=here)}{gone}]"
        print(
            f"{r['id']}  {r['state']:<9}  {r['done']:>5}/{r['items']:<5}  "
            f"{fmt_size(r['bytes']):>10}  {fmt_time(j.created)}  {safe_name(r['title'])}{owner}"
        )
    return 0


__all__ = ["register"]
