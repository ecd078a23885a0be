"""DragAndDrop: entries dragged from one pane and dropped on the other are copied there.

While the pointer moves it highlights the pane (and the folder row) under it and says in the
status bar what a drop would do; a drop hands the copy to FileOperations. Dropping on the
pane it came from does nothing (a plain click ends like that).
"""

from __future__ import annotations

from textual.geometry import Offset
from textual.screen import Screen
from textual.widget import Widget

from core.paths import Location, join
from tui.screens.operations import FileOperations, describe
from tui.screens.panes import PaneNavigator
from tui.screens.status import StatusReporter
from tui.widgets.file_list import FileList
from tui.widgets.listing import PARENT
from tui.widgets.pane import Pane
from tui.widgets.path_bar import location_text


def pane_of(widget: Widget) -> Pane | None:
    """The pane ``widget`` is in (or is)."""
    for node in widget.ancestors_with_self:
        if isinstance(node, Pane):
            return node
    return None


class DragAndDrop:
    def __init__(
        self,
        screen: Screen[None],
        panes: PaneNavigator,
        status: StatusReporter,
        operations: FileOperations,
    ) -> None:
        self.screen = screen
        self.panes = panes
        self.status = status
        self.operations = operations
        self._target: Pane | None = None

    def _pane_at(self, offset: Offset) -> Pane | None:
        try:
            widget, _ = self.screen.get_widget_at(offset.x, offset.y)
        except Exception:
            return None
        return pane_of(widget)

    def _drop_row(self, target: Pane, offset: Offset) -> int | None:
        row = target.file_list.row_at_screen(offset)
        if row is None:
            return None
        entry = target.listing.rows[row]
        return row if entry.is_dir and entry is not PARENT else None

    def _set_target(self, target: Pane | None, row: int | None = None) -> None:
        if self._target is not None and self._target is not target:
            self._target.remove_class("-drop-target")
            self._target.file_list.set_drop_row(None)
        self._target = target
        if target is not None:
            target.add_class("-drop-target")
            target.file_list.set_drop_row(row)

    def _destination(self, target: Pane, offset: Offset) -> Location:
        """The target pane's folder, or the folder row under the pointer."""
        row = self._drop_row(target, offset)
        dest = self.panes.location(target)  # its drive may still be opening
        if row is not None:
            dest = Location(dest.remote, join(dest.path, target.listing.rows[row].name))
        return dest

    def moved(self, event: FileList.DragMoved) -> None:
        source = pane_of(event.file_list)
        target = self._pane_at(event.screen_offset)
        if target is None or target is source:
            self._set_target(None)
            self.status.hint = f"dragging {describe(event.entries)}: drop on the other pane to copy"
            return
        self._set_target(target, self._drop_row(target, event.screen_offset))
        dest = self._destination(target, event.screen_offset)
        self.status.hint = f"drop: copy {describe(event.entries)} to {location_text(dest)}"

    def dropped(self, event: FileList.DragDropped) -> None:
        source = pane_of(event.file_list)
        target = self._pane_at(event.screen_offset)
        self._set_target(None)
        self.status.hint = ""
        # A plain click ends like a drop on its own pane: ignore drops on the source.
        if source is None or target is None or target is source:
            return
        dest = self._destination(target, event.screen_offset)
        self.operations.transfer("copy", source, event.entries, dest)
