"""How the main views look, at 120×36 and at 80×24 (pytest-textual-snapshot).

Deterministic: a sample tree with fixed contents and mtimes under the test's own home (so
paths read ``~/sample``), a fixed clock, UTC, and colours on (the suite sets NO_COLOR).
Update with ``pytest tests/tui/test_snapshots.py --snapshot-update`` and look at the report.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from core.model import Entry
from core.transfer import ConflictQuestion, JobKind, JobState, ProgressSnapshot
from tests.tui.dialogs.harness import settled, until
from tests.tui.helpers import NOW, dialog_up, main_screen, make_app, make_backup_folder, settle
from tui.dialogs.conflict import ConflictDialog

BIG = (120, 36)
SMALL = (80, 24)


@pytest.fixture(autouse=True)
def colours(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)


@pytest.fixture
def backup(isolated_dirs: Path) -> Path:
    return make_backup_folder(isolated_dirs / "Backup")


async def ready(pilot: Any) -> None:
    await settle(pilot)
    pilot.app.clear_notifications()
    await pilot.pause()


async def steady(pilot: Any) -> None:
    """The screen unchanging, its Inputs' cursors no longer blinking."""
    await settled(pilot)


async def browse(pilot: Any) -> None:
    """The cursor on a file, two photos marked."""
    await ready(pilot)
    left = main_screen(pilot.app).pane("left")
    left.listing.mark_pattern("photo-*")
    left.file_list.marks_changed()
    left.file_list.move_cursor(left.listing.index_of("budget-2025.xlsx"))
    await settled(pilot)


def snapshot_snapshots() -> dict[str, ProgressSnapshot]:
    def snap(job: str, state: JobState, done: int, total: int, **kw: Any) -> ProgressSnapshot:
        return ProgressSnapshot(
            job_id=job,
            kind=JobKind.COPY,
            state=state,
            bytes_done=done,
            bytes_total=total,
            items_done=kw.pop("items_done", 3),
            items_total=kw.pop("items_total", 10),
            items_failed=kw.pop("items_failed", 0),
            items_skipped=0,
            rate=kw.pop("rate", 12.5 * 1024 * 1024),
            eta=kw.pop("eta", 42.0),
            **kw,
        )

    return {
        "copy photos-2023.zip, holiday.mov → work:/Backup": snap(
            "a", JobState.RUNNING, 600_000_000, 2_237_241_753, current=("/x/holiday.mov",)
        ),
        "copy Music → work:/": snap(
            "b",
            JobState.THROTTLED,
            10_000_000,
            80_000_000,
            throttled_until=NOW + timedelta(seconds=27),
        ),
        "move notes.txt → ~/Backup": snap(
            "c", JobState.DONE, 96, 96, items_done=1, items_total=1, rate=0.0, eta=None
        ),
        "copy report.pdf → work:/Shared": snap(
            "d", JobState.FAILED, 0, 734_003, items_done=0, items_total=1, items_failed=1
        ),
    }


async def transfers(pilot: Any) -> None:
    await browse(pilot)
    screen = main_screen(pilot.app)
    panel = screen.query_one("TransferPanel")
    for title, snap in snapshot_snapshots().items():
        panel.update_job(title, snap)
    panel.display = True
    panel.focus()
    screen.status.poll_throttling()  # the status bar's countdown, without waiting for its timer
    await settled(pilot)


def test_main_view_120x36(snap_compare: Any, sample: Path, backup: Path) -> None:
    assert snap_compare(make_app(sample, backup), terminal_size=BIG, run_before=browse)


def test_main_view_80x24(snap_compare: Any, sample: Path, backup: Path) -> None:
    assert snap_compare(make_app(sample, backup), terminal_size=SMALL, run_before=browse)


def test_info_panel_120x36(snap_compare: Any, sample: Path, backup: Path) -> None:
    async def info(pilot: Any) -> None:
        await browse(pilot)
        await pilot.press("i")
        await settle(pilot)

    assert snap_compare(make_app(sample, backup), terminal_size=BIG, run_before=info)


def test_transfer_panel_120x36(snap_compare: Any, sample: Path, backup: Path) -> None:
    assert snap_compare(make_app(sample, backup), terminal_size=BIG, run_before=transfers)


def test_transfer_panel_80x24(snap_compare: Any, sample: Path, backup: Path) -> None:
    assert snap_compare(make_app(sample, backup), terminal_size=SMALL, run_before=transfers)


def test_copy_dialog_80x24(snap_compare: Any, sample: Path, backup: Path) -> None:
    async def copy(pilot: Any) -> None:
        await browse(pilot)
        await pilot.press("f5")
        await dialog_up(pilot)
        await steady(pilot)

    assert snap_compare(make_app(sample, backup), terminal_size=SMALL, run_before=copy)


def test_conflict_dialog_120x36(snap_compare: Any, sample: Path, backup: Path) -> None:
    async def conflict(pilot: Any) -> None:
        await ready(pilot)
        new = Entry("report.pdf", "/x/report.pdf", False, 734_003, NOW - timedelta(days=1))
        old = Entry("report.pdf", "/y/report.pdf", False, 701_114, NOW - timedelta(days=30))
        question = ConflictQuestion(
            "j", new, old, "/Backup/report.pdf", "/Backup/report (1).pdf", 2
        )
        pilot.app.push_screen(ConflictDialog(question))
        await until(pilot, lambda: isinstance(pilot.app.screen, ConflictDialog))
        await settled(pilot)

    assert snap_compare(make_app(sample, backup), terminal_size=BIG, run_before=conflict)


def test_help_80x24(snap_compare: Any, sample: Path, backup: Path) -> None:
    async def help_(pilot: Any) -> None:
        await ready(pilot)
        await pilot.press("f1")
        await dialog_up(pilot)
        await settled(pilot)

    assert snap_compare(make_app(sample, backup), terminal_size=SMALL, run_before=help_)


def test_quick_search_80x24(snap_compare: Any, sample: Path, backup: Path) -> None:
    async def search(pilot: Any) -> None:
        await ready(pilot)
        await pilot.press("ctrl+s", "r", "e")
        await steady(pilot)

    assert snap_compare(make_app(sample, backup), terminal_size=SMALL, run_before=search)
