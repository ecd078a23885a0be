"""DialogLauncher: the dialogs the main screen opens for the entry under the cursor or the
app — share links, versions and their clean-up, the remotes list, the first-start wizard,
select-by-pattern and the error log.

It asks the capability protocols (never a backend's name) whether a location has links or
versions, and after a dialog closes tells the PaneNavigator what to re-list or re-open.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from textual.binding import Binding, BindingType
from textual.screen import ModalScreen, Screen

from core.backend import Backend, Links, Versions
from core.config import RemoteConfig
from core.model import Entry, Link, LinkRequest, LinkScope, LinkType
from core.paths import Location, basename
from tui.dialogs.text_input import InputDialog
from tui.format import Clock, system_clock
from tui.screens.backends import BackendPool, close_quietly
from tui.screens.log import LogScreen
from tui.screens.panes import PANE_IDS, PaneNavigator
from tui.widgets.listing import PARENT
from tui.widgets.pane import Pane
from tui.widgets.path_bar import location_text

# The dialogs (and what they pull in: keyring, segno, tomlkit's writer…) load when first
# opened, not at start-up: a third of a second less before the first frame.
if TYPE_CHECKING:
    from tui.dialogs.remotes import RemoteChanges
    from tui.dialogs.versions import Destination, VersionsOutcome

#: The keys of the dialogs (help: "Links, versions, remotes").
DIALOG_KEYS: list[BindingType] = [
    Binding("ctrl+l", "share_link", "Share link", show=False, id="share-link"),
    Binding("alt+v", "versions", "Versions / clean up", show=False, id="versions"),
    Binding("alt+c", "clean_up_here", "Clean up versions in this folder", show=False, id="cleanup"),
    Binding("alt+r", "remotes", "Remotes…", show=False, id="remotes"),
]


def link_defaults(options: dict[str, object]) -> LinkRequest:
    """The remote's ``link_type`` / ``link_scope`` options as the dialog's starting point."""
    try:
        kind = LinkType(str(options.get("link_type") or "view"))
        scope = LinkScope(str(options.get("link_scope") or "anonymous"))
    except ValueError:
        return LinkRequest()
    return LinkRequest(kind, scope)


def versions_dialog(
    backend: Versions,
    entry: Entry,
    *,
    destination: Destination | None = None,
    clock: Clock = system_clock,
) -> ModalScreen[VersionsOutcome]:
    """The versions dialog of a file, or the clean-up dialog of a folder."""
    if entry.is_dir:
        from tui.dialogs.cleanup import VersionCleanupDialog

        return VersionCleanupDialog(backend, entry.path, clock=clock)  # type: ignore[arg-type]
    from tui.dialogs.versions import VersionsDialog

    return VersionsDialog(backend, entry.path, destination=destination, clock=clock)


class DialogLauncher:
    def __init__(
        self, host: Screen[None], panes: PaneNavigator, pool: BackendPool, clock: Clock
    ) -> None:
        self.host = host
        self.panes = panes
        self.pool = pool
        self.config = pool.config
        self.clock = clock

    # -- what the cursor is on -------------------------------------------------------------

    def _target(self) -> tuple[Pane, Backend, Entry] | None:
        """The active pane, its backend and the entry under the cursor (``..``: the folder)."""
        pane = self.panes.active
        backend = pane.backend
        entry = pane.file_list.cursor_entry
        if backend is None:
            return None
        if entry is None or entry is PARENT:
            path = pane.location.path
            entry = Entry(basename(path) or path, path, True)
        return pane, backend, entry

    def _refuse(self, what: str, pane: Pane) -> None:
        self.host.app.notify(
            f"{location_text(pane.location)} has no {what}.", title=what.capitalize(), timeout=4
        )

    # -- share links -------------------------------------------------------------------------

    def share_link(self) -> None:
        target = self._target()
        if target is None:
            return
        pane, backend, entry = target
        if not isinstance(backend, Links):
            self._refuse("share links", pane)
            return
        remote = self.config.remotes.get(pane.location.remote or "")
        defaults = link_defaults(dict(remote.options)) if remote else LinkRequest()
        from tui.dialogs.links import LinkDialog

        dialog = LinkDialog(backend, entry.path, defaults=defaults, clock=self.clock)

        def done(link: Link | None) -> None:
            if link is not None:
                self.host.app.notify(link.url, title="Link sent to the clipboard", timeout=6)

        self.host.app.push_screen(dialog, done)

    # -- versions ----------------------------------------------------------------------------------

    def clean_up_here(self) -> None:
        """Clean-up of the folder the pane shows, whatever the cursor is on (the drive root too)."""
        pane = self.panes.active
        if pane.backend is None:
            return
        path = pane.location.path
        self._open_versions(pane, pane.backend, Entry(basename(path) or path, path, True))

    def versions(self) -> None:
        target = self._target()
        if target is None:
            return
        self._open_versions(*target)

    def _open_versions(self, pane: Pane, backend: Backend, entry: Entry) -> None:
        if not isinstance(backend, Versions):
            self._refuse("file versions", pane)
            return
        from tui.dialogs.versions import Destination

        other = self.panes.other
        destination = None
        if other.backend is not None:
            destination = Destination(
                other.backend, other.location.path, location_text(other.location)
            )
        dialog = versions_dialog(backend, entry, destination=destination, clock=self.clock)
        here, there = pane.location, other.location

        def done(outcome: VersionsOutcome | None) -> None:
            if outcome is None:
                return
            if outcome.saved:
                self.panes.reload_location(there)
            if outcome.changed:
                self.panes.reload_location(here)

        self.host.app.push_screen(dialog, done)

    # -- remotes -----------------------------------------------------------------------------------

    def remotes(self) -> None:
        from tui.dialogs.remotes import RemotesDialog

        self.host.app.push_screen(
            RemotesDialog(self.config, **self._secrets()), self.apply_remote_changes
        )

    def _secrets(self) -> dict[str, Any]:
        """Where the dialogs keep sign-ins: the app's own store when it has one (the demo's,
        in memory), else the default (keyring or private file)."""
        store = self.pool.context.secrets
        return {"store": store} if store is not None else {}

    def apply_remote_changes(self, changes: RemoteChanges | None) -> None:
        """Close backends of changed remotes; move panes off deleted or renamed ones."""
        if changes is None or not changes.touched:
            return
        renamed = dict(changes.renamed)
        stale = set(changes.edited) | set(changes.deleted) | set(renamed)
        for backend in self.pool.forget(stale):
            self.host.run_worker(close_quietly(backend), group="close-backend", exit_on_error=False)
        for pane_id in PANE_IDS:
            pane = self.panes.pane(pane_id)
            remote = pane.location.remote
            if remote in changes.deleted:
                self.panes.show_location(pane, Location(None, os.path.expanduser("~")))
            elif remote in renamed:
                self.panes.show_location(pane, Location(renamed[remote], pane.location.path))
            elif remote in changes.edited:
                self.panes.show_location(pane, pane.location)

    def first_start(self) -> None:
        """Nothing is configured: the wizard opens with a welcome; a new remote shows on the right."""

        def saved(remote: RemoteConfig) -> None:
            self.panes.show_location(self.panes.pane("right"), Location(remote.name, "/"))

        from tui.dialogs.wizard import first_start

        first_start(self.host.app, self.config, on_saved=saved, **self._secrets())

    # -- small ones -----------------------------------------------------------------------------

    def select_pattern(self, pane: Pane, mode: str) -> None:
        """``+`` / ``-``: ask for a pattern and mark (or unmark) what matches in ``pane``."""

        def chosen(pattern: str | None) -> None:
            if pattern:
                pane.apply_pattern(mode, pattern)

        verb = "Select" if mode == "select" else "Unselect"
        self.host.app.push_screen(
            InputDialog(f"{verb} by pattern", f"{verb} files matching (e.g. *.jpg):", "*"), chosen
        )

    def error_log(self) -> None:
        self.host.app.push_screen(LogScreen(list(getattr(self.host.app, "error_log", []))))
