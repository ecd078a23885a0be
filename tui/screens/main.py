"""MainScreen: two panes side by side; it mediates between them.

Panes post messages up (file opened, marks changed, drag moved/dropped, listing failed);
the screen decides what happens and calls methods down. Panes never touch each other.
Operations that take time run in workers; copies, moves and deletes go to the transfer
engine through ``Transfers`` (tui/transfers.py).
"""

from __future__ import annotations

import contextlib
import os
from functools import partial
from typing import ClassVar, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.events import DescendantFocus
from textual.geometry import Offset
from textual.widgets import Footer
from textual.worker import Worker, WorkerState

from core.backend import Backend, BackendContext, QuotaInfo, throttled_seconds
from core.config import Config
from core.errors import SkypaneError
from core.paths import Location, join
from core.remotes import LOCAL, open_backend
from core.transfer import Journal
from tui.dialogs.confirm import ConfirmDialog
from tui.dialogs.location import LocationPicker
from tui.dialogs.text_input import InputDialog
from tui.format import Clock, system_clock
from tui.screens.dialog_actions import DialogActions
from tui.screens.find_actions import FindActions
from tui.screens.log import LogScreen, report_error
from tui.screens.operations import FileOperations, describe
from tui.transfers import Transfers, job_title
from tui.widgets.file_list import FileList
from tui.widgets.info_panel import InfoPanel
from tui.widgets.listing import PARENT
from tui.widgets.message_line import MessageLine
from tui.widgets.pane import Pane
from tui.widgets.path_bar import PathBar, location_text
from tui.widgets.status_bar import StatusBar, quota_text
from tui.widgets.transfer_panel import TransferPanel


