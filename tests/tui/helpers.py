"""Shared pieces of the TUI tests: a fixed clock, a deterministic sample tree, app factories."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from textual.worker import WorkerCancelled, WorkerFailed

from core.config import load_config
from core.paths import Location
from core.transfer import Journal
from tests.tui.dialogs.harness import until
from tui.app import SkypaneApp

#: "Now" for every TUI test: relative times and dates come out the same on every run.
NOW = datetime(2025, 6, 15, 12, 0, 0, tzinfo=UTC)


def fixed_clock() -> datetime:
    return NOW


def set_mtime(path: Path, when: datetime) -> None:
    ns = int(when.timestamp()) * 1_000_000_000
    os.utime(path, ns=(ns, ns))


#: name → (size, age) of the files in the sample folder; folders listed apart.
SAMPLE_FILES: dict[str, tuple[int, timedelta]] = {
    "README.md": (1_234, timedelta(minutes=5)),
    "budget-2025.xlsx": (48_213, timedelta(hours=3)),
    "notes.txt": (96, timedelta(days=2)),
    "photo-001.jpg": (2_345_678, timedelta(days=40)),
    "photo-002.jpg": (2_111_222, timedelta(days=40, hours=1)),
    "report.pdf": (734_003, timedelta(days=400)),
    "script.sh": (512, timedelta(days=9)),
    "zeta.tar.gz": (15_000_000, timedelta(days=90)),
    ".hidden-config": (33, timedelta(days=1)),
}
SAMPLE_DIRS = ("Documents", "Music", "Projects")


def make_sample_tree(root: Path, now: datetime = NOW) -> Path:
    """A small, fixed folder to browse: three folders, nine files (one hidden)."""
    root.mkdir(parents=True, exist_ok=True)
    for i, (name, (size, age)) in enumerate(sorted(SAMPLE_FILES.items())):
        path = root / name
        # Fixed content (not random) so hashes in the info panel are stable too.
        path.write_bytes(bytes((i + j) % 251 for j in range(size)) if size < 100_000 else b"")
        if size >= 100_000:
            with path.open("wb") as f:
                f.truncate(size)
        set_mtime(path, now - age)
    for j, name in enumerate(SAMPLE_DIRS):
        folder = root / name
        folder.mkdir(exist_ok=True)
        (folder / f"inside-{j}.txt").write_text(f"file in {name}\n")
        set_mtime(folder / f"inside-{j}.txt", now - timedelta(days=j + 1))
        set_mtime(folder, now - timedelta(days=j + 3))
    return root


def make_app(
    left: Path | Location,
    right: Path | Location,
    **kwargs: Any,
) -> SkypaneApp:
    def loc(x: Path | Location) -> Location:
        return x if isinstance(x, Location) else Location(None, str(x))

    kwargs.setdefault("config", load_config())
    kwargs.setdefault("journal", Journal())
    return SkypaneApp(clock=fixed_clock, left=loc(left), right=loc(right), **kwargs)


async def settle(pilot: Any) -> None:
    """Wait until listings, file operations and transfers have finished and painted."""
    app = pilot.app
    for _ in range(50):
        await pilot.pause()
        try:
            await asyncio.wait_for(app.workers.wait_for_complete(), timeout=60)
        except (WorkerCancelled, WorkerFailed):
            continue  # a listing replaced by a newer one, or an error the app reported
        screen = app.screen_stack[1] if len(app.screen_stack) > 1 else app.screen
        transfers = getattr(screen, "transfers", None)
        if transfers is not None:
            for job in transfers.engine.jobs():
                if not job.state.finished and job.state != "paused":
                    await asyncio.wait_for(transfers.engine.wait(job.id), timeout=60)
        await pilot.pause()
        if not any(w.is_running for w in app.workers) and not _busy(app):
            return
    raise AssertionError("the app did not settle")


async def dialog_up(pilot: Any, name: str | None = None) -> Any:
    """The screen a key or click opened over the main one (of class ``name`` if given), once
    it is mounted: a key may open it from a worker, after a count or a listing, so tests
    wait for it instead of pausing."""
    app = pilot.app

    def up() -> bool:
        screen = app.screen
        if screen is main_screen(app) or not screen.is_mounted:
            return False
        return name is None or type(screen).__name__ == name

    await until(pilot, up)
    return app.screen


def _busy(app: Any) -> bool:
    for screen in app.screen_stack:
        if getattr(screen, "opening", None):  # a drive opening: its listing starts after
            return True
        transfers = getattr(screen, "transfers", None)
        if transfers is not None and any(
            not j.state.finished and j.state != "paused" for j in transfers.engine.jobs()
        ):
            return True
    return False


def main_screen(app: Any) -> Any:
    from tui.screens.main import MainScreen

    for screen in app.screen_stack:
        if isinstance(screen, MainScreen):
            return screen
    raise AssertionError("no MainScreen")


def names(pane: Any) -> list[str]:
    return [e.name for e in pane.listing.rows]


#: What the emulated OneDrive holds at the start of a TUI test: path → (content, age).
REMOTE_FILES: dict[str, tuple[bytes, timedelta]] = {
    "/Documents/plan.docx": (b"plan" * 900, timedelta(days=3)),
    "/Documents/minutes.txt": (b"minutes of the meeting\n" * 20, timedelta(hours=2)),
    "/Pictures/beach.jpg": (bytes(range(256)) * 800, timedelta(days=60)),
    "/Pictures/forest.jpg": (bytes(range(255, -1, -1)) * 600, timedelta(days=61)),
    "/todo.md": (b"- buy milk\n- sync photos\n", timedelta(minutes=20)),
    "/budget.xlsx": (b"\x00budget" * 500, timedelta(days=12)),
}
CLIENT_ID = "12345678-abcd-4ef0-9876-0123456789ab"


def seed_remote(server: Any, now: datetime = NOW) -> None:
    emulator = server.emulator
    emulator.mkdir("/Backup")
    for path, (content, age) in REMOTE_FILES.items():
        emulator.put_file(path, content, modified=now - age)


def login(server: Any, name: str) -> None:
    """``skypane login NAME`` against the emulator, as a user runs it (auto-approved)."""
    import contextlib
    import io

    from tui.cli import main

    args = [
        "login",
        name,
        "--client-id",
        CLIENT_ID,
        "--authority",
        server.authority,
        "--graph-url",
        server.graph_url,
        "--ca-bundle",
        str(server.ca_bundle),
    ]
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = main(args)
    assert code == 0, out.getvalue()


def make_backup_folder(root: Path, now: datetime = NOW) -> Path:
    """A second fixed folder for the other pane of snapshots and screenshots."""
    root.mkdir(parents=True, exist_ok=True)
    files = {
        "2024-taxes.pdf": (812_345, timedelta(days=200)),
        "holiday.mov": (734_003_200, timedelta(days=33)),
        "photos-2023.zip": (1_503_238_553, timedelta(days=500)),
        "thesis-final-FINAL-v3-really-final.docx": (2_201_002, timedelta(days=14)),
    }
    for name, (size, age) in files.items():
        path = root / name
        with path.open("wb") as f:
            f.truncate(size)
        set_mtime(path, now - age)
    (root / "Old projects").mkdir(exist_ok=True)
    set_mtime(root / "Old projects", now - timedelta(days=700))
    return root
