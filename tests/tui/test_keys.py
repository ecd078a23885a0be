"""Keys: every binding has an id, the config's [keys] remaps them, F1 lists them, the palette
runs every action, F10/q quit (asking first while transfers run)."""

from __future__ import annotations

from pathlib import Path

from textual.binding import Binding
from textual.command import CommandList

from core.config import load_config
from tests.tui.dialogs.harness import until
from tests.tui.helpers import dialog_up, main_screen, make_app, settle
from tui.app import SkypaneApp
from tui.screens.main import MainScreen
from tui.widgets.file_list import FileList
from tui.widgets.pane import Pane
from tui.widgets.transfer_panel import TransferPanel

SIZE = (120, 36)


def test_every_binding_has_a_unique_id() -> None:
    from tui.dialogs.confirm import ConfirmDialog
    from tui.dialogs.conflict import ConflictDialog
    from tui.dialogs.location import LocationPicker
    from tui.dialogs.recycle import RecycleDialog
    from tui.dialogs.search import SearchDialog
    from tui.dialogs.text_input import InputDialog
    from tui.screens.help import HelpScreen
    from tui.screens.log import LogScreen
    from tui.screens.viewer import ViewerScreen
    from tui.widgets.pane import SearchBox

    ids: list[str] = []
    for cls in (
        SkypaneApp,
        MainScreen,
        Pane,
        FileList,
        TransferPanel,
        SearchBox,
        HelpScreen,
        LogScreen,
        ViewerScreen,
        ConfirmDialog,
        ConflictDialog,
        LocationPicker,
        InputDialog,
        SearchDialog,
        RecycleDialog,
    ):
        for binding in cls.BINDINGS:
            assert isinstance(binding, Binding) and binding.id, (cls.__name__, binding)
            ids.append(binding.id)
    assert len(ids) == len(set(ids))


async def test_keys_are_remapped_from_the_config_file(sample: Path, target: Path) -> None:
    config = load_config()
    config.path.parent.mkdir(parents=True, exist_ok=True)
    config.path.write_text('[keys]\nmkdir = "ctrl+n"\nswitch-pane = "f12"\n')
    app = make_app(sample, target, config=load_config())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f7")  # no longer mkdir
        await pilot.pause()
        assert app.screen is main_screen(app)
        await pilot.press("ctrl+n")
        await dialog_up(pilot, "InputDialog")
        await pilot.press("escape", "f12")
        assert main_screen(app).active_id == "right"


async def test_f1_lists_keys_with_the_remapped_ones(sample: Path, target: Path) -> None:
    config = load_config()
    config.path.parent.mkdir(parents=True, exist_ok=True)
    config.path.write_text('[keys]\ncopy = "f5,c"\n')
    app = make_app(sample, target, config=load_config())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f1")

        def shown() -> str:
            return "\n".join(line.text for line in app.screen.query_one("RichLog").lines)

        await until(pilot, lambda: "Drag to other pane" in shown())
        text = shown()
        assert "F5 / c" in text and "Copy" in text and "copy" in text
        assert "Drag to other pane" in text
        for binding in MainScreen.BINDINGS:
            assert binding.description in text
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is main_screen(app))  # the pop needs CPU


async def test_palette_offers_every_action(sample: Path, target: Path) -> None:
    app = make_app(sample, target)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        wanted = {info.binding.description for info in app.actions}
        for cls in (MainScreen, Pane, FileList, TransferPanel):
            for b in cls.BINDINGS:
                assert b.description in wanted
        await pilot.press("f9")
        await dialog_up(pilot, "CommandPalette")
        await pilot.press("escape")


async def test_palette_runs_an_action_on_the_active_pane(sample: Path, target: Path) -> None:
    app = make_app(sample, target)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await dialog_up(pilot, "CommandPalette")
        await pilot.press(*"hidden")
        await until(pilot, lambda: app.screen.query_one(CommandList).option_count > 0)
        await pilot.press("enter")
        await settle(pilot)
        assert ".hidden-config" in [e.name for e in main_screen(app).active.listing.rows]


async def test_q_and_f10_quit(sample: Path, target: Path) -> None:
    for key in ("q", "f10"):
        app = make_app(sample, target)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press(key)
            await pilot.pause()
            assert not app.is_running


async def test_q_in_a_dialog_does_not_quit(sample: Path, target: Path) -> None:
    app = make_app(sample, target)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("end", "f8")
        await dialog_up(pilot, "ConfirmDialog")
        await pilot.press("q")
        await pilot.pause()  # whatever q would do is done: an absence cannot be waited for
        assert app.is_running and type(app.screen).__name__ == "ConfirmDialog"


async def test_rows_follow_the_theme(sample: Path, target: Path) -> None:
    app = make_app(sample, target)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        fl = main_screen(app).active.file_list
        before = next(iter(fl.render_line(fl.cursor))).style
        app.theme = "solarized-light"

        def background() -> object:
            return next(iter(fl.render_line(fl.cursor))).style.bgcolor

        await until(
            pilot, lambda: background() != before.bgcolor
        )  # the cursor's colour comes from the theme
