"""VersionCleanupDialog: trim old versions below a folder.

Scan (with progress, stoppable) → choose a policy (keep the newest N, delete older than a
date, all but the current) → a dry-run table of what would go and the bytes it frees →
confirm → the run with progress → a summary. The work is ``core.versions_cleanup``'s; this
dialog only shows it. On a drive that cannot delete versions it stops after the dry run.
"""

from __future__ import annotations

import asyncio
import time
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, Label, ProgressBar, RadioButton, RadioSet

from core.errors import SkypaneError
from core.paths import basename
from core.versions_cleanup import (
    CleanupPlan,
    CleanupPolicy,
    CleanupProgress,
    PolicyKind,
    ScanProgress,
    ScanResult,
    VersionedBackend,
    parse_cutoff,
    plan_cleanup,
    run_cleanup,
    scan_versions,
)
from tui.dialogs.common import fill_table, frame_css
from tui.dialogs.confirm import ConfirmDialog
from tui.dialogs.versions import VersionsOutcome
from tui.format import Clock, fmt_count, fmt_size_long, safe_name, system_clock

#: Rows of the dry-run table; the summary line counts them all.
MAX_ROWS = 500
CLEANUP_COLUMNS = ("File", "Versions", "Delete", "Reclaim")
#: Seconds between progress redraws (a scan reports every file).
REDRAW = 0.1


def plan_summary(plan: CleanupPlan) -> str:
    if not plan.version_count:
        return "Nothing to delete with this policy."
    return (
        f"{fmt_count(plan.file_count)} file(s), {fmt_count(plan.version_count)} version(s), "
        f"{fmt_size_long(plan.bytes)} to reclaim"
    )


