"""Regenerate ``screenshots/`` (SVG and PNG) from the real app: main views, transfers, the demo and
every dialog.

Run: python3 -m uv run python tests/bench/screenshots.py [--out screenshots] [--local]

The right pane is a OneDrive remote on the TLS Graph emulator, signed in with
``skypane login`` exactly as a user does (in a throwaway home folder); with ``--local`` (or
when the emulator cannot start) a second local folder stands in for it. PNGs are made with
``rsvg-convert`` (Debian: librsvg2-bin): the SVG's web font is swapped for an installed
monospace font first, since rsvg cannot fetch it and would fall back to a proportional one.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

Scene = Callable[[Any], Awaitable[None]]


def isolate_home() -> Path:
    """Point HOME and every skypane/XDG folder at a fresh temporary folder."""
    home = Path(tempfile.mkdtemp(prefix="skypane-shots-"))
    from tests.isolation import private_home

    os.environ.update(private_home(home))
    os.environ.pop("NO_COLOR", None)
    os.environ["TZ"] = "UTC"
    time.tzset()
    return home


def to_png(svg: Path) -> Path | None:
    """Convert with rsvg-convert; None when it is not installed."""
    if shutil.which("rsvg-convert") is None:
        return None
    text = svg.read_text()
    text = re.sub(r'font-family: "?Fira Code"?', 'font-family: "DejaVu Sans Mono"', text)
    # rsvg collapses runs of spaces unless told to keep them; Textual writes &#160; for them.
    text = text.replace("<svg ", '<svg xml:space="preserve" ', 1).replace("&#160;", " ")
    png = svg.with_suffix(".png")
    with tempfile.NamedTemporaryFile("w", suffix=".svg", delete=False) as tmp:
        tmp.write(text)
    try:
        subprocess.run(["rsvg-convert", "-z", "1.5", tmp.name, "-o", str(png)], check=True)
    finally:
        os.unlink(tmp.name)
    return png


@contextlib.contextmanager
def emulated_remote(now: datetime) -> Iterator[Any]:
    from core.emulator import start_server
    from tests.emulator_fixtures import make_emulator
    from tests.tui.helpers import login, seed_remote

    server = start_server(make_emulator("personal", auto_approve_after=0))
    try:
        seed_remote(server, now)
        server.emulator.put_file("/Backup/README.md", b"an older copy\n", modified=now)
        em = server.emulator
        em.put_file("/Documents/2024/minutes-march.txt", b"minutes\n" * 40, modified=now)
        _, bob = em.add_user("Bob", "bob")
        em.share_with_me(em.put_file("Team plan.docx", b"plan" * 300, drive=bob, modified=now))
        em.put_file("Design/mockups.pdf", b"pdf" * 5000, drive=bob, modified=now)
        em.share_with_me(em.item("Design", drive=bob))
        login(server, "work")
        yield server
    finally:
        server.stop()
        server.emulator.close()


async def settle(pilot: Any) -> None:
    from tests.tui.helpers import settle as wait

    await wait(pilot)
    pilot.app.clear_notifications()
    await pilot.pause()


def screen_of(pilot: Any) -> Any:
    from tests.tui.helpers import main_screen

    return main_screen(pilot.app)


async def browse(pilot: Any) -> None:
    await settle(pilot)
    left = screen_of(pilot).pane("left")
    left.listing.mark_pattern("photo-*")
    left.file_list.marks_changed()
    left.file_list.move_cursor(left.listing.index_of("budget-2025.xlsx"))
    await pilot.pause()


async def listing_mode(pilot: Any, mode: str) -> None:
    """The left pane in one of mc's listing modes (long: the whole width)."""
    await browse(pilot)
    screen_of(pilot).pane("left").set_mode(mode)
    await settle(pilot)


async def info(pilot: Any) -> None:
    await settle(pilot)
    screen = screen_of(pilot)
    await pilot.press("tab")
    right = screen.pane("right")
    name = "todo.md" if right.listing.index_of("todo.md") is not None else "holiday.mov"
    right.file_list.move_cursor(right.listing.index_of(name))
    await pilot.press("i")
    await settle(pilot)


async def drag(pilot: Any) -> None:
    await settle(pilot)
    screen = screen_of(pilot)
    left, right = screen.pane("left"), screen.pane("right")
    start = left.listing.index_of("README.md")
    folder = next(i for i, e in enumerate(right.listing.rows) if e.is_dir and e.name != "..")
    await pilot.mouse_down(left.file_list, offset=(4, start))
    await pilot.hover(left.file_list, offset=(4, start + 1))
    await pilot.hover(right.file_list, offset=(6, folder))
    await pilot.pause()


async def finish_drag(pilot: Any) -> None:
    screen = screen_of(pilot)
    right = screen.pane("right")
    await pilot.mouse_up(right.file_list, offset=(6, right.file_list.drop_row or 1))
    await settle(pilot)


