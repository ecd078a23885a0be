"""The dialogs inside the app: keys and palette entries on MainScreen, the first-start wizard,
remotes changes applied to the panes, and a sign-in that dies while transfers run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.binding import Binding

from core.config import load_config
from core.emulator import RunningServer
from core.paths import Location
from tests.tui.dialogs.harness import SIZE, until
from tests.tui.helpers import main_screen, make_app, names, settle
from tui.app import SkypaneApp
from tui.dialogs.cleanup import VersionCleanupDialog
from tui.dialogs.links import LinkDialog
from tui.dialogs.login import DeviceLoginDialog
from tui.dialogs.remotes import RemotesDialog
from tui.dialogs.versions import VersionsDialog
from tui.dialogs.wizard import ConfigWizard
from tui.screens.main import MainScreen


def screen_name(app: Any) -> str:
    return type(app.screen).__name__


async def on_remote(pilot: Any, app: SkypaneApp, folder: str, name: str) -> Any:
    """Focus the right pane (the remote) with the cursor on ``name``."""
    await settle(pilot)
    screen = main_screen(app)
    right = screen.pane("right")
    await pilot.press("tab")
    right.file_list.move_cursor(right.listing.index_of(name))
    return screen


def test_dialog_bindings_have_unique_ids_and_keys_of_their_own() -> None:
    from tui.dialogs.cleanup import VersionCleanupDialog as Cleanup
    from tui.dialogs.picker import PickerDialog

    merged = [b for b in MainScreen._merged_bindings.key_to_bindings.values() for b in b]  # type: ignore[union-attr]
    keys = [b.key for b in merged]
    assert keys.count("ctrl+l") == keys.count("alt+v") == keys.count("alt+r") == 1
    assert keys.count("alt+c") == 1
    for cls in (
        LinkDialog, VersionsDialog, Cleanup, DeviceLoginDialog, ConfigWizard, RemotesDialog,
        PickerDialog,
    ):  # fmt: skip
        ids = [b.id for b in cls.BINDINGS if isinstance(b, Binding)]
        assert all(ids) and len(ids) == len(set(ids)), cls


async def test_palette_and_help_list_the_dialog_actions(sample: Path, target: Path) -> None:
    app = make_app(sample, target)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        found = {a.binding.description: a.section for a in app.actions}
        assert found["Share link"] == found["Remotes…"] == "Links, versions, remotes"
        assert "Versions / clean up" in found


async def test_local_files_have_no_links_or_versions(sample: Path, target: Path) -> None:
    app = make_app(sample, target)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+l")
        await pilot.press("alt+v")
        assert isinstance(app.screen, MainScreen)
        messages = [n.message for n in app._notifications]
        assert any("has no share links" in m for m in messages)
        assert any("has no file versions" in m for m in messages)


async def test_ctrl_l_shares_the_remote_file_under_the_cursor(
    drive: RunningServer, sample: Path
) -> None:
    app = make_app(sample, Location("work", "/Docs"), config=load_config())
    async with app.run_test(size=SIZE) as pilot:
        await on_remote(pilot, app, "/Docs", "notes.txt")
        await pilot.press("ctrl+l")
        await until(pilot, lambda: isinstance(app.screen, LinkDialog))
        dialog = app.screen
        assert isinstance(dialog, LinkDialog) and dialog.path == "/Docs/notes.txt"
        await until(pilot, lambda: "Loading" not in str(dialog.query_one("#link-status").render()))
        await pilot.press("ctrl+s")
        await until(pilot, lambda: dialog.created is not None)
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
        assert app.clipboard == dialog.created.url  # type: ignore[union-attr]


async def test_alt_v_saves_an_old_version_into_the_other_pane(
    drive: RunningServer, sample: Path, target: Path
) -> None:
    app = make_app(target, Location("work", "/Docs"), config=load_config())
    async with app.run_test(size=SIZE) as pilot:
        screen = await on_remote(pilot, app, "/Docs", "report.docx")
        await pilot.press("alt+v")
        await until(pilot, lambda: isinstance(app.screen, VersionsDialog))
        dialog = app.screen
        assert isinstance(dialog, VersionsDialog)
        await until(pilot, lambda: len(dialog.versions) == 4)
        await pilot.press("ctrl+end", "f5")
        await until(pilot, lambda: bool(dialog._saved))
        await pilot.press("escape")
        await settle(pilot)
        saved = [n for n in names(screen.pane("left")) if n.startswith("report (version")]
        assert len(saved) == 1 and (target / saved[0]).stat().st_size == 1000


async def test_alt_v_on_dot_dot_cleans_up_the_folder(drive: RunningServer, sample: Path) -> None:
    app = make_app(sample, Location("work", "/Docs"), config=load_config())
    async with app.run_test(size=SIZE) as pilot:
        await on_remote(pilot, app, "/Docs", "..")
        await pilot.press("alt+v")
        await until(pilot, lambda: isinstance(app.screen, VersionCleanupDialog))
        dialog = app.screen
        assert isinstance(dialog, VersionCleanupDialog) and dialog.folder == "/Docs"
        await until(pilot, lambda: dialog.has_class("-ready"))
        await pilot.press("escape")


async def test_alt_c_cleans_up_the_drive_root_whatever_the_cursor_is_on(
    drive: RunningServer, sample: Path
) -> None:
    app = make_app(sample, Location("work", "/"), config=load_config())
    async with app.run_test(size=SIZE) as pilot:
        await on_remote(pilot, app, "/", "Docs")  # the root has no ".." row
        await pilot.press("alt+c")
        await until(pilot, lambda: isinstance(app.screen, VersionCleanupDialog))
        dialog = app.screen
        assert isinstance(dialog, VersionCleanupDialog) and dialog.folder == "/"
        await until(pilot, lambda: dialog.has_class("-ready"))
        await pilot.press("escape")


async def test_renaming_a_remote_moves_the_pane_along(drive: RunningServer, sample: Path) -> None:
    app = make_app(sample, Location("work", "/Docs"), config=load_config())
    async with app.run_test(size=SIZE) as pilot:
        screen = await on_remote(pilot, app, "/Docs", "notes.txt")
        await pilot.press("alt+r")
        await until(pilot, lambda: isinstance(app.screen, RemotesDialog))
        await pilot.press("r")
        await until(pilot, lambda: screen_name(app) == "InputDialog")
        await until(pilot, lambda: bool(app.screen.query("Input")))
        app.screen.query_one("Input").value = "job"  # type: ignore[attr-defined]
        await pilot.press("enter")
        await until(pilot, lambda: app.screen.names == ["job"])  # type: ignore[attr-defined]
        await pilot.press("escape")
        await settle(pilot)
        right = screen.pane("right")
        assert right.location == Location("job", "/Docs") and "notes.txt" in names(right)
        assert "work" not in screen.backends


async def test_first_start_opens_the_wizard_with_a_welcome(sample: Path, target: Path) -> None:
    app = make_app(sample, target, welcome=True)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, ConfigWizard))
        await until(pilot, lambda: bool(app.screen.query("#step-remote Label")))
        assert "Welcome to skypane" in str(app.screen.query_one("#step-remote Label").render())
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
        assert any("Remotes" in n.message for n in app._notifications)


async def test_transfers_wait_for_a_new_sign_in_then_finish(
    drive: RunningServer, sample: Path
) -> None:
    """The refresh token is revoked mid-session: the copy waits for the dialog, then goes on."""
    app = make_app(sample, Location("work", "/Docs"), config=load_config())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        drive.emulator.revoke_refresh_tokens()
        drive.emulator.expire_access_tokens()
        screen = main_screen(app)
        left = screen.pane("left")
        for name in ("README.md", "script.sh"):
            left.file_list.move_cursor(left.listing.index_of(name))
            await pilot.press("insert")
        assert left.listing.marked_count == 2
        await pilot.press("f5", "enter")
        await until(pilot, lambda: isinstance(app.screen, DeviceLoginDialog))
        login = app.screen
        assert isinstance(login, DeviceLoginDialog)
        await until(pilot, lambda: login._flow is not None)
        drive.emulator.approve(login._flow.user_code)  # type: ignore[union-attr]
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
        await settle(pilot)
        jobs = screen.transfers.engine.jobs()
        assert jobs and all(j.state == "done" for j in jobs), [j.error for j in jobs]
    assert drive.emulator.read("/Docs/README.md") == (sample / "README.md").read_bytes()
    assert drive.emulator.read("/Docs/script.sh") == (sample / "script.sh").read_bytes()
