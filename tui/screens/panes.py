"""PaneNavigator: which pane is active, what each pane shows, and the info panel beside them.

The main screen owns the widgets; this object is its single way to reach a pane. It opens
locations (a drive's backend in a thread, so the first frame is not kept waiting), moves the
focus between panes, swaps them, and lays out the info panel (which takes the place of the
inactive pane, as in mc). When the active pane changes it calls ``on_activated`` so the
screen can update what depends on it (the status bar).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import cast

from textual.screen import Screen
from textual.worker import Worker, WorkerState

from core.backend import Backend
from core.errors import SkypaneError
from core.paths import Location
from core.remotes import LOCAL
from tui.dialogs.location import LocationPicker
from tui.screens.backends import BackendPool
from tui.screens.log import report_error
from tui.widgets.info_panel import InfoPanel
from tui.widgets.pane import Pane
from tui.widgets.path_bar import PathBar, location_text

PANE_IDS = ("left", "right")

#: The worker group of drives opened in a thread.
OPEN_DRIVE = "open-drive"


class PaneNavigator:
    def __init__(
        self, screen: Screen[None], pool: BackendPool, on_activated: Callable[[], None]
    ) -> None:
        self.screen = screen
        self.pool = pool
        self.on_activated = on_activated
        self.active_id = "left"
        self.info_shown = False
        #: Panes whose drive is being opened (in a thread, after the first frame), and where
        #: they are going: until it is open the pane itself still says "/" on the local disk.
        self.opening: dict[str, Location] = {}

    # -- which pane ----------------------------------------------------------------------

    def pane(self, pane_id: str) -> Pane:
        return self.screen.query_one(f"#{pane_id}", Pane)

    @property
    def active(self) -> Pane:
        return self.pane(self.active_id)

    @property
    def other(self) -> Pane:
        return self.pane("right" if self.active_id == "left" else "left")

    def location(self, pane: Pane) -> Location:
        """Where ``pane`` is, or is going while its drive opens: what a copy to it, a swap or
        "same folder" must use (a key may come before the drive is open)."""
        return self.opening.get(pane.id or "", pane.location)

    def showing(self, location: Location) -> list[Pane]:
        """The panes that show ``location``."""
        return [p for p in map(self.pane, PANE_IDS) if p.location == location]

    def activate(self, pane_id: str) -> None:
        """Make ``pane_id`` the pane keys act on (the focus follows separately)."""
        self.active_id = pane_id
        for side in PANE_IDS:
            self.pane(side).set_class(side == self.active_id, "-active")
        self.layout_info()
        self.on_activated()

    def focus_gained(self, pane: Pane) -> None:
        if pane.id != self.active_id:
            self.activate(pane.id or "left")

    def switch(self) -> None:
        target = self.other
        if not target.display and self.info_shown:  # the info panel stands in for it
            self.toggle_info()
        # Switch now, not when the focus event arrives: keys a terminal delivers in the
        # same read as Tab (Tab F7 typed quickly) must already act on the new pane.
        self.activate(target.id or "left")
        target.file_list.focus()

    # -- what a pane shows -------------------------------------------------------------------

    def start(self, left: Location, right: Location) -> None:
        """The first locations: local ones at once, drives once their backend is open."""
        for pane, location in ((self.pane("left"), left), (self.pane("right"), right)):
            if location.remote in (None, LOCAL):
                self.show_location(pane, location)
            else:
                self.open_drive(pane, location)

    def show_location(self, pane: Pane, location: Location) -> None:
        # Sent elsewhere while its drive opened: the drive, once open, is not shown over this.
        self.opening.pop(pane.id or "", None)
        try:
            backend = self.pool.backend_for(location.remote)
        except SkypaneError as exc:
            report_error(self.screen.app, f"cannot open {location}", exc)
            return
        pane.show(backend, location.path)

    def open_drive(self, pane: Pane, location: Location) -> None:
        """Show a drive's location once its backend is open, opened in a thread: its module
        and the HTTP, sign-in and keyring libraries take longer to load (and the keyring to
        answer) than the first frame takes to draw, and keys work meanwhile."""
        pane.query_one(PathBar).location = location
        self.opening[pane.id or ""] = location
        self.screen.run_worker(
            partial(self._open_in_thread, pane, location),
            group=OPEN_DRIVE,
            thread=True,
            exit_on_error=False,
        )

    def _open_in_thread(
        self, pane: Pane, location: Location
    ) -> tuple[Pane, Location, Backend | None]:
        # A failure is opened again on the event loop, which reports it as ever.
        return pane, location, self.pool.open_detached(location.remote)

    def drive_opened(self, event: Worker.StateChanged) -> None:
        """A worker changed state: if it opened a drive, show the pane's location."""
        worker = event.worker
        if worker.group != OPEN_DRIVE or event.state is not WorkerState.SUCCESS:
            return
        opened = cast("tuple[Pane, Location, Backend | None]", worker.result)
        pane, location, backend = opened
        wanted = self.opening.pop(pane.id or "", None) == location
        # One backend per remote: one the user opened meanwhile is kept.
        loser = self.pool.adopt(location.remote, backend) if backend is not None else None
        if loser is not None:
            self.screen.run_worker(loser.close(), exit_on_error=False)
        if wanted:
            self.show_location(pane, location)

    def reload_location(self, location: Location) -> None:
        """Re-list every pane showing ``location`` (after something changed it)."""
        for pane in self.showing(location):
            pane.reload()

    def after_change(self, pane: Pane, keep: str | None = None) -> None:
        """``pane``'s folder changed: re-list it (cursor on ``keep``), and the other pane too
        if it shows the same folder."""
        pane.reload(cursor=keep)
        if self.other.location == pane.location:
            self.other.reload()

    def pick_location(self, side: str | None = None) -> None:
        pane = self.pane(side) if side in PANE_IDS else self.active
        remotes = {name: rc.type for name, rc in self.pool.config.remotes.items()}

        def chosen(location: Location | None) -> None:
            if location is not None:
                self.show_location(pane, location)
                pane.file_list.focus()

        self.screen.app.push_screen(LocationPicker(remotes, pane.location, pane.id or ""), chosen)

    def swap(self) -> None:
        left, right = self.pane("left"), self.pane("right")
        a, b = self.location(left), self.location(right)
        self.show_location(left, b)
        self.show_location(right, a)

    def same_location(self) -> None:
        self.show_location(self.other, self.location(self.active))

    def refresh(self) -> None:
        self.active.reload()
        if self.other.location == self.active.location:
            self.other.reload()

    # -- the info panel ---------------------------------------------------------------------

    def toggle_info(self) -> None:
        self.info_shown = not self.info_shown
        self.layout_info()

    def layout_info(self) -> None:
        # The info panel takes the place of the inactive pane, as in mc.
        other_id = self.other.id
        # A pane in long mode takes the whole width, as in mc.
        alone = self.active.mode == "long"
        for pane_id in PANE_IDS:
            beside = pane_id == other_id
            show_info = self.info_shown and beside and not alone
            self.pane(pane_id).display = not (beside and (alone or show_info))
            self.screen.query_one(f"#info-{pane_id}", InfoPanel).display = show_info
        if self.info_shown:
            self.show_info()

    def show_info(self) -> None:
        panel = self.screen.query_one(f"#info-{self.other.id}", InfoPanel)
        pane = self.active
        panel.show(pane.backend, pane.file_list.cursor_entry, location_text(pane.location))

    def cursor_moved(self, file_list: object) -> None:
        """The cursor of ``file_list`` moved: the info panel follows the active pane's."""
        if self.info_shown and file_list is self.active.file_list:
            self.show_info()
