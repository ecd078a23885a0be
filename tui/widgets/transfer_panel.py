"""TransferPanel: every job of this session with progress bars, speed, ETA and state.

Jobs another skypane process runs are listed too, read-only: their state says which process
runs them, and their bars follow what it records in the journal.

It draws from the engine's ``ProgressSnapshot`` values the screen hands down (``update``);
its keys post ``Command`` messages up and the screen talks to the engine.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from core.transfer import JobState, ProgressSnapshot
from tui.format import Clock, fmt_eta, fmt_size, fmt_speed, safe_name, system_clock
from tui.widgets.file_list import text_only

#: Lines per job: title and state, then the bars.
JOB_LINES = 2
#: Width of the items bar (shown when the panel is at least 100 cells wide).
ITEM_BAR = 12


def state_text(snap: ProgressSnapshot, now: datetime) -> str:
    if snap.holder is not None and not snap.state.finished:
        return f"in another skypane ({snap.holder.describe()})"
    if snap.state is JobState.THROTTLED and snap.throttled_until is not None:
        left = max((snap.throttled_until - now).total_seconds(), 0.0)
        return f"throttled {left:.0f}s"
    if snap.state is JobState.FAILED or (snap.state.finished and snap.items_failed):
        return f"failed ({snap.items_failed})" if snap.items_failed else "failed"
    return str(snap.state)


def shown_fraction(snap: ProgressSnapshot) -> float:
    """How full the bar is: what got done, so a cancelled job is not drawn complete."""
    if snap.state is JobState.DONE and not snap.items_failed:
        return 1.0
    if snap.bytes_total > 0:
        return snap.fraction
    return snap.items_done / snap.items_total if snap.items_total else 0.0


def sizes_text(snap: ProgressSnapshot) -> str:
    """``45% 900.0M/2.0G``; a job that moves no bytes (folders, deletions) shows none."""
    percent = f"{shown_fraction(snap) * 100:3.0f}%"
    if snap.bytes_total <= 0 and snap.bytes_done <= 0:
        return f" {percent} {'':>6} {'':<6}"
    total = fmt_size(snap.bytes_total) if snap.bytes_total > 0 else "?"
    return f" {percent} {fmt_size(snap.bytes_done):>6}/{total:<6}"


def items_handled(snap: ProgressSnapshot) -> int:
    """Items done or skipped; the items a cancel dropped were not handled."""
    if snap.state is JobState.CANCELLED:
        return snap.items_done
    return snap.items_done + snap.items_skipped


def items_text(snap: ProgressSnapshot) -> str:
    return f"{items_handled(snap)}/{snap.items_total} items"


def rate_text(snap: ProgressSnapshot) -> str:
    """Speed and time left while bytes move; nothing for a paused or finished job."""
    if snap.state not in (JobState.RUNNING, JobState.THROTTLED) or snap.rate <= 0:
        return ""
    return f"{fmt_speed(snap.rate):>12} ETA {fmt_eta(snap.eta)}"


def bar(fraction: float, width: int) -> tuple[str, str]:
    """The done and the remaining part of a bar ``width`` cells long."""
    width = max(width, 0)
    done = round(fraction * width)
    return "━" * done, "━" * (width - done)


class TransferPanel(ScrollView, can_focus=True):
    """Docked under the panes; toggled with ctrl+t, shown when a job starts."""

    ALLOW_SELECT = False

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "move(-1)", "Previous job", show=False, id="transfers-up"),
        Binding("down", "move(1)", "Next job", show=False, id="transfers-down"),
        Binding("home", "move(-1_000_000)", "First job", show=False, id="transfers-first"),
        Binding("end", "move(1_000_000)", "Last job", show=False, id="transfers-last"),
        Binding("pageup", "move(-5)", "Jobs page up", show=False, id="transfers-page-up"),
        Binding("pagedown", "move(5)", "Jobs page down", show=False, id="transfers-page-down"),
        Binding("p", "command('pause')", "Pause/resume job", id="transfer-pause"),
        Binding("c", "command('cancel')", "Cancel job", id="transfer-cancel"),
        Binding("r", "command('retry')", "Retry failed items", id="transfer-retry"),
        Binding("d", "command('clear')", "Clear finished jobs", id="transfer-clear"),
        Binding("escape", "command('hide')", "Back to panes", show=False, id="transfers-hide"),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "transfer-panel--title",
        "transfer-panel--cursor",
        "transfer-panel--bar-done",
        "transfer-panel--bar-todo",
        "transfer-panel--failed",
        "transfer-panel--throttled",
        "transfer-panel--done",
    }

    class Command(Message):
        """``pause`` (toggles), ``cancel``, ``retry``, ``clear`` or ``hide`` for ``job_id``."""

        def __init__(self, command: str, job_id: str | None) -> None:
            super().__init__()
            self.command = command
            self.job_id = job_id

    def __init__(self, *, clock: Clock = system_clock, id: str | None = None) -> None:
        super().__init__(id=id)
        self.clock = clock
        self.jobs: dict[str, ProgressSnapshot] = {}
        self.titles: dict[str, str] = {}
        self.cursor = 0

    # -- data in -----------------------------------------------------------------

    def update_job(self, title: str, snap: ProgressSnapshot) -> None:
        new = snap.job_id not in self.jobs
        self.titles[snap.job_id] = title
        self.jobs[snap.job_id] = snap
        self._resize()
        if new and not snap.state.finished:
            self.select(snap.job_id)  # p and c act on what was just started
        self.refresh()

    def select(self, job_id: str) -> None:
        ids = list(self.jobs)
        if job_id in ids:
            self.cursor = ids.index(job_id)
            self.scroll_to(y=self.cursor * JOB_LINES, animate=False)
            self.refresh()

    def on_focus(self) -> None:
        """Coming to the panel: the cursor on a job still going, the newest, if it was on a
        finished one."""
        current = self.jobs.get(self.selected or "")
        if current is not None and not current.state.finished:
            return
        going = [job_id for job_id, snap in self.jobs.items() if not snap.state.finished]
        if going:
            self.select(going[-1])
        elif self.jobs:
            self.select(list(self.jobs)[-1])

    def remove_finished(self) -> None:
        for job_id in [j for j, s in self.jobs.items() if s.state.finished]:
            del self.jobs[job_id]
            del self.titles[job_id]
        self.cursor = min(self.cursor, max(len(self.jobs) - 1, 0))
        self._resize()
        self.refresh()

    def _resize(self) -> None:
        self.virtual_size = Size(self.size.width, max(len(self.jobs), 1) * JOB_LINES)

    @property
    def selected(self) -> str | None:
        ids = list(self.jobs)
        return ids[self.cursor] if 0 <= self.cursor < len(ids) else None

    # -- keys --------------------------------------------------------------------

    def action_move(self, step: int) -> None:
        if self.jobs:
            self.cursor = max(0, min(self.cursor + step, len(self.jobs) - 1))
            self.scroll_to(y=self.cursor * JOB_LINES, animate=False)
            self.refresh()

    def action_command(self, command: str) -> None:
        snap = self.jobs.get(self.selected or "")
        if command in ("pause", "cancel") and (snap is None or snap.state.finished):
            what = "no job" if snap is None else f"that job is {snap.state}"
            self.app.notify(f"Nothing to {command}: {what}.", severity="warning", timeout=3)
            return
        if command == "retry" and (snap is None or not snap.items_failed):
            self.app.notify("Nothing to retry: no failed items.", severity="warning", timeout=3)
            return
        self.post_message(self.Command(command, self.selected))

    # -- drawing -----------------------------------------------------------------

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self.refresh()

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        line = y + self.scroll_offset.y
        ids = list(self.jobs)
        index, part = divmod(line, JOB_LINES)
        base = self.rich_style
        if not ids:
            text = (
                " No transfers. F5 copies, F6 moves, or drag files to the other pane."
                if line == 0
                else ""
            )
            return Strip([Segment(text, base)]).adjust_cell_length(width, base)
        if index >= len(ids):
            return Strip.blank(width, base)
        snap = self.jobs[ids[index]]
        selected = index == self.cursor and self.has_focus
        style = base + self.get_component_rich_style("transfer-panel--cursor") if selected else base
        if part == 0:
            return self._title_line(ids[index], snap, width, style)
        return self._bar_line(snap, width, style)

    def _state_style(self, snap: ProgressSnapshot) -> Style:
        name = {
            JobState.THROTTLED: "transfer-panel--throttled",
            JobState.FAILED: "transfer-panel--failed",
            JobState.CANCELLED: "transfer-panel--failed",
            JobState.DONE: "transfer-panel--done",
        }.get(snap.state)
        if snap.state is JobState.DONE and snap.items_failed:
            name = "transfer-panel--failed"
        return text_only(self.get_component_rich_style(name)) if name else Style()

    def _title_line(self, job_id: str, snap: ProgressSnapshot, width: int, style: Style) -> Strip:
        state = state_text(snap, self.clock())
        title = safe_name(self.titles.get(job_id, job_id))
        room = width - cell_len(state) - 3
        if cell_len(title) > room:
            title = title[: max(room - 1, 0)] + "…"
        gap = max(width - cell_len(title) - cell_len(state) - 2, 1)
        title_style = style + text_only(self.get_component_rich_style("transfer-panel--title"))
        segments = [
            Segment(" " + title, title_style),
            Segment(" " * gap, style),
            Segment(state + " ", style + self._state_style(snap)),
        ]
        return Strip(segments).adjust_cell_length(width, style)

    def _bar_line(self, snap: ProgressSnapshot, width: int, style: Style) -> Strip:
        done_style = style + text_only(self.get_component_rich_style("transfer-panel--bar-done"))
        todo_style = style + text_only(self.get_component_rich_style("transfer-panel--bar-todo"))
        # Fixed-width columns so the bars of every job line up.
        sizes = sizes_text(snap)
        items = f" {items_text(snap)}".ljust(16)
        rate = rate_text(snap).ljust(23)
        # A second, short bar for items where there is room: bytes and items both matter
        # (a thousand small files move slowly while the byte bar hardly moves).
        item_bar = ITEM_BAR if width >= 100 else 0
        tail_width = (
            cell_len(sizes) + cell_len(items) + cell_len(rate) + (item_bar + 1 if item_bar else 0)
        )
        current = snap.current_file
        name = f"  {safe_name(current.rsplit('/', 1)[-1])}" if current else ""
        bar_width = max(
            width - tail_width - 3 - (cell_len(name) if width - tail_width > 70 else 0), 8
        )
        fraction = shown_fraction(snap)
        done, todo = bar(fraction, bar_width)
        segments = [
            Segment("  ", style),
            Segment(done, done_style),
            Segment(todo, todo_style),
            Segment(sizes, style),
        ]
        if item_bar:
            handled = items_handled(snap) + snap.items_failed
            items_fraction = handled / snap.items_total if snap.items_total else fraction
            idone, itodo = bar(items_fraction, item_bar)
            segments += [
                Segment(" ", style),
                Segment(idone, done_style),
                Segment(itodo, todo_style),
            ]
        segments.append(Segment(items + rate, style))
        if width - tail_width > 70:
            segments.append(Segment(name, style))
        return Strip(segments).crop(0, width).adjust_cell_length(width, style)

    def on_resize(self) -> None:
        self._resize()