async def transfers(pilot: Any, server: Any | None) -> None:
    await settle(pilot)
    screen = screen_of(pilot)
    left = screen.pane("left")
    # One finished copy, then one the drive throttles (Retry-After 40 s, as Graph does).
    left.file_list.move_cursor(left.listing.index_of("notes.txt"))
    await pilot.press("f5", "enter")
    await settle(pilot)
    if server is not None:
        server.emulator.faults.fail_next(3, 429, retry_after=40, method="PUT")
    left.listing.mark_pattern("photo-*")
    left.file_list.marks_changed()
    await pilot.press("f5", "enter")
    for _ in range(100):
        await pilot.pause(0.05)
        if any(s.state == "throttled" for s in screen.query_one("TransferPanel").jobs.values()):
            break
    screen.status.poll_throttling()
    await pilot.pause()


async def right_pane_on_backup(pilot: Any) -> Any:
    """The right pane on the Backup folder (of the remote, or the local stand-in)."""
    await settle(pilot)
    screen = screen_of(pilot)
    right = screen.pane("right")
    backup = Path(os.environ["HOME"]) / "Backup"
    target = "/Backup" if right.location.remote else str(backup)
    screen.show_location(right, right.location.__class__(right.location.remote, target))
    await settle(pilot)
    return screen


async def conflict(pilot: Any) -> None:
    screen = await right_pane_on_backup(pilot)
    left = screen.pane("left")
    left.file_list.move_cursor(left.listing.index_of("README.md"))
    await pilot.press("f5")
    await pilot.pause()
    await pilot.press("enter")
    for _ in range(200):
        await pilot.pause(0.05)
        if type(pilot.app.screen).__name__ == "ConflictDialog":
            break
    else:
        print("no conflict dialog:", [r.message for r in pilot.app.error_log], file=sys.stderr)


async def view(pilot: Any) -> None:
    await settle(pilot)
    screen = screen_of(pilot)
    await pilot.press("tab")
    right = screen.pane("right")
    if right.listing.index_of("todo.md") is not None:
        right.file_list.move_cursor(right.listing.index_of("todo.md"))
    else:
        screen.pane("left").file_list.focus()
        left = screen.pane("left")
        left.file_list.move_cursor(left.listing.index_of("script.sh"))
    await pilot.press("f3")
    await settle(pilot)


async def _wait_modal(pilot: Any) -> None:
    for _ in range(400):
        await pilot.pause(0.05)
        if pilot.app.screen.is_modal and pilot.app.screen.query("#dialog-message"):
            await pilot.pause(0.2)
            return


async def search_results(pilot: Any) -> None:
    await settle(pilot)
    await pilot.press("tab", "alt+l", *"minutes", "enter")
    await settle(pilot)


async def compare_panes(pilot: Any) -> None:
    await settle(pilot)
    await pilot.press("alt+d")
    await settle(pilot)


async def mirror_preview(pilot: Any) -> None:
    await right_pane_on_backup(pilot)
    await pilot.press("alt+m")
    await _wait_modal(pilot)


async def disk_usage(pilot: Any) -> None:
    await settle(pilot)
    await pilot.press("tab", "alt+u")
    await settle(pilot)


async def recycle_bin(pilot: Any) -> None:
    await settle(pilot)
    await pilot.press("tab", "alt+t")
    await _wait_modal(pilot)
    await settle(pilot)


async def shared(pilot: Any) -> None:
    await settle(pilot)
    await pilot.press("tab", "alt+s")
    await settle(pilot)


#: The find / compare / recover views (``--only`` picks among every scene by name).
FIND_SCENES: list[tuple[str, tuple[int, int], Scene, Scene | None]] = [
    ("search-results-120x36", (120, 36), search_results, None),
    ("compare-120x36", (120, 36), compare_panes, None),
    ("mirror-preview-120x36", (120, 36), mirror_preview, None),
    ("disk-usage-120x36", (120, 36), disk_usage, None),
    ("recycle-bin-120x36", (120, 36), recycle_bin, None),
    ("shared-120x36", (120, 36), shared, None),
]


async def shoot(
    name: str,
    size: tuple[int, int],
    scene: Scene,
    out: Path,
    left: Path,
    right: Any,
    after: Scene | None = None,
) -> Path:
    from core.paths import Location
    from core.transfer import Journal
    from tui.app import SkypaneApp

    # A journal per scene: a job left running by one scene is not offered to the next.
    journal = Journal(Path(os.environ["SKYPANE_STATE_DIR"]) / f"{name}.sqlite")
    app = SkypaneApp(left=Location(None, str(left)), right=right, journal=journal)
    async with app.run_test(size=size) as pilot:
        await scene(pilot)
        for field in app.screen.query("Input"):
            field.cursor_blink = False
        await pilot.pause()
        svg = out / f"{name}.svg"
        svg.write_text(app.export_screenshot(title="skypane"))
        if after is not None:
            await after(pilot)
        for job in screen_of(pilot).transfers.active:
            screen_of(pilot).transfers.engine.cancel(job.id)
        screen_of(pilot).close_timeout = 1.0
    return svg


