"""Finder: find, compare, recover — what the main screen does with core.search,
core.compare, mirror jobs, core.usage and recycle bins.

Search results and disk usage appear in the active pane as a virtual folder (mc's
"panelize"): the entries keep their real paths, so F3, F5, F6 and F8 work on them as on any
folder; ".." goes back to the folder it came from.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

from textual.binding import Binding, BindingType
from textual.screen import Screen

from core.backend import Backend, RecycleBin, Search
from core.compare import Side, compare
from core.config import Config
from core.errors import SkypaneError
from core.model import Entry
from core.paths import Location, basename, parent
from core.search import search
from core.transfer import JobKind
from core.usage import UsageNode, disk_usage
from tui.dialogs.confirm import ConfirmDialog
from tui.format import fmt_count, fmt_size_long, safe_name
from tui.screens.log import report_error
from tui.screens.panes import PaneNavigator
from tui.screens.status import StatusReporter
from tui.transfers import Transfers
from tui.widgets.pane import Pane, VirtualView
from tui.widgets.path_bar import location_text

#: A mirror deleting at least this many items asks a second time.
BIG_DELETION = 100

#: The keys of finding and comparing (help: "Find, compare, recover").
FIND_KEYS: list[BindingType] = [
    # mc finds with Alt+?, but from a terminal Textual reads ESC + "?" as two keys (alt is
    # kept only for letters), and ESC f / ESC b are its Ctrl+Right / Ctrl+Left: Alt+L
    # ("locate") arrives whole; Alt+? still works where the terminal reports it as one key.
    Binding("alt+l,alt+question_mark", "find_file", "Find file (search)", show=False, id="find"),
    Binding("alt+g", "goto_item_folder", "Go to the item's folder", show=False, id="goto-item"),
    Binding("alt+d", "compare_panes", "Compare panes", show=False, id="compare"),
    Binding("alt+m", "mirror", "Mirror this pane to the other", show=False, id="mirror"),
    Binding("alt+u", "disk_usage", "Disk usage (folder sizes)", show=False, id="disk-usage"),
    Binding("alt+t", "recycle_bin", "Recycle bin (trash)", show=False, id="recycle-bin"),
    Binding("alt+s", "shared_with_me", "Shared with me", show=False, id="shared"),
]


def _relative(top: str, path: str) -> str:
    prefix = top.rstrip("/") + "/"
    return path[len(prefix) :] if path.startswith(prefix) else path.lstrip("/")


class Finder:
    def __init__(
        self,
        host: Screen[None],
        panes: PaneNavigator,
        status: StatusReporter,
        transfers: Transfers,
        config: Config,
    ) -> None:
        self.host = host
        self.panes = panes
        self.status = status
        self.transfers = transfers
        self.config = config
        self._last_search = ""

    # -- search ------------------------------------------------------------------------

    def find_file(self) -> None:
        from tui.dialogs.search import SearchDialog, SearchRequest

        pane = self.panes.active
        backend = pane.backend
        if backend is None:
            return
        here = pane.location
        indexed = isinstance(backend, Search)

        def answered(request: SearchRequest | None) -> None:
            if request is None:
                return
            self._last_search = request.text
            top = "/" if request.whole_drive and here.remote is not None else here.path
            self._show_results(pane, backend, request.text, top, walk=request.walk)

        dialog = SearchDialog(location_text(here), indexed=indexed, last=self._last_search)
        self.host.app.push_screen(dialog, answered)

    def _show_results(
        self, pane: Pane, backend: Backend, text: str, top: str, *, walk: bool
    ) -> None:
        home = pane.location

        async def pages() -> AsyncIterator[list[Entry]]:
            # Names become paths below the top, so hits from different folders stay apart.
            async for page in search(backend, text, top, use_index=not walk):
                yield [replace(e, name=_relative(top, e.path)) for e in page]

        where = location_text(Location(home.remote, top))
        view = VirtualView(f"search {text!r} in {where}", pages, home)
        pane.show_virtual(backend, view)

    def goto_item_folder(self) -> None:
        """In search results or disk usage: open the folder that holds the entry."""
        pane = self.panes.active
        entry = pane.file_list.cursor_entry
        if pane.virtual is None or pane.backend is None or entry is None or entry.name == "..":
            return
        pane.show(pane.backend, parent(entry.path), cursor=basename(entry.path))

    # -- compare and mirror --------------------------------------------------------------

    def compare_panes(self) -> None:
        left, right = self.panes.active, self.panes.other
        if left.backend is None or right.backend is None or left.virtual or right.virtual:
            return
        self.host.run_worker(
            self._compare(left, right), group="compare", exclusive=True, exit_on_error=False
        )

    async def _compare(self, left: Pane, right: Pane) -> None:
        assert left.backend is not None and right.backend is not None
        try:
            result = await compare(
                left.backend, left.location.path, right.backend, right.location.path, max_depth=0
            )
        except SkypaneError as exc:
            report_error(self.host.app, "cannot compare", exc)
            return
        here = {c.rel for c in result.items if c.side in (Side.ONLY_LEFT, Side.DIFFERENT)}
        there = {c.rel for c in result.items if c.side in (Side.ONLY_RIGHT, Side.DIFFERENT)}
        for pane, names in ((left, here), (right, there)):
            pane.listing.clear_marks()
            pane.listing.mark_names(names)
            pane.file_list.marks_changed()
        counts = result.counts()
        self.host.app.notify(
            f"{counts['only_left']} only here, {counts['only_right']} only there, "
            f"{counts['different']} different, {counts['same']} same. Marked in both panes; "
            "Alt+M makes the other pane like this one.",
            title="Compare",
            timeout=8,
        )

    def mirror(self) -> None:
        src, dst = self.panes.active, self.panes.other
        if src.backend is None or dst.backend is None or src.virtual or dst.virtual:
            return
        self.host.run_worker(
            self._mirror(src.location, dst.location),
            group="confirm",
            exclusive=True,
            exit_on_error=False,
        )

    async def _mirror(self, source: Location, dest: Location) -> None:
        engine = self.transfers.engine
        status = self.status
        status.hint = f"planning the mirror of {location_text(source)}…"
        try:
            job = await engine.submit(JobKind.MIRROR, [source], dest, dry_run=True)
        finally:
            status.hint = ""
        plan = job.plan
        if plan is None or plan.fatal:
            reason = job.error or next(
                (p.reason for p in (plan.problems if plan else ()) if p.severity == "fatal"), "?"
            )
            report_error(self.host.app, "cannot mirror", SkypaneError(reason))
            return
        copies = plan.files - len(plan.conflicts)
        lines = [
            f"Make {location_text(dest)} like {location_text(source)}:",
            f"  copy {fmt_count(copies)} new file(s), overwrite {fmt_count(len(plan.conflicts))},"
            f" {fmt_size_long(plan.bytes)} in all",
            f"  move {fmt_count(len(plan.deletes))} item(s) to the recycle bin / trash",
        ]
        for path in plan.deletes[:5]:
            lines.append(f"    {safe_name(path)}")
        if len(plan.deletes) > 5:
            lines.append(f"    … and {fmt_count(len(plan.deletes) - 5)} more")
        for problem in plan.problems[:3]:
            lines.append(f"  {problem.severity}: {safe_name(problem.path)}: {problem.reason}")
        if not (plan.files or plan.folders or plan.deletes):
            self.host.app.notify(
                "Nothing to do: the other pane is already like this one.", title="Mirror"
            )
            return
        ok = await self.host.app.push_screen_wait(
            ConfirmDialog("Mirror", "\n".join(lines), yes="Mirror", danger=bool(plan.deletes))
        )
        if ok and len(plan.deletes) >= BIG_DELETION:
            ok = await self.host.app.push_screen_wait(
                ConfirmDialog(
                    "Mirror: many deletions",
                    f"Really move {fmt_count(len(plan.deletes))} items of {location_text(dest)} "
                    "to the recycle bin / trash?",
                    yes="Delete them",
                    danger=True,
                )
            )
        if ok:
            self.transfers.submit("mirror", [source], dest)

    # -- disk usage ------------------------------------------------------------------------

    def disk_usage(self) -> None:
        pane = self.panes.active
        if pane.backend is None or pane.virtual is not None:
            return
        self.host.run_worker(
            self._disk_usage(pane, pane.backend, pane.location),
            group="usage",
            exclusive=True,
            exit_on_error=False,
        )

    async def _disk_usage(self, pane: Pane, backend: Backend, home: Location) -> None:
        status = self.status

        def progress(count: int) -> None:
            status.hint = f"disk usage of {location_text(home)}: {fmt_count(count)} items read…"

        progress(0)
        try:
            report = await disk_usage(backend, home.path, progress=progress)
        except SkypaneError as exc:
            report_error(self.host.app, "cannot read folder sizes", exc)
            return
        finally:
            status.hint = ""
        self._show_usage(pane, backend, home, report.root, report.method)

    def _show_usage(
        self, pane: Pane, backend: Backend, home: Location, node: UsageNode, method: str
    ) -> None:
        def entry_of(child: UsageNode) -> Entry:
            base = child.entry or Entry(child.name, child.path, child.is_dir)
            return replace(base, size=child.size)

        async def pages() -> AsyncIterator[list[Entry]]:
            yield [entry_of(c) for c in node.children]

        def open_dir(entry: Entry) -> None:
            below = node.find(entry.path)
            if below is not None:
                self._show_usage(pane, backend, home, below, method)

        title = (
            f"du {location_text(Location(home.remote, node.path))}: {fmt_size_long(node.size)}, "
            f"{fmt_count(node.files)} files ({method})"
        )
        pane.show_virtual(backend, VirtualView(title, pages, home, open_dir, folder_sizes=True))
        from tui.widgets.listing import SortKey, SortOrder

        pane.set_order(SortOrder(SortKey.SIZE, reverse=True))

    # -- shared with me --------------------------------------------------------------------

    def shared_with_me(self) -> None:
        """Open ``REMOTE:/@shared`` (items others shared) for this pane's remote, or the
        other pane's, or the first configured one."""
        candidates = [self.panes.active.location.remote, self.panes.other.location.remote]
        candidates += list(self.config.remotes)
        remote = next((r for r in candidates if r not in (None, "local")), None)
        if remote is None:
            self.host.app.notify("Shared items need a OneDrive remote (add one with Alt+R).")
            return
        self.panes.show_location(self.panes.active, Location(remote, "/@shared"))

    # -- recycle bin -----------------------------------------------------------------------

    def recycle_bin(self) -> None:
        from tui.dialogs.recycle import RecycleDialog

        pane = self.panes.active
        backend = pane.backend
        if backend is None:
            return
        if not isinstance(backend, RecycleBin):
            self.host.app.notify(
                "This location has no recycle bin skypane can reach: your desktop's Trash "
                "holds what skypane deleted here.",
                title="Recycle bin",
            )
            return

        def closed(restored: bool | None) -> None:
            if restored:
                for side in (self.panes.active, self.panes.other):
                    if side.location.remote == pane.location.remote:
                        side.reload()

        self.host.app.push_screen(
            RecycleDialog(backend, location_text(Location(pane.location.remote, "/"))), closed
        )
