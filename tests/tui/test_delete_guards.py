"""F8 and Shift+F8 guard rails (issue #22): the home folder (and a folder holding it) is
refused with the reason and no question; a big deletion states its count and size and asks a
second time, locally and on the TLS emulator; for good always says it cannot be undone."""

from __future__ import annotations

from pathlib import Path

from core.config import load_config
from core.emulator import RunningServer
from core.paths import Location
from tests.tui.helpers import dialog_up, main_screen, make_app, settle, until
from tui.dialogs.confirm import ConfirmDialog

SIZE = (120, 36)


async def goto(pilot: object, name: str) -> None:
    fl = main_screen(pilot.app).active.file_list  # type: ignore[attr-defined]
    fl.move_cursor(fl.listing.index_of(name))


def message(app: object) -> str:
    return str(app.screen.query_one("#dialog-message").render())  # type: ignore[attr-defined]


async def second_question(pilot: object) -> str:
    """The text of the second dialog, once counting is done (the deleting worker waits on it,
    so ``settle`` would wait for it too)."""
    app = pilot.app  # type: ignore[attr-defined]

    def asked() -> bool:
        screen = app.screen
        return isinstance(screen, ConfirmDialog) and "Delete all of it?" in message(app)

    await until(pilot, asked)
    return message(app)


async def test_f8_and_shift_f8_refuse_the_home_folder(isolated_dirs: Path, target: Path) -> None:
    home = isolated_dirs
    app = make_app(home.parent, target)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await goto(pilot, home.name)
        for key in ("f8", "shift+f8"):
            app.clear_notifications()
            await pilot.press(key)
            await settle(pilot)
            assert not isinstance(app.screen, ConfirmDialog)  # not even asked
            said = [n.message for n in app._notifications]
            assert f"refusing to delete {home}: it is your home folder" in said
    assert home.is_dir() and target.is_dir()


async def test_f8_refuses_a_folder_that_holds_home(isolated_dirs: Path, target: Path) -> None:
    holder = isolated_dirs.parent
    app = make_app(holder.parent, target)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await goto(pilot, holder.name)
        await pilot.press("f8")
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmDialog)
        assert any("it holds your home folder" in n.message for n in app._notifications)
    assert isolated_dirs.is_dir()


async def test_a_big_permanent_deletion_says_how_much_and_asks_twice(
    isolated_dirs: Path, target: Path
) -> None:
    big = isolated_dirs / "big"
    big.mkdir()
    for i in range(1001):
        (big / f"f{i:04d}").write_bytes(b"x")
    app = make_app(isolated_dirs, target)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await goto(pilot, "big")
        await pilot.press("shift+f8")
        await until(pilot, lambda: "cannot be undone" in message(app))
        await pilot.press("y")
        second = await second_question(pilot)
        assert "1,001 files in 1 folder (1001 Bytes) for good. This cannot be undone" in second
        await pilot.press("enter")  # starts on "No"
        await settle(pilot)
        assert len(list(big.iterdir())) == 1001
        await goto(pilot, "big")
        await pilot.press("shift+f8")
        await dialog_up(pilot, "ConfirmDialog")
        await pilot.press("y")
        assert "1,001 files" in await second_question(pilot)
        await pilot.press("y")
        await settle(pilot)
    assert not big.exists()


async def test_a_small_deletion_is_asked_once(isolated_dirs: Path, target: Path) -> None:
    small = isolated_dirs / "small"
    small.mkdir()
    (small / "a").write_bytes(b"a")
    app = make_app(isolated_dirs, target)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await goto(pilot, "small")
        await pilot.press("shift+f8", "y")
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmDialog)
    assert not small.exists()


async def test_a_big_deletion_on_the_drive_asks_again_with_count_and_size(
    onedrive: RunningServer, target: Path
) -> None:
    em = onedrive.emulator
    em.add_files("Backup/Many", 1001, size=10)
    app = make_app(target, Location("work", "/Backup"), config=load_config())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("tab")
        await goto(pilot, "Many")
        await pilot.press("f8")
        await until(pilot, lambda: "recycle bin" in message(app))
        await pilot.press("y")
        assert "1,001 files in 1 folder (9.8 KiB) to the recycle bin" in await second_question(
            pilot
        )
        await pilot.press("n")
        await settle(pilot)
        assert len(em.item("Backup/Many").children or {}) == 1001
        await goto(pilot, "Many")
        await pilot.press("f8")
        await dialog_up(pilot, "ConfirmDialog")
        await pilot.press("y")
        assert "1,001 files" in await second_question(pilot)
        await pilot.press("y")
        await settle(pilot)
    try:
        em.item("Backup/Many")
        raise AssertionError("still on the drive")
    except Exception as exc:  # in the recycle bin now
        assert "does not exist" in str(exc)


async def test_f6_of_the_home_folder_fails_with_the_reason_and_moves_nothing(
    isolated_dirs: Path, target: Path
) -> None:
    home = isolated_dirs
    app = make_app(home.parent, target)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await goto(pilot, home.name)
        await pilot.press("f6", "enter")
        await settle(pilot)
        [job] = main_screen(app).transfers.engine.jobs()
        assert job.state == "failed"
        assert job.error == f"refusing to move it: it is your home folder: {home}"
    assert home.is_dir() and not (target / home.name).exists()
