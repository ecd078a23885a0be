"""Before ``rm`` and ``mv`` touch anything: refuse roots and home, size big deletions.

``rm`` and ``mv`` (whose sources go away) refuse a file system's root, the home folder (or a
folder holding it) and a drive's root, naming why (``core.guard``). A deletion of more than
``BIG_FILES`` files or ``BIG_BYTES`` states what it removes and asks on a terminal; a script
says ``--yes``. Runs before the transfer's event loop, so Ctrl-C at the question simply ends.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from core import errors
from core.backend import Backend
from core.config import Config
from core.guard import DeletionSize, deletion_size, protected_reason, refusal_message
from core.paths import Location
from core.remotes import open_backend
from core.transfer import JobKind
from tui.cli.common import fmt_size, safe_name


class NothingDeleted(Exception):
    """The user (or the lack of ``--yes``) declined; ``code`` is the exit status."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def describe_size(size: DeletionSize) -> str:
    files = f"{size.files:,} file{'s' if size.files != 1 else ''}"
    folders = f"{size.folders:,} folder{'s' if size.folders != 1 else ''}"
    return f"{files} and {folders} ({fmt_size(size.bytes)})"


async def _measure(
    kind: JobKind, sources: Sequence[Location], config: Config, count: bool
) -> DeletionSize | None:
    backends: dict[str | None, Backend] = {}
    try:
        for src in sources:
            if src.remote not in backends:
                backends[src.remote] = open_backend(src.remote, config)
            reason = protected_reason(src, backends[src.remote])
            if reason is not None:
                verb = "delete" if kind is JobKind.DELETE else "move"
                raise errors.SkypaneError(refusal_message(src, reason, verb))
        if not count:
            return None
        total = DeletionSize()
        for remote, backend in backends.items():
            mine = [s for s in sources if s.remote == remote]
            entries = [await backend.stat(s.path) for s in mine]
            part = await deletion_size(backend, entries)
            total = DeletionSize(
                total.files + part.files, total.folders + part.folders, total.bytes + part.bytes
            )
        return total
    finally:
        for backend in backends.values():
            await backend.close()


def check_destructive(
    args: argparse.Namespace, sources: Sequence[Location], config: Config
) -> None:
    """Refuse protected sources of ``rm``/``mv``; ask before a big ``rm`` (raises to stop)."""
    kind: JobKind = args.kind
    if kind not in (JobKind.DELETE, JobKind.MOVE):
        return
    count = kind is JobKind.DELETE and not args.dry_run and not getattr(args, "yes", False)
    size = asyncio.run(_measure(kind, sources, config, count))
    permanent = getattr(args, "permanent", False)
    what = ", ".join(safe_name(str(s)) for s in sources[:3]) + (" …" if len(sources) > 3 else "")
    if size is None or not size.big:
        if count and permanent:
            _say_permanent(args, what)
        return
    how = "permanently: this cannot be undone" if permanent else "to the trash / recycle bin"
    text = f"This deletes {describe_size(size)} from {what}, {how}."
    if not sys.stdin.isatty():
        raise NothingDeleted(f"{text}\nrefusing without --yes when not asked on a terminal", 2)
    sys.stderr.write(f"{text}\nDelete all of it? [y/N] ")
    sys.stderr.flush()
    answer = sys.stdin.readline()  # end of input is a no
    if answer.strip().lower() not in ("y", "yes"):
        raise NothingDeleted("Nothing deleted.", 0)


def _say_permanent(args: argparse.Namespace, what: str) -> None:
    """A permanent deletion always says it cannot be undone: asked on a terminal, stated in a
    script (which chose ``--permanent`` itself; ``--yes`` or ``-q`` keep it quiet)."""
    text = f"This deletes {what} permanently: this cannot be undone."
    if not sys.stdin.isatty():
        if not getattr(args, "quiet", False):
            sys.stderr.write(f"{text}\n")
        return
    sys.stderr.write(f"{text}\nDelete it? [y/N] ")
    sys.stderr.flush()
    answer = sys.stdin.readline()
    if answer.strip().lower() not in ("y", "yes"):
        raise NothingDeleted("Nothing deleted.", 0)
