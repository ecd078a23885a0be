"""Progress and cursor messages merge in Textual's queue: a burst that arrives while the
screen (or the list) is busy is handled once, with its newest state."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from textual.message import Message

from core.paths import Location
from core.transfer import ConflictPolicy, Job, JobKind, JobState, ProgressSnapshot
from tests.tui.dialogs.harness import until
from tests.tui.helpers import main_screen, make_app, settle
from tui.messages import CursorMoved, TransferDone, TransferProgress
from tui.widgets.transfer_panel import TransferPanel

SIZE = (120, 36)
BURST = 1000


def _job(job_id: str) -> Job:
    return Job(
        job_id,
        JobKind.COPY,
        (Location(None, "/tmp/a.bin"),),
        Location("work", "/Backup"),
        ConflictPolicy.ASK,
        datetime(2026, 1, 1, tzinfo=UTC),
        state=JobState.RUNNING,
    )


def _snapshot(job: Job, done: int) -> ProgressSnapshot:
    return ProgressSnapshot(
        job.id, job.kind, JobState.RUNNING, done, BURST, 0, 1, 0, 0, rate=0.0, eta=None
    )


class Recorder:
    """Every message of the given kinds that a handler was called for, each once (a message
    that bubbles is dispatched again by each parent: the same object)."""

    def __init__(self, *kinds: type[Message]) -> None:
        self.kinds = kinds
        self.seen: list[Message] = []

    def __call__(self, message: Message) -> None:
        if isinstance(message, self.kinds) and not any(m is message for m in self.seen):
            self.seen.append(message)


async def _blocked(node: Any) -> asyncio.Event:
    """Keep ``node``'s message loop busy until the returned event is set: what is posted to
    it meanwhile waits in its queue."""
    gate = asyncio.Event()
    started = asyncio.Event()

    async def busy() -> None:
        started.set()
        await gate.wait()

    node.call_later(busy)
    await asyncio.wait_for(started.wait(), timeout=60)
    return gate


async def test_a_burst_of_progress_is_drawn_once_with_its_last_state(
    sample: Path, target: Path
) -> None:
    handled = Recorder(TransferProgress)
    app = make_app(sample, target)
    async with app.run_test(size=SIZE, message_hook=handled) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        job = _job("burst")
        gate = await _blocked(screen)
        for done in range(1, BURST + 1):
            screen.post_message(TransferProgress(job, _snapshot(job, done)))
        gate.set()
        panel = screen.query_one(TransferPanel)
        await until(pilot, lambda: job.id in panel.jobs)
        await pilot.pause()
        assert panel.jobs[job.id].bytes_done == BURST  # the newest state is the one drawn
        assert len(handled.seen) == 1, len(handled.seen)  # 1,000 posted, one handled


async def test_progress_of_different_jobs_and_job_ends_never_merge() -> None:
    a, b = _job("a"), _job("b")
    first = TransferProgress(a, _snapshot(a, 1))
    assert first.can_replace(TransferProgress(a, _snapshot(a, 2)))
    assert not first.can_replace(TransferProgress(b, _snapshot(b, 2)))
    assert not first.can_replace(TransferDone(a))
    assert not TransferDone(a).can_replace(TransferDone(a))


async def test_a_burst_of_cursor_moves_is_handled_once_with_the_last_entry(
    sample: Path, target: Path
) -> None:
    handled = Recorder(CursorMoved)
    app = make_app(sample, target)
    async with app.run_test(size=SIZE, message_hook=handled) as pilot:
        await settle(pilot)
        pane = main_screen(app).active
        file_list = pane.file_list
        rows = len(pane.listing.rows)
        assert rows > 3
        handled.seen.clear()
        gate = await _blocked(file_list)
        for _ in range(BURST):  # a held arrow key: down to the end and beyond
            file_list.action_cursor_down()
        gate.set()
        last = pane.listing.rows[rows - 1]  # rows are rebuilt from columns: equal, not the same
        await until(pilot, lambda: any(m.entry == last for m in handled.seen))  # type: ignore[attr-defined]
        await pilot.pause()
        assert len(handled.seen) == 1, len(handled.seen)
        assert file_list.cursor_entry == last
