"""What MainScreen opens from the dialogs package: share links and versions of the entry under
the cursor, the remotes list (add, edit, rename, delete) and the first-start wizard.

A base class of MainScreen like ``FileOperations``: it knows the panes only through
``active``/``other`` and the screen's backends, and asks the capability protocols (never a
backend's name) whether a location has links or versions.
"""

from __future__ import annotations

import contextlib
import os
from typing import TYPE_CHECKING, Any, ClassVar

from textual.binding import Binding, BindingType
from textual.screen import Screen

from core.backend import Backend, BackendContext, Links, Versions
from core.config import Config, RemoteConfig
from core.model import Entry, Link, LinkRequest, LinkScope, LinkType
from core.paths import Location, basename
from tui.format import Clock
from tui.widgets.listing import PARENT
from tui.widgets.pane import Pane
from tui.widgets.path_bar import location_text

# The dialogs (and what they pull in: keyring, segno, tomlkit's writer…) load when first
# opened, not at start-up: a third of a second less before the first frame.
if TYPE_CHECKING:
    from tui.dialogs.remotes import RemoteChanges


def link_defaults(options: dict[str, object]) -> LinkRequest:
    """The remote's ``link_type`` / ``link_scope`` options as the dialog's starting point."""
    try:
        kind = LinkType(str(options.get("link_type") or "view"))
        scope = LinkScope(str(options.get("link_scope") or "anonymous"))
    except ValueError:
        return LinkRequest()
    return LinkRequest(kind, scope)


class DialogActions(Screen[None]):
    """The dialog half of MainScreen's keys."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+l", "share_link", "Share link", show=False, id="share-link"),
        Binding("alt+v", "versions", "Versions / clean up", show=False, id="versions"),
        Binding(
            "alt+c", "clean_up_here", "Clean up versions in this folder", show=False, id="cleanup"
        ),
        Binding("alt+r", "remotes", "Remotes…", show=False, id="remotes"),
    ]

    config: Config
    clock: Clock
    backends: dict[str | None, Backend]
    context: BackendContext

    if TYPE_CHECKING:  # provided by MainScreen and FileOperations

        @property
        def active(self) -> Pane: ...

        @property
        def other(self) -> Pane: ...

        def pane(self, pane_id: str) -> Pane: ...

        def show_location(self, pane: Pane, location: Location) -> None: ...

        def reload_location(self, location: Location) -> None: ...

    # -- what the cursor is on -------------------------------------------------------------

    def _target(self) -> tuple[Pane, Backend, Entry] | None:
        """The active pane, its backend and the entry under the cursor (``..``: the folder)."""
        pane = self.active
        backend = pane.backend
        entry = pane.file_list.cursor_entry
        if backend is None:
            return None
        if entry is None or entry is PARENT:
            path = pane.location.path
            entry = Entry(basename(path) or path, path, True)
        return pane, backend, entry

    def _refuse(self, what: str, pane: Pane) -> None:
        self.app.notify(
            f"{location_text(pane.location)} has no {what}.", title=what.capitalize(), timeout=4
        )

    # -- share links -------------------------------------------------------------------------

    def action_share_link(self) -> None:
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
                self.app.notify(link.url, title="Link sent to the clipboard", timeout=6)

        self.app.push_screen(dialog, done)

    # -- versions ----------------------------------------------------------------------------------

    def action_clean_up_here(self) -> None:
        """Clean-up of the folder the pane shows, whatever the cursor is on (the drive root too)."""
        pane = self.active
        if pane.backend is None:
            return
        path = pane.location.path
        self._open_versions(pane, pane.backend, Entry(basename(path) or path, path, True))

    def action_versions(self) -> None:
        target = self._target()
        if target is None:
            return
        self._open_versions(*target)

    def _open_versions(self, pane: Pane, backend: Backend, entry: Entry) -> None:
        if not isinstance(backend, Versions):
            self._refuse("file versions", pane)
            return
        from tui.dialogs.versions import Destination, VersionsOutcome, versions_dialog

        other = self.other
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
                self.reload_location(there)
            if outcome.changed:
                self.reload_location(here)

        self.app.push_screen(dialog, done)

    # -- remotes -----------------------------------------------------------------------------------

    def action_remotes(self) -> None:
        from tui.dialogs.remotes import RemotesDialog

        self.app.push_screen(
            RemotesDialog(self.config, **self._secrets()), self.apply_remote_changes
        )

    def _secrets(self) -> dict[str, Any]:
        """Where the dialogs keep sign-ins: the app's own store when it has one (the demo's,
        in memory), else the default (keyring or private file)."""
        store = self.context.secrets
        return {"store": store} if store is not None else {}

    def apply_remote_changes(self, changes: RemoteChanges | None) -> None:
        """Close backends of changed remotes; move panes off deleted or renamed ones."""
        if changes is None or not changes.touched:
            return
        renamed = dict(changes.renamed)
        stale = set(changes.edited) | set(changes.deleted) | set(renamed)
        for name in stale:
            backend = self.backends.pop(name, None)
            if backend is not None:
                self.run_worker(_close(backend), group="close-backend", exit_on_error=False)
        for pane_id in ("left", "right"):
            pane = self.pane(pane_id)
            remote = pane.location.remote
            if remote in changes.deleted:
                self.show_location(pane, Location(None, os.path.expanduser("~")))
            elif remote in renamed:
                self.show_location(pane, Location(renamed[remote], pane.location.path))
            elif remote in changes.edited:
                self.show_location(pane, pane.location)

    def open_first_start(self) -> None:
        """Nothing is configured: the wizard opens with a welcome; a new remote shows on the right."""

        def saved(remote: RemoteConfig) -> None:
            self.show_location(self.pane("right"), Location(remote.name, "/"))

        from tui.dialogs.wizard import first_start

        first_start(self.app, self.config, on_saved=saved, **self._secrets())


async def _close(backend: Backend) -> None:
    with contextlib.suppress(Exception):
        await backend.close()
