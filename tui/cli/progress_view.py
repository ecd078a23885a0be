"""How headless transfer commands show progress: a rich bar on a terminal, plain lines else.

Both views take the engine's ``ProgressSnapshot`` (≤ 10 per second per job) and draw
nothing per chunk. The plain view prints one line at most every ``PLAIN_EVERY`` seconds,
so logs of long jobs stay readable.
"""

from __future__ import annotations

import sys
import time
from typing import Any, Protocol, TextIO

from core.transfer import ProgressSnapshot
from tui.cli.common import fmt_size, safe_name

PLAIN_EVERY = 2.0


def fmt_rate(rate: float) -> str:
    return f"{fmt_size(int(rate))}/s" if rate > 0 else "-"


def fmt_eta(eta: float | None) -> str:
    if eta is None:
        return "-"
    eta = int(eta)
    h, rest = divmod(eta, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02}:{s:02}" if h else f"{m}:{s:02}"


def describe(s: ProgressSnapshot) -> str:
    """One line: bytes, items, rate, ETA, throttling and the current file."""
    parts = [
        f"{fmt_size(s.bytes_done)}/{fmt_size(s.bytes_total)}",
        f"{s.items_done + s.items_skipped}/{s.items_total} items",
    ]
    if s.items_failed:
        parts.append(f"{s.items_failed} failed")
    parts.append(fmt_rate(s.rate))
    parts.append(f"ETA {fmt_eta(s.eta)}")
    if s.throttled_until is not None:
        parts.append(f"throttled until {s.throttled_until.astimezone():%H:%M:%S}")
    if s.current_file:
        parts.append(safe_name(s.current_file))
    return "  ".join(parts)


class View(Protocol):
    def update(self, snap: ProgressSnapshot) -> None: ...

    def suspend(self) -> None: ...

    def resume(self) -> None: ...

    def close(self) -> None: ...


class PlainView:
    """Lines on stderr: state changes at once, progress at most every few seconds."""

    def __init__(self, stream: TextIO | None = None, every: float = PLAIN_EVERY) -> None:
        self.stream = stream or sys.stderr
        self.every = every
        self._last: dict[str, tuple[float, str]] = {}

    def update(self, snap: ProgressSnapshot) -> None:
        if snap.state.finished:
            return  # the command's summary says how the job ended, once
        now = time.monotonic()
        last_time, last_state = self._last.get(snap.job_id, (0.0, ""))
        changed = snap.state.value != last_state
        if not changed and now - last_time < self.every:
            return
        self._last[snap.job_id] = (now, snap.state.value)
        print(f"{snap.job_id} {snap.state.value}: {describe(snap)}", file=self.stream, flush=True)

    def suspend(self) -> None:
        return None

    def resume(self) -> None:
        return None

    def close(self) -> None:
        return None


class RichView:
    """A rich progress bar per job, refreshed only when a snapshot arrives (no thread)."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn

        self.progress = Progress(
            TextColumn("[bold]{task.fields[state]:>9}"),
            BarColumn(),
            TextColumn("{task.percentage:>5.1f}%"),
            TextColumn("{task.fields[info]}"),
            console=Console(stderr=True),
            auto_refresh=False,
            transient=False,
        )
        self._tasks: dict[str, Any] = {}
        self.progress.start()

    def update(self, snap: ProgressSnapshot) -> None:
        task = self._tasks.get(snap.job_id)
        total = snap.bytes_total or snap.items_total or 1
        done = snap.bytes_done if snap.bytes_total else snap.items_done + snap.items_skipped
        from rich.markup import escape

        info = escape(describe(snap))  # a name like "[red]" is text, not markup
        if task is None:
            task = self.progress.add_task("", total=total, state=snap.state.value, info=info)
            self._tasks[snap.job_id] = task
        self.progress.update(task, total=total, completed=done, state=snap.state.value, info=info)
        self.progress.refresh()

    def suspend(self) -> None:
        self.progress.stop()

    def resume(self) -> None:
        self.progress.start()

    def close(self) -> None:
        self.progress.stop()


def make_view(quiet: bool = False) -> View | None:
    if quiet:
        return None
    if sys.stderr.isatty():
        return RichView()
    return PlainView()
