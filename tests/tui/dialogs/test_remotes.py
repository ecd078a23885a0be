"""RemotesDialog: list, rename (the sign-in moves along), delete (signs out), add/edit open the
wizard; on a remote signed in with `skypane login` against the TLS emulator."""

from __future__ import annotations

from textual.widgets import DataTable, Input

from core.config import load_config
from core.emulator import RunningServer
from core.secrets import SecretStore
from tests.tui.dialogs.harness import SIZE, Harness, until
from tui.dialogs.remotes import RemoteChanges, RemotesDialog
from tui.dialogs.wizard import ConfigWizard


def store() -> SecretStore:
    return SecretStore(log_warning=False)


async def test_lists_remotes_with_account_and_drive(drive: RunningServer) -> None:
    app = Harness(lambda: RemotesDialog(load_config()))
    async with app.run_test(size=SIZE) as pilot:
        table = app.dialog.query_one(DataTable)  # type: ignore[union-attr]
        name, kind, account, where = table.get_row_at(0)
        assert (name, kind) == ("work", "onedrive")
        assert account.endswith(("outlook.com", "onmicrosoft.com"))
        assert where.startswith(drive.emulator.drive.drive_type)
        store().delete("work")
        app.dialog._fill()  # type: ignore[union-attr]
        assert table.get_row_at(0)[2] == "(not signed in)"
        await pilot.press("escape")
    assert app.results == [RemoteChanges()]


async def test_rename_moves_the_sign_in_along(drive: RunningServer) -> None:
    app = Harness(lambda: RemotesDialog(load_config()))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")
        await until(pilot, lambda: type(app.screen).__name__ == "InputDialog")
        field = app.screen.query_one(Input)
        field.value = "bad:name"
        await pilot.press("enter")
        assert "invalid remote name" in str(app.screen.query_one("#dialog-error").render())
        field.value = "job"
        await pilot.press("enter")
        await until(pilot, lambda: app.dialog.names == ["job"])  # type: ignore[union-attr]
        await pilot.press("escape")
    assert app.results == [RemoteChanges(renamed=(("work", "job"),))]
    assert list(load_config().remotes) == ["job"]
    assert store().load("job") is not None and store().load("work") is None


async def test_delete_removes_the_remote_and_its_tokens(drive: RunningServer) -> None:
    app = Harness(lambda: RemotesDialog(load_config()))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("d")
        await until(pilot, lambda: type(app.screen).__name__ == "ConfirmDialog")
        await pilot.press("y")
        await until(pilot, lambda: app.dialog.names == [])  # type: ignore[union-attr]
        assert "Deleted work:" in str(app.dialog.query_one("#remotes-status").render())  # type: ignore[union-attr]
        await pilot.press("escape")
    assert app.results == [RemoteChanges(deleted=("work",))]
    assert load_config().remotes == {} and store().load("work") is None


async def test_add_and_edit_open_the_wizard(drive: RunningServer) -> None:
    app = Harness(lambda: RemotesDialog(load_config()))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, ConfigWizard))
        assert app.screen.existing is None  # type: ignore[attr-defined]
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is app.dialog)
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, ConfigWizard))
        assert app.screen.existing.name == "work"  # type: ignore[attr-defined]
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is app.dialog)
        await pilot.press("escape")
    assert app.results == [RemoteChanges()]