class MainScreen(DialogActions, FileOperations, FindActions):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("tab", "switch_pane", "Other pane", show=False, id="switch-pane"),
        Binding("f3", "view", "View", id="view"),
        Binding("f4", "edit", "Edit", id="edit"),
        Binding("f5", "copy", "Copy", id="copy"),
        Binding("f6", "move", "Move", id="move"),
        Binding("shift+f6", "rename", "Rename", show=False, id="rename"),
        Binding("f7", "mkdir", "Mkdir", id="mkdir"),
        Binding("f8", "delete", "Delete", id="delete"),
        Binding(
            "shift+f8", "delete_permanently", "Delete for good", show=False, id="delete-forever"
        ),
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
        self.context = context or BackendContext()
        self._start = (left, right)
        self.backends: dict[str | None, Backend] = {}
        self.active_id = "left"
        self.info_shown = False
        self._quota: dict[str, str] = {}
        self._drop_target: Pane | None = None
        #: Panes whose drive is being opened (in a thread, after the first frame).
        self.opening: set[str] = set()
        self.transfers = Transfers(self, journal, workers)
        #: Seconds to wait for running transfers to stop when the app quits.
        self.close_timeout = 5.0

    # -- layout --------------------------------------------------------------------

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
        for pane, location in ((self.pane("left"), left), (self.pane("right"), right)):
            if location.remote in (None, LOCAL):
                self.show_location(pane, location)
            else:
                self._open_drive(pane, location)
        self.pane("left").file_list.focus()
        self._mark_active()
        self.query_one(TransferPanel).display = False
        self.transfers.watch_others()  # jobs another skypane runs: shown, not touched
        if self.transfers.unfinished():
            self._offer_resume()
        self.set_interval(1.0, self._poll_throttling)

    def show_note(self, message: str, title: str, severity: str, seconds: float) -> None:
        # A notice may come while the app closes, its widgets already gone: then it is dropped.
        for line in self.query(MessageLine):
            line.show_note(message, title, severity, seconds)

    def _poll_throttling(self) -> None:
        """Show throttling met by any open remote (listings too), counting down each second."""
        left = max((throttled_seconds(b) for b in self.backends.values()), default=0.0)
        panel = self.query_one(TransferPanel)
        for snap in panel.jobs.values():
            if snap.throttled_until is not None and not snap.state.finished:
                left = max(left, (snap.throttled_until - self.clock()).total_seconds())
        bar = self.query_one(StatusBar)
        bar.throttled = max(left, 0.0)
        bar.set_class(bar.throttled > 0, "-throttled")

    async def on_unmount(self) -> None:
        # Running items stop at a chunk boundary and keep their resume state in the journal;
        # a write stuck on the network must not keep the terminal hostage, so after
        # ``close_timeout`` they are cancelled where they wait (the journal still says
        # "running" with their last checkpoint and the next start resumes them).
        await self.transfers.close(grace=self.close_timeout)
        for backend in self.backends.values():
            with contextlib.suppress(Exception):  # one failing close must not stop the rest
                await backend.close()

    @work(group="resume-offer")
    async def _offer_resume(self) -> None:
        jobs = self.transfers.unfinished()
        lines = "\n".join(f"• {job_title(job)}" for job in jobs[:5])
        more = f"\n… and {len(jobs) - 5} more" if len(jobs) > 5 else ""
        ok = await self.app.push_screen_wait(
            ConfirmDialog(
                "Unfinished transfers",
                f"{len(jobs)} transfer(s) did not finish last time:\n{lines}{more}\n\nResume now?",
                yes="Resume",
                no="Not now",
            )
        )
        if ok:
            await self.transfers.resume_unfinished()

    # -- panes ---------------------------------------------------------------------

    def backend_for(self, remote: str | None) -> Backend:
        """One backend per remote, shared by both panes and the transfers."""
        key = None if remote in (None, LOCAL) else remote
        if key not in self.backends:
            self.backends[key] = open_backend(key, self.config, self.context)
        return self.backends[key]

    def _open_drive(self, pane: Pane, location: Location) -> None:
        """Show a drive's location once its backend is open, opened in a thread: its module
        and the HTTP, sign-in and keyring libraries take longer to load (and the keyring to
        answer) than the first frame takes to draw, and keys work meanwhile."""
        pane.query_one(PathBar).location = location
        self.opening.add(pane.id or "")
        self.run_worker(
            partial(self._open_in_thread, pane, location),
            group="open-drive",
            thread=True,
            exit_on_error=False,
        )

    def _open_in_thread(
        self, pane: Pane, location: Location
    ) -> tuple[Pane, Location, Backend | None]:
        try:
            return pane, location, open_backend(location.remote, self.config, self.context)
        except Exception:  # opened again on the event loop, which reports it as ever
            return pane, location, None

    @on(Worker.StateChanged)
    def _drive_opened(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker.group != "open-drive" or event.state is not WorkerState.SUCCESS:
            return
        opened = cast("tuple[Pane, Location, Backend | None]", worker.result)
        pane, location, backend = opened
        self.opening.discard(pane.id or "")
        # One backend per remote: one the user opened meanwhile is kept.
        if (
            backend is not None
            and self.backends.setdefault(location.remote, backend) is not backend
        ):
            self.run_worker(backend.close(), exit_on_error=False)
        self.show_location(pane, location)

    def show_location(self, pane: Pane, location: Location) -> None:
        try:
            backend = self.backend_for(location.remote)
        except SkypaneError as exc:
            report_error(self.app, f"cannot open {location}", exc)
            return
        pane.show(backend, location.path)

    def on_descendant_focus(self, event: DescendantFocus) -> None:
        for node in event.widget.ancestors_with_self:
            if isinstance(node, Pane) and node.id != self.active_id:
                self.active_id = node.id or "left"
                self._mark_active()
                break

    def _mark_active(self) -> None:
        for pane_id in ("left", "right"):
            self.pane(pane_id).set_class(pane_id == self.active_id, "-active")
        self._layout_info()
        self._update_status()
        self._fetch_quota()

    def action_switch_pane(self) -> None:
        target = self.other
        if not target.display and self.info_shown:  # the info panel stands in for it
            self.action_toggle_info()
        # Switch now, not when the focus event arrives: keys a terminal delivers in the
        # same read as Tab (Tab F7 typed quickly) must already act on the new pane.
        self.active_id = target.id or "left"
        self._mark_active()
        target.file_list.focus()

    # -- status bar ----------------------------------------------------------------

    def _update_status(self) -> None:
        bar = self.query_one(StatusBar)
        listing = self.active.listing
        bar.selected_count = listing.marked_count
        bar.selected_size = listing.marked_size
        busy = self.active.listing_busy
        bar.item_count = len(listing.entries) if busy else listing.shown_count
        bar.item_size = listing.shown_size
        bar.listing = busy
        remote = self.active.location.remote
        bar.quota = self._quota.get(remote or LOCAL, "")

    def _fetch_quota(self) -> None:
        backend = self.active.backend
        if backend is None or not isinstance(backend, QuotaInfo):
            self._update_status()
            return
        self.run_worker(
            self._quota_worker(backend), group="quota", exclusive=True, exit_on_error=False
        )

    async def _quota_worker(self, backend: Backend) -> None:
        assert isinstance(backend, QuotaInfo)
        try:
            quota = await backend.about()
        except SkypaneError:
            return  # the quota is a nicety; listing errors already tell what is wrong
        self._quota[backend.remote] = quota_text(backend.remote, quota)
        self._update_status()

    @on(Pane.LocationChanged)
    def _location_changed(self, event: Pane.LocationChanged) -> None:
        if event.pane is self.active:
            self._fetch_quota()
        self._update_status()

    @on(Pane.Loaded)
    @on(Pane.Counted)
    def _loaded(self, event: Pane.Loaded | Pane.Counted) -> None:
        if event.pane is self.active:
            self._update_status()

    @on(FileList.MarksChanged)
    def _marks_changed(self, event: FileList.MarksChanged) -> None:
        self._update_status()

    @on(FileList.CursorMoved)
    def _cursor_moved(self, event: FileList.CursorMoved) -> None:
        if self.info_shown and event.file_list is self.active.file_list:
            self._show_info()

    @on(Pane.ModeChanged)
    def _mode_changed(self, event: Pane.ModeChanged) -> None:
        self._layout_info()

    @on(Pane.Failed)
    def _pane_failed(self, event: Pane.Failed) -> None:
        report_error(self.app, event.what, event.error)
        event.pane.back_out()

    @on(Pane.PatternRequested)
    def _pattern_requested(self, event: Pane.PatternRequested) -> None:
        pane, mode = event.pane, event.mode

        def chosen(pattern: str | None) -> None:
            if pattern:
                pane.apply_pattern(mode, pattern)

        verb = "Select" if mode == "select" else "Unselect"
        self.app.push_screen(
            InputDialog(f"{verb} by pattern", f"{verb} files matching (e.g. *.jpg):", "*"), chosen
        )

    @on(PathBar.Clicked)
    def _path_clicked(self, event: PathBar.Clicked) -> None:
        for node in event.control.ancestors if event.control else []:
            if isinstance(node, Pane):
                self.action_pick_location(node.id or "left")
                return

    # -- info panel ----------------------------------------------------------------

    def action_toggle_info(self) -> None:
        self.info_shown = not self.info_shown
        self._layout_info()

    def _layout_info(self) -> None:
        # The info panel takes the place of the inactive pane, as in mc.
        other_id = self.other.id
        # A pane in long mode takes the whole width, as in mc.
        alone = self.active.mode == "long"
        for pane_id in ("left", "right"):
            beside = pane_id == other_id
            show_info = self.info_shown and beside and not alone
            self.pane(pane_id).display = not (beside and (alone or show_info))
            self.query_one(f"#info-{pane_id}", InfoPanel).display = show_info
        if self.info_shown:
            self._show_info()

    def _show_info(self) -> None:
        panel = self.query_one(f"#info-{self.other.id}", InfoPanel)
        pane = self.active
        panel.show(pane.backend, pane.file_list.cursor_entry, location_text(pane.location))

    # -- locations -----------------------------------------------------------------

    def action_pick_location(self, side: str | None = None) -> None:
        pane = self.pane(side) if side in ("left", "right") else self.active
        remotes = {name: rc.type for name, rc in self.config.remotes.items()}

        def chosen(location: Location | None) -> None:
            if location is not None:
                self.show_location(pane, location)
                pane.file_list.focus()

        self.app.push_screen(LocationPicker(remotes, pane.location, pane.id or ""), chosen)

    def action_swap_panes(self) -> None:
        left, right = self.pane("left"), self.pane("right")
        a, b = left.location, right.location
        self.show_location(left, b)
        self.show_location(right, a)

    def action_same_location(self) -> None:
        self.show_location(self.other, self.active.location)

    def action_refresh(self) -> None:
        self.active.reload()
        if self.other.location == self.active.location:
            self.other.reload()
        self._fetch_quota()

    def action_show_log(self) -> None:
        self.app.push_screen(LogScreen(list(getattr(self.app, "error_log", []))))

    # -- drag and drop ------------------------------------------------------------------

    def _pane_at(self, offset: Offset) -> Pane | None:
        try:
            widget, _ = self.get_widget_at(offset.x, offset.y)
        except Exception:
            return None
        for node in widget.ancestors_with_self:
            if isinstance(node, Pane):
                return node
        return None

    def _source_pane(self, file_list: FileList) -> Pane | None:
        for node in file_list.ancestors:
            if isinstance(node, Pane):
                return node
        return None

    def _drop_row(self, target: Pane, offset: Offset) -> int | None:
        row = target.file_list.row_at_screen(offset)
        if row is None:
            return None
        entry = target.listing.rows[row]
        return row if entry.is_dir and entry is not PARENT else None

    def _set_drop_target(self, target: Pane | None, row: int | None = None) -> None:
        if self._drop_target is not None and self._drop_target is not target:
            self._drop_target.remove_class("-drop-target")
            self._drop_target.file_list.set_drop_row(None)
        self._drop_target = target
        if target is not None:
            target.add_class("-drop-target")
            target.file_list.set_drop_row(row)

    @on(FileList.DragMoved)
    def _drag_moved(self, event: FileList.DragMoved) -> None:
        source = self._source_pane(event.file_list)
        target = self._pane_at(event.screen_offset)
        bar = self.query_one(StatusBar)
        if target is None or target is source:
            self._set_drop_target(None)
            bar.hint = f"dragging {describe(event.entries)}: drop on the other pane to copy"
            return
        row = self._drop_row(target, event.screen_offset)
        self._set_drop_target(target, row)
        dest = target.location
        if row is not None:
            dest = Location(dest.remote, join(dest.path, target.listing.rows[row].name))
        bar.hint = f"drop: copy {describe(event.entries)} to {location_text(dest)}"

    @on(FileList.DragDropped)
    def _drag_dropped(self, event: FileList.DragDropped) -> None:
        source = self._source_pane(event.file_list)
        target = self._pane_at(event.screen_offset)
        self._set_drop_target(None)
        self.query_one(StatusBar).hint = ""
        # A plain click ends like a drop on its own pane: ignore drops on the source.
        if source is None or target is None or target is source:
            return
        row = self._drop_row(target, event.screen_offset)
        dest = target.location
        if row is not None:
            dest = Location(dest.remote, join(dest.path, target.listing.rows[row].name))
        self.transfer("copy", source, event.entries, dest)
