"""Transfers in the background: conflicts asked in a dialog, the panel's keys, resume at start."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

from core.backend import ByteSource, WriteProgress, WriteRequest
from core.backends.local import LocalBackend
from core.config import RemoteConfig, load_config
from core.errors import PermissionDenied
from core.model import Entry
from core.paths import Location
from core.transfer import JobState, Journal, ProgressSnapshot
from tests.tui.dialogs.harness import until as until_true
from tests.tui.helpers import NOW, main_screen, make_app, settle

SIZE = (120, 36)


class GatedLocal(LocalBackend):
    """The local disk, but every write waits for ``gate`` (and may be told to fail)."""

    def __init__(self, remote: str = "gated") -> None:
        super().__init__(remote)
        self.gate = asyncio.Event()
        self.fail: Exception | None = None
        self.waiting = asyncio.Event()

    async def write(
        self,
        path: str,
        source: ByteSource,
        request: WriteRequest,
        progress: WriteProgress | None = None,
    ) -> Entry:
        self.waiting.set()
        await self.gate.wait()
        if self.fail is not None:
            raise self.fail
        return await super().write(path, source, request, progress)


def gated_app(sample: Path, target: Path, **kwargs: Any) -> tuple[Any, GatedLocal]:
    """An app whose right pane is the configured remote "gated" (the local disk, gated)."""
    config = load_config()
    config.set_remote(RemoteConfig("gated", "local", {"root": "/"}))
    config.save()
    app = make_app(sample, Location("gated", str(target)), config=load_config(), **kwargs)
    return app, GatedLocal()


async def until(event: asyncio.Event) -> None:
    await asyncio.wait_for(event.wait(), timeout=60)


async def start(pilot: Any, gated: GatedLocal, target: Path) -> Any:
    screen = main_screen(pilot.app)
    screen.backends["gated"] = gated
    screen.show_location(screen.pane("right"), Location("gated", str(target)))
    await settle(pilot)
    return screen


async def conflict_shown(pilot: Any) -> None:
    await until_true(pilot, lambda: type(pilot.app.screen).__name__ == "ConflictDialog")


async def copy_by_key(pilot: Any, name: str) -> None:
    fl = main_screen(pilot.app).pane("left").file_list
    fl.move_cursor(fl.listing.index_of(name))
    await pilot.press("f5", "enter")


async def test_conflict_dialog_overwrite(sample: Path, target: Path) -> None:
    (target / "notes.txt").write_text("old")
    app = make_app(sample, target)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await copy_by_key(pilot, "notes.txt")
        await conflict_shown(pilot)
        dialog = app.screen
        assert "already exists" in str(dialog.query_one("#dialog-message").render())
        await pilot.press("o")
        await settle(pilot)
        assert (target / "notes.txt").read_bytes() == (sample / "notes.txt").read_bytes()


async def test_conflict_dialog_buttons_by_arrows_and_letters(sample: Path, target: Path) -> None:
    (target / "notes.txt").write_text("old")
    app = make_app(sample, target)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await copy_by_key(pilot, "notes.txt")
        await conflict_shown(pilot)
        dialog = app.screen
        labels = [str(b.label) for b in dialog.query("Button")]
        assert labels == ["Overwrite", "Skip", "Keep both (r)", "Cancel job"]
        assert app.focused.id == "skip"
        await pilot.press("right")
        assert app.focused.id == "rename"
        await pilot.press("left", "left")
        assert app.focused.id == "overwrite"
        await pilot.press("c")  # the underlined letter of "Cancel job"
        await settle(pilot)
        job = main_screen(app).transfers.engine.jobs()[0]
        assert job.state is JobState.CANCELLED
        assert (target / "notes.txt").read_text() == "old"
        # the notice has lines of its own: no row of either pane is under it
        line = main_screen(app).query_one("MessageLine")
        await until_true(pilot, lambda: "copy cancelled" in line.text and line.display)
        for pane_id in ("left", "right"):
            rows = main_screen(app).pane(pane_id).file_list.region
            assert not rows.overlaps(line.region)
        assert all(not toast.display for toast in app.screen.query("Toast"))


async def test_conflict_dialog_keep_both_applied_to_all(sample: Path, target: Path) -> None:
    for name in ("photo-001.jpg", "photo-002.jpg"):
        (target / name).write_text("old")
    app = make_app(sample, target)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        left = main_screen(app).pane("left")
        left.listing.mark_pattern("photo-*")
        await pilot.press("f5", "enter")
        await conflict_shown(pilot)
        await pilot.press("a", "r")  # apply to all, keep both
        await settle(pilot)
        assert type(app.screen).__name__ == "MainScreen"  # asked once only
        assert sorted(p.name for p in target.iterdir()) == [
            "photo-001 (1).jpg",
            "photo-001.jpg",
            "photo-002 (1).jpg",
            "photo-002.jpg",
        ]
        assert (target / "photo-001.jpg").read_text() == "old"


async def test_panel_pause_and_resume(sample: Path, target: Path) -> None:
    app, gated = gated_app(sample, target)
    async with app.run_test(size=SIZE) as pilot:
        screen = await start(pilot, gated, target)
        await copy_by_key(pilot, "notes.txt")
        await until(gated.waiting)
        await pilot.press("ctrl+t")  # focus the panel
        panel = screen.query_one("TransferPanel")
        assert app.focused is panel
        await pilot.press("p")
        job = screen.transfers.engine.jobs()[0]
        assert job.state is JobState.PAUSED
        gated.gate.set()
        await pilot.pause()
        assert not (target / "notes.txt").exists()
        await pilot.press("p")
        await screen.transfers.engine.wait(job.id)
        await settle(pilot)
        assert (target / "notes.txt").exists()
        assert panel.jobs[job.id].state is JobState.DONE


async def test_panel_cancel(sample: Path, target: Path) -> None:
    app, gated = gated_app(sample, target)
    async with app.run_test(size=SIZE) as pilot:
        screen = await start(pilot, gated, target)
        await copy_by_key(pilot, "notes.txt")
        await until(gated.waiting)
        await pilot.press("ctrl+t", "c")
        gated.gate.set()
        job = screen.transfers.engine.jobs()[0]
        await screen.transfers.engine.wait(job.id)
        await settle(pilot)
        assert job.state is JobState.CANCELLED
        assert not (target / "notes.txt").exists()
        assert any("cancelled" in (n.title or "") for n in app._notifications)


async def test_panel_retry_failed_items(sample: Path, target: Path) -> None:
    app, gated = gated_app(sample, target)
    async with app.run_test(size=SIZE) as pilot:
        screen = await start(pilot, gated, target)
        gated.fail = PermissionDenied("refused by test", path="/x")
        gated.gate.set()
        await copy_by_key(pilot, "notes.txt")
        await settle(pilot)
        job = screen.transfers.engine.jobs()[0]
        assert job.failed_items()
        assert app.error_log[-1].summary == "copy failed"
        panel = screen.query_one("TransferPanel")
        assert "failed" in panel.render_line(0).text
        gated.fail = None
        await pilot.press("ctrl+t", "r")
        await settle(pilot)
        assert job.state is JobState.DONE and not job.failed_items()
        assert (target / "notes.txt").exists()


async def test_panel_shows_throttling_with_seconds_left(sample: Path, target: Path) -> None:
    app = make_app(sample, target)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        snap = ProgressSnapshot(
            job_id="j1",
            kind="copy",  # type: ignore[arg-type]
            state=JobState.THROTTLED,
            bytes_done=1024 * 1024,
            bytes_total=4 * 1024 * 1024,
            items_done=1,
            items_total=4,
            items_failed=0,
            items_skipped=0,
            rate=512 * 1024,
            eta=6.0,
            throttled_until=NOW + timedelta(seconds=12),
        )
        panel = screen.query_one("TransferPanel")
        panel.display = True
        panel.update_job("copy big → work:/", snap)
        await pilot.pause()
        assert panel.render_line(0).text.rstrip().endswith("throttled 12s")
        bars = panel.render_line(1).text
        assert "25%" in bars and "1/4 items" in bars and "ETA 6s" in bars and "512.0 KiB/s" in bars


async def test_unfinished_jobs_are_offered_for_resume_at_start(
    sample: Path, target: Path, isolated_dirs: Path
) -> None:
    journal_path = isolated_dirs / "journal.sqlite"
    app, gated = gated_app(sample, target, journal=Journal(journal_path))
    async with app.run_test(size=SIZE) as pilot:
        screen = await start(pilot, gated, target)
        screen.backends[None] = GatedLocal("local")  # writes to the left pane wait too
        # Copy from right to left so the local side (re-opened next start) is the writer.
        (target / "back.txt").write_text("coming back")
        screen.pane("right").reload()
        await settle(pilot)
        await pilot.press("tab")
        fl = screen.pane("right").file_list
        fl.move_cursor(fl.listing.index_of("back.txt"))
        await pilot.press("f5", "enter")
        await until(screen.backends[None].waiting)
        screen.close_timeout = 0.2  # the gated write never ends: quit without waiting for it
    # The app quit mid-transfer; the next start offers to finish it.
    app2 = make_app(sample, target, journal=Journal(journal_path))
    async with app2.run_test(size=SIZE) as pilot:
        await until_true(pilot, lambda: type(app2.screen).__name__ == "ConfirmDialog")
        assert "did not finish" in str(app2.screen.query_one("#dialog-message").render())
        await pilot.press("y")
        await settle(pilot)
        assert (sample / "back.txt").read_text() == "coming back"


async def test_quit_asks_first_while_transfers_run(sample: Path, target: Path) -> None:
    app, gated = gated_app(sample, target)
    async with app.run_test(size=SIZE) as pilot:
        screen = await start(pilot, gated, target)
        await copy_by_key(pilot, "notes.txt")
        await until(gated.waiting)
        await pilot.press("f10")
        await until_true(pilot, lambda: type(app.screen).__name__ == "ConfirmDialog")
        assert "still running" in str(app.screen.query_one("#dialog-message").render())
        await pilot.press("n")
        assert app.is_running
        gated.gate.set()
        await settle(pilot)
        assert (target / "notes.txt").exists()
        assert screen.transfers.active == []


def snapshot(state: JobState, **fields: Any) -> ProgressSnapshot:
    values: dict[str, Any] = {
        "job_id": "j",
        "kind": "copy",
        "state": state,
        "bytes_done": 0,
        "bytes_total": 0,
        "items_done": 0,
        "items_total": 1,
        "items_failed": 0,
        "items_skipped": 0,
        "rate": 0.0,
        "eta": None,
    }
    values.update(fields)
    return ProgressSnapshot(**values)


def bar_text(snap: ProgressSnapshot) -> str:
    from tui.widgets.transfer_panel import items_text, rate_text, sizes_text

    return f"{sizes_text(snap)} {items_text(snap)} {rate_text(snap)}"


def test_panel_figures_say_what_happened() -> None:
    giga = 2 * 1024**3
    paused = bar_text(snapshot(JobState.PAUSED, bytes_done=giga // 2, bytes_total=giga, rate=0.0))
    assert " 50%" in paused and "1.0G/2.0G" in paused and "ETA" not in paused
    # a cancel drops the file's bytes from the total: nothing done, not "100% 1/1 items"
    cancelled = bar_text(snapshot(JobState.CANCELLED, items_skipped=1))
    assert "  0%" in cancelled and "0/1 items" in cancelled and "0B" not in cancelled
    moved = bar_text(
        snapshot(JobState.DONE, bytes_done=300 * 1024**2, bytes_total=300 * 1024**2, items_done=1)
    )
    assert "100%" in moved and "300.0M/300.0M" in moved
    running = bar_text(
        snapshot(JobState.RUNNING, bytes_done=10, bytes_total=100, rate=2048.0, eta=4.0)
    )
    assert "2.0 KiB/s ETA 4s" in running


async def test_panel_cursor_follows_the_new_job_and_keys_reach_every_job(
    sample: Path, target: Path
) -> None:
    app, gated = gated_app(sample, target)
    async with app.run_test(size=SIZE) as pilot:
        screen = await start(pilot, gated, target)
        gated.gate.set()
        await copy_by_key(pilot, "notes.txt")  # finishes at once
        await settle(pilot)
        gated.gate.clear()
        gated.waiting.clear()
        await copy_by_key(pilot, "README.md")
        await until(gated.waiting)
        panel = screen.query_one("TransferPanel")
        first, second = [j.id for j in screen.transfers.engine.jobs()]
        assert panel.selected == second  # not the old, finished job
        await pilot.press("ctrl+t", "home")
        assert panel.selected == first
        await pilot.press("p")  # a finished job: says so instead of nothing
        assert any("Nothing to pause" in n.message for n in app._notifications)
        await pilot.press("end", "p")
        assert panel.selected == second
        assert screen.transfers.engine.job(second).state is JobState.PAUSED
        assert "ETA" not in panel.render_line(3).text
        await pilot.press("c")
        gated.gate.set()
        await screen.transfers.engine.wait(second)
        await settle(pilot)
        assert "0/1 items" in panel.render_line(3).text


class ThrottledLocal(LocalBackend):
    """A backend of no particular kind that says its service throttles (``Throttling``)."""

    def __init__(self, seconds: float) -> None:
        super().__init__("slow")
        self.seconds = seconds

    def throttled_for(self) -> float:
        return self.seconds


async def test_status_bar_counts_down_any_backends_throttling(sample: Path, target: Path) -> None:
    app = make_app(sample, target)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        slow = ThrottledLocal(27.0)
        screen.backends["slow"] = slow
        bar = screen.query_one("StatusBar")
        await until_true(pilot, lambda: bar.throttled == 27.0)  # its one-second poll
        assert bar.has_class("-throttled")
        slow.seconds = 0.0
        await until_true(pilot, lambda: bar.throttled == 0.0)
        assert not bar.has_class("-throttled")
