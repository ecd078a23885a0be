"""VersionsDialog (a file) and VersionCleanupDialog (a folder) on the TLS emulator, both
flavours; OneDrive Personal refuses to delete versions and the dialogs say so."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Button, DataTable, Input, Label

from core.backends.local import LocalBackend
from core.config import load_config
from core.emulator import RunningServer
from core.model import Entry
from core.remotes import open_backend
from tests.tui.dialogs.harness import SIZE, VERSIONED, Harness, both, fixed_clock, until
from tui.dialogs.cleanup import VersionCleanupDialog
from tui.dialogs.versions import Destination, VersionsDialog, VersionsOutcome
from tui.screens.launcher import versions_dialog

REPORT = "/Docs/report.docx"


@pytest.fixture
async def backend(drive: RunningServer) -> AsyncIterator[Any]:
    b = open_backend("work", load_config())
    yield b
    await b.close()


def personal(server: RunningServer) -> bool:
    return server.emulator.config.flavour == "personal"


def label(app: Harness, selector: str) -> str:
    assert app.dialog is not None
    return str(app.dialog.query_one(selector, Label).render())


async def listed(pilot: Any, app: Harness) -> VersionsDialog:
    dialog = app.dialog
    assert isinstance(dialog, VersionsDialog)
    await until(pilot, lambda: bool(dialog.versions))
    return dialog


@both
async def test_a_file_lists_its_versions_newest_first(drive: RunningServer, backend: Any) -> None:
    app = Harness(lambda: VersionsDialog(backend, REPORT))
    async with app.run_test(size=SIZE) as pilot:
        dialog = await listed(pilot, app)
        table = dialog.query_one(DataTable)
        rows = [table.get_row_at(i) for i in range(table.row_count)]
        assert [r[2] for r in rows] == ["3.9 KiB", "2.9 KiB", "2.0 KiB", "1000 Bytes"]
        assert rows[0][4] == "current" and all(r[4] == "" for r in rows[1:])
        assert all(r[3].startswith("Alice") for r in rows)
        assert "4 version(s)" in label(app, "#versions-status")
        # The current version cannot be restored or deleted.
        assert dialog.query_one("#restore", Button).disabled
        assert dialog.query_one("#delete", Button).disabled
        await pilot.press("escape")
    assert app.results == [VersionsOutcome()]


async def test_save_an_old_version_to_the_other_pane(
    drive: RunningServer, backend: Any, tmp_path: Path
) -> None:
    (tmp_path / "report (version 1.0, 2025-02-15).docx").write_bytes(b"already here")
    dest = Destination(LocalBackend(), str(tmp_path), "~/target")
    app = Harness(lambda: VersionsDialog(backend, REPORT, destination=dest))
    async with app.run_test(size=SIZE) as pilot:
        dialog = await listed(pilot, app)
        await pilot.press("ctrl+end")
        oldest = dialog.selected
        assert oldest is not None and oldest.size == 1000
        await pilot.press("f5")
        await until(pilot, lambda: "Saved" in label(app, "#versions-status"))
        await pilot.press("escape")
    outcome = app.results[0]
    assert len(outcome.saved) == 1 and not outcome.changed
    saved = Path(outcome.saved[0])
    assert saved.read_bytes() == VERSIONED[REPORT][0]
    assert saved.name.startswith("report (version ") and saved.suffix == ".docx"
    assert (tmp_path / "report (version 1.0, 2025-02-15).docx").read_bytes() == b"already here"


async def test_restore_makes_an_old_version_current(drive: RunningServer, backend: Any) -> None:
    app = Harness(lambda: VersionsDialog(backend, REPORT))
    async with app.run_test(size=SIZE) as pilot:
        dialog = await listed(pilot, app)
        await pilot.press("ctrl+end")
        assert not dialog.query_one("#restore", Button).disabled
        await pilot.press("r")
        await until(pilot, lambda: type(app.screen).__name__ == "ConfirmDialog")
        await pilot.press("y")
        await until(pilot, lambda: len(dialog.versions) == 5)
        await pilot.press("escape")
    assert app.results == [VersionsOutcome(changed=True)]
    assert drive.emulator.read(REPORT) == VERSIONED[REPORT][0]


@both
async def test_delete_a_version_or_hear_why_not(drive: RunningServer, backend: Any) -> None:
    app = Harness(lambda: VersionsDialog(backend, REPORT))
    async with app.run_test(size=SIZE) as pilot:
        dialog = await listed(pilot, app)
        await pilot.press("ctrl+end")
        if personal(drive):
            assert "does not allow deleting versions" in label(app, "#versions-note")
            assert "still list, save and restore" in label(app, "#versions-note")
            assert dialog.query_one("#delete", Button).disabled
            await pilot.press("delete")
            assert "does not allow" in label(app, "#versions-status")
            assert len(await backend.list_versions(REPORT)) == 4
        else:
            assert not dialog.query("#versions-note")
            await pilot.press("delete")
            await until(pilot, lambda: type(app.screen).__name__ == "ConfirmDialog")
            await pilot.press("y")
            await until(pilot, lambda: len(dialog.versions) == 3)
            assert [v.size for v in await backend.list_versions(REPORT)] == [4000, 3000, 2000]
        await pilot.press("escape")


async def test_versions_dialog_picks_the_clean_up_for_a_folder(backend: Any) -> None:
    folder = Entry("Docs", "/Docs", True)
    assert isinstance(versions_dialog(backend, folder), VersionCleanupDialog)
    assert isinstance(versions_dialog(backend, Entry("r", REPORT, False)), VersionsDialog)


# -- a folder ------------------------------------------------------------------------------------


async def scanned(pilot: Any, app: Harness) -> VersionCleanupDialog:
    dialog = app.dialog
    assert isinstance(dialog, VersionCleanupDialog)
    await until(pilot, lambda: dialog.has_class("-ready"))
    return dialog


async def test_scan_then_dry_run_for_each_policy(drive: RunningServer, backend: Any) -> None:
    app = Harness(lambda: VersionCleanupDialog(backend, "/Docs", clock=fixed_clock))
    async with app.run_test(size=SIZE) as pilot:
        dialog = await scanned(pilot, app)
        scan = label(app, "#cleanup-scan")
        assert "2 folder(s), 3 file(s), 9 version(s)" in scan
        # keep the newest 3 (the default): only report.docx's oldest goes
        assert "1 file(s), 1 version(s), 1000 Bytes to reclaim" in label(app, "#cleanup-summary")
        assert dialog.query_one(DataTable).get_row_at(0) == ["report.docx", "4", "1", "1000 Bytes"]
        await pilot.click("#policy-all-but-current")
        await until(
            pilot, lambda: "3 file(s), 6 version(s), 6.2 KiB" in label(app, "#cleanup-summary")
        )
        await pilot.click("#policy-older-than")
        dialog.query_one("#before", Input).value = "100d"
        await until(pilot, lambda: "1 file(s), 1 version(s)" in label(app, "#cleanup-summary"))
        dialog.query_one("#before", Input).value = "someday"
        await until(pilot, lambda: "neither an age" in label(app, "#cleanup-summary"))
        assert dialog.query_one("#run", Button).disabled
        await pilot.press("escape")
    assert app.results == [VersionsOutcome(changed=False)]


@both
async def test_run_deletes_and_sums_up_or_personal_refuses(
    drive: RunningServer, backend: Any
) -> None:
    app = Harness(lambda: VersionCleanupDialog(backend, "/Docs", clock=fixed_clock))
    async with app.run_test(size=SIZE) as pilot:
        dialog = await scanned(pilot, app)
        await pilot.click("#policy-all-but-current")
        # The dry run (on Personal too) follows the new policy once the app has handled the
        # click: a busy machine showed the old policy's sum here.
        await until(pilot, lambda: "6 version(s)" in label(app, "#cleanup-summary"))
        if personal(drive):
            assert "does not allow deleting versions" in label(app, "#cleanup-note")
            assert dialog.query_one("#run", Button).disabled
            await pilot.press("ctrl+d")
            assert not dialog.has_class("-running")
        else:
            await pilot.press("ctrl+d")
            await until(pilot, lambda: type(app.screen).__name__ == "ConfirmDialog")
            await pilot.press("y")
            await until(pilot, lambda: dialog.has_class("-done"))
            result = label(app, "#cleanup-result")
            assert "Done: deleted 6 version(s), reclaimed 6.2 KiB" in result
        await pilot.press("escape")
    changed = not personal(drive)
    assert app.results == [VersionsOutcome(changed=changed)]
    left = [len(await backend.list_versions(p)) for p in VERSIONED if p.startswith("/Docs")]
    assert left == ([1, 1, 1] if changed else [4, 2, 3])