class VersionCleanupDialog(ModalScreen[VersionsOutcome]):
    DEFAULT_CSS = (
        frame_css("VersionCleanupDialog", "100")
        + """
    VersionCleanupDialog #cleanup-note { color: $text-warning; height: auto; margin-top: 1; }
    VersionCleanupDialog #cleanup-scan { height: auto; margin-top: 1; }
    VersionCleanupDialog #cleanup-policy-row { height: auto; margin-top: 1; }
    VersionCleanupDialog RadioSet { width: 1fr; height: auto; border: round $border-blurred; }
    VersionCleanupDialog RadioSet:focus-within { border: round $border; }
    VersionCleanupDialog #cleanup-values { width: 36; height: auto; padding: 1 0 0 2; }
    VersionCleanupDialog #cleanup-values Horizontal { height: 1; margin-bottom: 1; }
    VersionCleanupDialog #cleanup-values Label { width: 14; }
    VersionCleanupDialog #cleanup-values Input { width: 1fr; background: $boost; }
    VersionCleanupDialog #cleanup-summary { text-style: bold; height: auto; margin-top: 1; }
    VersionCleanupDialog #cleanup-table { height: auto; max-height: 10; }
    VersionCleanupDialog #cleanup-result { height: auto; margin-top: 1; }
    VersionCleanupDialog ProgressBar { margin-top: 1; }
    VersionCleanupDialog.-scanning #cleanup-policy-row,
    VersionCleanupDialog.-scanning #cleanup-table,
    VersionCleanupDialog.-scanning #cleanup-summary { display: none; }
    VersionCleanupDialog #run-progress { display: none; }
    VersionCleanupDialog.-running #run-progress, VersionCleanupDialog.-done #run-progress {
        display: block;
    }
    VersionCleanupDialog #scan-progress { display: none; }
    VersionCleanupDialog.-scanning #scan-progress { display: block; }
    """
    )

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "stop_or_close", "Stop / close", id="cleanup-close"),
        Binding("ctrl+d", "run", "Delete the versions", id="cleanup-run"),
    ]

    def __init__(
        self,
        backend: VersionedBackend,
        folder: str,
        *,
        policy: CleanupPolicy | None = None,
        clock: Clock = system_clock,
    ) -> None:
        super().__init__(classes="-scanning")
        self.backend = backend
        self.folder = folder
        self.clock = clock
        self.support = backend.version_support()
        self.initial = policy or CleanupPolicy.keep_newest(3)
        self.scan: ScanResult | None = None
        self.plan: CleanupPlan | None = None
        self.deleted = 0
        self._cancel = asyncio.Event()
        self._drawn = 0.0

    # -- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        policy = self.initial
        with Vertical(classes="sky-box") as box:
            box.border_title = f"Clean up versions — {safe_name(self.folder)}"
            box.border_subtitle = "Ctrl+D delete · Esc stop / close"
            if not self.support.can_delete:
                yield Label(
                    f"{self.support.delete_refusal or 'This drive cannot delete versions'}: "
                    "the scan shows what older versions hold, but none can be deleted here. "
                    "Open a file's versions to save or restore one.",
                    id="cleanup-note",
                )
            yield Label("Scanning…", id="cleanup-scan")
            yield ProgressBar(id="scan-progress", show_eta=False)
            with Horizontal(id="cleanup-policy-row"):
                with RadioSet(id="cleanup-policy") as radios:
                    radios.border_title = "Delete"
                    yield RadioButton(
                        "all but the newest N versions of each file",
                        policy.kind is PolicyKind.KEEP_NEWEST,
                        id="policy-keep-newest",
                    )
                    yield RadioButton(
                        "versions older than a date",
                        policy.kind is PolicyKind.OLDER_THAN,
                        id="policy-older-than",
                    )
                    yield RadioButton(
                        "every version but the current one",
                        policy.kind is PolicyKind.ALL_BUT_CURRENT,
                        id="policy-all-but-current",
                    )
                with Vertical(id="cleanup-values"):
                    with Horizontal():
                        yield Label("N (newest)")
                        yield Input(str(policy.keep), id="keep", type="integer", compact=True)
                    with Horizontal():
                        yield Label("Older than")
                        before = f"{policy.before:%Y-%m-%d}" if policy.before else "90d"
                        yield Input(before, id="before", compact=True)
            yield Label("", id="cleanup-summary")
            yield DataTable(id="cleanup-table", cursor_type="row", zebra_stripes=True)
            yield ProgressBar(id="run-progress", show_eta=False)
            yield Label("", id="cleanup-result")
            with Horizontal(classes="sky-buttons"):
                yield Button("Delete versions", id="run", variant="error", disabled=True)
                yield Button("Stop", id="stop", variant="warning")
                yield Button("Close", id="close")

    def on_mount(self) -> None:
        self._scan()

    def _set_stage(self, stage: str) -> None:
        for name in ("scanning", "ready", "running", "done"):
            self.set_class(name == stage, f"-{name}")
        self.query_one("#stop", Button).display = stage in ("scanning", "running")
        self.query_one("#close", Button).display = stage not in ("scanning", "running")

    # -- scanning ------------------------------------------------------------------------------

    def _scan_progress(self, p: ScanProgress) -> None:
        now = time.monotonic()
        if p.current and now - self._drawn < REDRAW:
            return
        self._drawn = now
        where = f"\n{safe_name(p.current)}" if p.current else ""
        self.query_one("#cleanup-scan", Label).update(
            f"Scanning… {fmt_count(p.folders)} folder(s), {fmt_count(p.files)} file(s), "
            f"{fmt_count(p.versions)} version(s); older versions hold "
            f"{fmt_size_long(p.older_bytes)}{where}"
        )

    @work(exclusive=True, group="cleanup")
    async def _scan(self) -> None:
        self._set_stage("scanning")
        result = await scan_versions(
            self.backend, self.folder, on_progress=self._scan_progress, cancel=self._cancel
        )
        self.scan = result
        stopped = " (stopped early)" if result.cancelled else ""
        problems = f"; {len(result.errors)} could not be read" if result.errors else ""
        self.query_one("#cleanup-scan", Label).update(
            f"Scanned{stopped}: {fmt_count(result.folders)} folder(s), "
            f"{fmt_count(len(result.files))} file(s), {fmt_count(result.version_count)} "
            f"version(s); older versions hold {fmt_size_long(result.older_bytes)}{problems}."
        )
        self._cancel = asyncio.Event()
        self._set_stage("ready")
        self._replan()
        self.query_one("#cleanup-policy", RadioSet).focus()

    # -- the policy and the dry run --------------------------------------------------------------

    def policy(self) -> CleanupPolicy:
        """The chosen policy; ``SkypaneError`` when its value is not usable."""
        pressed = self.query_one("#cleanup-policy", RadioSet).pressed_button
        kind = PolicyKind((pressed.id or "").removeprefix("policy-")) if pressed else None
        if kind is PolicyKind.KEEP_NEWEST:
            text = self.query_one("#keep", Input).value.strip()
            if not text.isdigit():
                raise SkypaneError("N: how many versions to keep (1 or more)")
            return CleanupPolicy.keep_newest(int(text))
        if kind is PolicyKind.OLDER_THAN:
            text = self.query_one("#before", Input).value.strip()
            return CleanupPolicy.older_than(parse_cutoff(text, self.clock()))
        return CleanupPolicy.all_but_current()

    @on(RadioSet.Changed)
    @on(Input.Changed)
    def _replan(self) -> None:
        if self.scan is None or self.has_class("-running") or self.has_class("-done"):
            return
        summary = self.query_one("#cleanup-summary", Label)
        table = self.query_one(DataTable)
        try:
            plan = plan_cleanup(self.scan.files, self.policy())
        except SkypaneError as exc:
            self.plan = None
            summary.update(str(exc))
            fill_table(table, CLEANUP_COLUMNS, [])
            self.query_one("#run", Button).disabled = True
            return
        self.plan = plan
        summary.update(f"Dry run — {plan.policy.describe()}: {plan_summary(plan)}")
        prefix = self.folder.rstrip("/") + "/"
        rows = []
        for item in plan.files[:MAX_ROWS]:
            shown = (
                item.path.removeprefix(prefix) if item.path != self.folder else basename(item.path)
            )
            rows.append(
                (
                    safe_name(shown),
                    str(len(item.delete) + item.kept),
                    str(len(item.delete)),
                    fmt_size_long(item.bytes),
                )
            )
        if plan.file_count > MAX_ROWS:
            rows.append((f"… and {fmt_count(plan.file_count - MAX_ROWS)} more", "", "", ""))
        fill_table(table, CLEANUP_COLUMNS, rows)
        self.query_one("#run", Button).disabled = not (
            plan.version_count and self.support.can_delete
        )

    # -- the run ----------------------------------------------------------------------------------

    def action_run(self) -> None:
        if self.plan is not None and not self.query_one("#run", Button).disabled:
            self._run(self.plan)

    def _run_progress(self, p: CleanupProgress) -> None:
        self.query_one("#run-progress", ProgressBar).update(total=max(p.total, 1), progress=p.done)
        self.query_one("#cleanup-result", Label).update(
            f"Deleting… {fmt_count(p.done)} of {fmt_count(p.total)} version(s), "
            f"{fmt_size_long(p.bytes_reclaimed)} reclaimed"
            + (f", {p.failed} failed" if p.failed else "")
        )

    @work(exclusive=True, group="cleanup")
    async def _run(self, plan: CleanupPlan) -> None:
        ok = await self.app.push_screen_wait(
            ConfirmDialog(
                "Delete versions",
                f"Delete {fmt_count(plan.version_count)} older version(s) of "
                f"{fmt_count(plan.file_count)} file(s), {fmt_size_long(plan.bytes)}? "
                "Current versions stay. This cannot be undone.",
                yes="Delete",
                danger=True,
            )
        )
        if not ok:
            return
        self._set_stage("running")
        result_label = self.query_one("#cleanup-result", Label)
        try:
            result = await run_cleanup(
                self.backend, plan, on_progress=self._run_progress, cancel=self._cancel
            )
        except SkypaneError as exc:
            self._set_stage("ready")
            result_label.update(f"Cannot delete versions: {exc}")
            result_label.set_classes("sky-error")
            return
        self.deleted = result.deleted
        self._set_stage("done")
        self.query_one("#run", Button).disabled = True
        lines = [
            f"{'Stopped' if result.cancelled else 'Done'}: deleted {fmt_count(result.deleted)} "
            f"version(s), reclaimed {fmt_size_long(result.bytes_reclaimed)}."
        ]
        if result.vanished:
            lines.append(f"{result.vanished} version(s) had already gone.")
        for failure in result.failures[:5]:
            lines.append(f"✗ {safe_name(failure.path)} ({failure.version_id}): {failure.message}")
        if len(result.failures) > 5:
            lines.append(f"… and {len(result.failures) - 5} more failures")
        result_label.update("\n".join(lines))
        result_label.set_classes("sky-error" if result.failures else "sky-ok")

    # -- buttons and keys ---------------------------------------------------------------------------

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "run":
            self.action_run()
        elif event.button.id == "stop":
            self._cancel.set()
        elif event.button.id == "close":
            self._close()

    def action_stop_or_close(self) -> None:
        if self.has_class("-scanning") or self.has_class("-running"):
            self._cancel.set()
        else:
            self._close()

    def _close(self) -> None:
        self.dismiss(VersionsOutcome(changed=self.deleted > 0))