async def run(
    out: Path, sample: Path, right: Any, server: Any | None, only: list[str] | None = None
) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    made: list[Path] = []
    scenes: list[tuple[str, tuple[int, int], Scene, Scene | None]] = [
        ("main-120x36", (120, 36), browse, None),
        ("main-80x24", (80, 24), browse, None),
        ("long-80x24", (80, 24), lambda p: listing_mode(p, "long"), None),
        ("info-120x36", (120, 36), info, None),
        ("drag-120x36", (120, 36), drag, finish_drag),
        ("transfers-120x36", (120, 36), lambda p: transfers(p, server), None),
        ("conflict-120x36", (120, 36), conflict, None),
        ("viewer-80x24", (80, 24), view, None),
        *FIND_SCENES,
    ]
    for name, size, scene, after in scenes:
        if only and name not in only:
            continue
        svg = await shoot(name, size, scene, out, sample, right, after)
        made.append(svg)
        png = to_png(svg)
        if png is not None:
            made.append(png)
        print(f"wrote {svg.name}{' and ' + png.name if png else ''}")
    return made


async def approve_on_the_page(session: Any, page: str, code: str) -> None:
    """Type the code on the demo emulator's verification page, as a user on a phone would
    (the emulator runs in a process of its own)."""
    import httpx

    from core.tls import tls_context

    context = tls_context(session.remote.options["ca_bundle"])
    async with httpx.AsyncClient(verify=context) as client:
        answer = await client.post(page, data={"code": code, "action": "approve"})
    answer.raise_for_status()


async def demo_shots(out: Path, left: Path) -> list[Path]:
    """``skypane --demo`` as a user meets it: the sign-in dialog, then the demo drive."""
    from core.demo import start_demo
    from tests.tui.helpers import settle as wait
    from tui.dialogs.login import DeviceLoginDialog
    from tui.run import demo_app

    session = start_demo(auto_approve_after=None)
    made: list[Path] = []
    try:
        app = demo_app(session, left=str(left))
        async with app.run_test(size=(120, 36)) as pilot:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                dialog = app.screen
                if isinstance(dialog, DeviceLoginDialog) and dialog._flow is not None:
                    break
                await pilot.pause(0.1)
            await pilot.pause(0.3)
            made.append(out / "demo-login-120x36.svg")
            made[-1].write_text(app.export_screenshot(title="skypane --demo"))
            assert isinstance(dialog, DeviceLoginDialog) and dialog._flow is not None
            await approve_on_the_page(
                session, dialog._flow.verification_uri, dialog._flow.user_code
            )
            await pilot.press("n")
            while isinstance(app.screen, DeviceLoginDialog) and time.monotonic() < deadline:
                await pilot.pause(0.1)
            await wait(pilot)
            await pilot.press("tab", "down", "enter")  # into Documents
            await wait(pilot)
            app.clear_notifications()
            await pilot.pause(0.3)
            made.append(out / "demo-120x36.svg")
            made[-1].write_text(app.export_screenshot(title="skypane --demo"))
    finally:
        session.stop()
    for svg in list(made):
        png = to_png(svg)
        if png is not None:
            made.append(png)
        print(f"wrote {svg.name}{' and ' + png.name if png else ''}")
    return made


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots")
    parser.add_argument("--local", action="store_true", help="no emulator: two local folders")
    parser.add_argument(
        "--no-dialogs",
        action="store_true",
        help="skip the dialogs (tests/tui/dialogs/screenshots.py)",
    )
    parser.add_argument(
        "--only", nargs="+", metavar="NAME", help="only these scenes (no demo, no dialogs)"
    )
    args = parser.parse_args()
    from core.paths import Location
    from tests.tui.helpers import make_backup_folder, make_sample_tree

    home = isolate_home()
    now = datetime.now(UTC).replace(microsecond=0)
    sample = make_sample_tree(home / "sample", now)
    make_backup_folder(home / "Backup", now)
    with contextlib.ExitStack() as stack:
        server = None
        right = Location(None, str(home / "Backup"))
        if not args.local:
            try:
                # Signing in runs its own event loop, so it happens before the app's.
                server = stack.enter_context(emulated_remote(now))
                right = Location("work", "/")
            except Exception as exc:  # any failure to start: fall back to a local folder
                print(f"emulator unavailable ({exc}); using a local folder", file=sys.stderr)
        asyncio.run(run(args.out.resolve(), sample, right, server, args.only))
    if args.only:
        return 0
    asyncio.run(demo_shots(args.out.resolve(), sample))
    if not args.no_dialogs:
        from tests.tui.dialogs.screenshots import main as dialog_shots

        dialog_shots([])
    return 0


if __name__ == "__main__":
    sys.exit(main())
