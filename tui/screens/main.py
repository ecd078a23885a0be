"""MainScreen: two panes side by side; it composes the widgets and the objects that act on
them, and routes keys and messages to those objects.

Each responsibility is an object with its own module and a narrow interface:

* ``PaneNavigator`` (panes.py): the active pane, what each pane shows, the info panel;
* ``BackendPool`` (backends.py): one open backend per remote, shared by panes and transfers;
* ``StatusReporter`` (status.py): the status bar;
* ``FileOperations`` (operations.py): view, edit, mkdir, rename, copy, move, delete;
* ``TransferControl`` (transfer_control.py): the transfer panel and the engine's reports,
  through ``Transfers`` (tui/transfers.py), the link to the engine;
* ``DragAndDrop`` (drag.py), ``DialogLauncher`` (launcher.py), ``Finder`` (find_actions.py).

Panes post messages up (file opened, marks changed, drag moved/dropped, listing failed); the
screen passes them to the object concerned, which calls methods down. Panes never touch each
other, and the objects reach each other only through what the screen hands them.
"""

from __future__ import annotations

import os
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.events import DescendantFocus
from textual.screen import Screen
from textual.widgets import Footer
from textual.worker import Worker

from core.backend import Backend, BackendContext
from core.config import Config
from core.paths import Location
from core.transfer import Journal
from tui.format import Clock, system_clock
from tui.messages import CursorMoved, TransferDone, TransferProgress
from tui.screens.backends import BackendPool
from tui.screens.drag import DragAndDrop, pane_of
from tui.screens.find_actions import FIND_KEYS, Finder
from tui.screens.launcher import DIALOG_KEYS, DialogLauncher
from tui.screens.log import report_error
from tui.screens.operations import FileOperations
from tui.screens.panes import PaneNavigator
from tui.screens.status import StatusReporter
from tui.screens.transfer_control import TransferControl
from tui.transfers import Transfers
from tui.widgets.file_list import FileList
from tui.widgets.info_panel import InfoPanel
from tui.widgets.message_line import MessageLine
from tui.widgets.pane import Pane
from tui.widgets.path_bar import PathBar
from tui.widgets.status_bar import StatusBar
from tui.widgets.transfer_panel import TransferPanel

#: The keys of files and panes (help: "Files").
FILE_KEYS: list[BindingType] = [
    Binding("tab", "switch_pane", "Other pane", show=False, id="switch-pane"),
    Binding("f3", "view", "View", id="view"),
    Binding("f4", "edit", "Edit", id="edit"),
    Binding("f5", "copy", "Copy", id="copy"),
    Binding("f6", "move", "Move", id="move"),
    Binding("shift+f6", "rename", "Rename", show=False, id="rename"),
    Binding("f7", "mkdir", "Mkdir", id="mkdir"),
    Binding("f8", "delete", "Delete", id="delete"),
    Binding("shift+f8", "delete_permanently", "Delete for good", show=False, id="delete-forever"),
    Binding("ctrl+r", "refresh", "Refresh", show=False, id="refresh"),
    Binding("i", "toggle_info", "Info", show=False, id="info"),
    Binding("ctrl+t", "toggle_transfers", "Transfers", show=False, id="transfers"),
    Binding("ctrl+g", "pick_location", "Go to location", show=False, id="goto"),
    Binding("alt+f1", "pick_location('left')", "Left location", show=False, id="left-goto"),
    Binding("alt+f2", "pick_location('right')", "Right location", show=False, id="right-goto"),
    Binding("ctrl+u", "swap_panes", "Swap panes", show=False, id="swap-panes"),
    Binding("alt+o", "same_location", "Same folder in other pane", show=False, id="same"),
    Binding("ctrl+e", "show_log", "Error log", show=False, id="error-log"),
]


class MainScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [*FIND_KEYS, *DIALOG_KEYS, *FILE_KEYS]

    def __init__(
        self,
        config: Config,
        *,
        clock: Clock = system_clock,
        left: Location | None = None,
        right: Location | None = None,
        context: BackendContext | None = None,
        journal: Journal | None = None,
        workers: int = 4,
    ) -> None:
        super().__init__()
        self.config = config
        self.clock = clock
        self._start = (left, right)
        self.pool = BackendPool(config, context or BackendContext())
        self.panes = PaneNavigator(self, self.pool, self._activated)
        self.status = StatusReporter(self, self.panes, self.pool, clock)
        self.transfers = Transfers(self, self.pool.backend_for, journal, workers)
        self.operations = FileOperations(self, self.panes, self.transfers, config)
        self.transfer_control = TransferControl(self, self.panes, self.status, self.transfers)
        self.drag = DragAndDrop(self, self.panes, self.status, self.operations)
        self.dialogs = DialogLauncher(self, self.panes, self.pool, clock)
        self.finder = Finder(self, self.panes, self.status, self.transfers, config)
        #: Seconds to wait for running transfers to stop when the app quits.
        self.close_timeout = 5.0

    # -- what the app and the tests ask of the screen -----------------------------------

    @property
    def backends(self) -> dict[str | None, Backend]:
        return self.pool.open

    def backend_for(self, remote: str | None) -> Backend:
        """One backend per remote, shared by both panes and the transfers."""
        return self.pool.backend_for(remote)

    def pane(self, pane_id: str) -> Pane:
        return self.panes.pane(pane_id)

    @property
    def active(self) -> Pane:
        return self.panes.active

    @property
    def active_id(self) -> str:
        return self.panes.active_id

    @property
    def opening(self) -> dict[str, Location]:
        """Panes whose drive is being opened (in a thread, after the first frame)."""
        return self.panes.opening

    def show_location(self, pane: Pane, location: Location) -> None:
        self.panes.show_location(pane, location)

    def open_first_start(self) -> None:
        self.dialogs.first_start()

    def show_note(self, message: str, title: str, severity: str, seconds: float) -> None:
        # A notice may come while the app closes, its widgets already gone: then it is dropped.
        for line in self.query(MessageLine):
            line.show_note(message, title, severity, seconds)

    # -- layout and life -----------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Horizontal(id="panes"):
            yield InfoPanel(id="info-left")
            yield Pane(self.backend_for, clock=self.clock, id="left")
            yield Pane(self.backend_for, clock=self.clock, id="right")
            yield InfoPanel(id="info-right")
        yield MessageLine()
        yield TransferPanel(clock=self.clock)
        yield StatusBar()
        yield Footer(show_command_palette=False, compact=True)

    def on_mount(self) -> None:
        left, right = self._start
        left = left or Location(None, os.getcwd())
        if right is None:
            remotes = list(self.config.remotes)
            right = (
                Location(remotes[0], "/") if remotes else Location(None, os.path.expanduser("~"))
            )
        self.panes.start(left, right)
        self.pane("left").file_list.focus()
        self.panes.activate(self.panes.active_id)
        self.transfer_control.start()  # jobs another skypane runs: shown, not touched
        self.set_interval(1.0, self.status.poll_throttling)

    async def on_unmount(self) -> None:
        # Running items stop at a chunk boundary and keep their resume state in the journal;
        # a write stuck on the network must not keep the terminal hostage, so after
        # ``close_timeout`` they are cancelled where they wait (the journal still says
        # "running" with their last checkpoint and the next start resumes them).
        await self.transfers.close(grace=self.close_timeout)
        await self.pool.close_all()

    def _activated(self) -> None:
        """The active pane changed (or was set at start): the status bar shows it."""
        self.status.update()
        self.status.fetch_quota()

    # -- keys: panes ------------------------------------------------------------------------

    def action_switch_pane(self) -> None:
        self.panes.switch()

    def action_toggle_info(self) -> None:
        self.panes.toggle_info()

    def action_pick_location(self, side: str | None = None) -> None:
        self.panes.pick_location(side)

    def action_swap_panes(self) -> None:
        self.panes.swap()

    def action_same_location(self) -> None:
        self.panes.same_location()

    def action_refresh(self) -> None:
        self.panes.refresh()
        self.status.fetch_quota()

    def action_show_log(self) -> None:
        self.dialogs.error_log()

    # -- keys: files ------------------------------------------------------------------------

    def action_view(self) -> None:
        self.operations.view_cursor()

    def action_edit(self) -> None:
        self.operations.edit()

    def action_copy(self) -> None:
        self.operations.ask_destination("copy")

    def action_move(self) -> None:
        self.operations.ask_destination("move")

    def action_rename(self) -> None:
        self.operations.rename()

    def action_mkdir(self) -> None:
        self.operations.mkdir()

    def action_delete(self) -> None:
        self.operations.delete(permanent=False)

    def action_delete_permanently(self) -> None:
        self.operations.delete(permanent=True)

    def action_toggle_transfers(self) -> None:
        self.transfer_control.toggle_panel()

    # -- keys: dialogs ----------------------------------------------------------------------

    def action_share_link(self) -> None:
        self.dialogs.share_link()

    def action_versions(self) -> None:
        self.dialogs.versions()

    def action_clean_up_here(self) -> None:
        self.dialogs.clean_up_here()

    def action_remotes(self) -> None:
        self.dialogs.remotes()

    # -- keys: find, compare, recover ---------------------------------------------------------

    def action_find_file(self) -> None:
        self.finder.find_file()

    def action_goto_item_folder(self) -> None:
        self.finder.goto_item_folder()

    def action_compare_panes(self) -> None:
        self.finder.compare_panes()

    def action_mirror(self) -> None:
        self.finder.mirror()

    def action_disk_usage(self) -> None:
        self.finder.disk_usage()

    def action_recycle_bin(self) -> None:
        self.finder.recycle_bin()

    def action_shared_with_me(self) -> None:
        self.finder.shared_with_me()

    # -- messages ------------------------------------------------------------------------------

    def on_descendant_focus(self, event: DescendantFocus) -> None:
        pane = pane_of(event.widget)
        if pane is not None:
            self.panes.focus_gained(pane)

    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        self.panes.drive_opened(event)

    @on(Pane.LocationChanged)
    def _location_changed(self, event: Pane.LocationChanged) -> None:
        if event.pane is self.active:
            self.status.fetch_quota()
        self.status.update()

    @on(Pane.Loaded)
    @on(Pane.Counted)
    def _loaded(self, event: Pane.Loaded | Pane.Counted) -> None:
        if event.pane is self.active:
            self.status.update()

    @on(FileList.MarksChanged)
    def _marks_changed(self, event: FileList.MarksChanged) -> None:
        self.status.update()

    @on(CursorMoved)
    def _cursor_moved(self, event: CursorMoved) -> None:
        self.panes.cursor_moved(event.file_list)

    @on(Pane.ModeChanged)
    def _mode_changed(self, event: Pane.ModeChanged) -> None:
        self.panes.layout_info()

    @on(Pane.Failed)
    def _pane_failed(self, event: Pane.Failed) -> None:
        report_error(self.app, event.what, event.error)
        event.pane.back_out()

    @on(Pane.FileOpened)
    def _file_opened(self, event: Pane.FileOpened) -> None:
        self.operations.view(event.pane, event.entry)

    @on(Pane.PatternRequested)
    def _pattern_requested(self, event: Pane.PatternRequested) -> None:
        self.dialogs.select_pattern(event.pane, event.mode)

    @on(PathBar.Clicked)
    def _path_clicked(self, event: PathBar.Clicked) -> None:
        for node in event.control.ancestors if event.control else []:
            if isinstance(node, Pane):
                self.panes.pick_location(node.id or "left")
                return

    @on(FileList.DragMoved)
    def _drag_moved(self, event: FileList.DragMoved) -> None:
        self.drag.moved(event)

    @on(FileList.DragDropped)
    def _drag_dropped(self, event: FileList.DragDropped) -> None:
        self.drag.dropped(event)

    @on(TransferProgress)
    def _transfer_progress(self, event: TransferProgress) -> None:
        self.transfer_control.progress(event)

    @on(TransferDone)
    def _transfer_done(self, event: TransferDone) -> None:
        self.transfer_control.done(event)

    @on(TransferPanel.Command)
    def _transfer_command(self, event: TransferPanel.Command) -> None:
        self.transfer_control.command(event)
