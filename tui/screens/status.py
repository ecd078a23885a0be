"""StatusReporter: the status bar under the panes (counts, marks, quota, throttling, hints).

It reads the active pane and the open backends and writes the StatusBar; nothing else writes
the bar. Quota is fetched in a worker (a request) and cached per remote.
"""

from __future__ import annotations

from textual.screen import Screen

from core.backend import Backend, QuotaInfo
from core.errors import SkypaneError
from core.remotes import LOCAL
from core.transfer import ProgressSnapshot
from tui.format import Clock
from tui.screens.backends import BackendPool
from tui.screens.panes import PaneNavigator
from tui.widgets.status_bar import StatusBar, quota_text
from tui.widgets.transfer_panel import TransferPanel


class StatusReporter:
    def __init__(
        self, screen: Screen[None], panes: PaneNavigator, pool: BackendPool, clock: Clock
    ) -> None:
        self.screen = screen
        self.panes = panes
        self.pool = pool
        self.clock = clock
        self._quota: dict[str, str] = {}

    @property
    def bar(self) -> StatusBar:
        return self.screen.query_one(StatusBar)

    @property
    def hint(self) -> str:
        return self.bar.hint

    @hint.setter
    def hint(self, text: str) -> None:
        self.bar.hint = text

    def update(self) -> None:
        """Counts, marks and quota of the active pane."""
        bar = self.bar
        active = self.panes.active
        listing = active.listing
        bar.selected_count = listing.marked_count
        bar.selected_size = listing.marked_size
        busy = active.listing_busy
        bar.item_count = len(listing.entries) if busy else listing.shown_count
        bar.item_size = listing.shown_size
        bar.listing = busy
        remote = active.location.remote
        bar.quota = self._quota.get(remote or LOCAL, "")

    def fetch_quota(self) -> None:
        """Ask the active pane's remote for its quota (if it tells one), then update."""
        backend = self.panes.active.backend
        if backend is None or not isinstance(backend, QuotaInfo):
            self.update()
            return
        self.screen.run_worker(
            self._quota_worker(backend), group="quota", exclusive=True, exit_on_error=False
        )

    async def _quota_worker(self, backend: Backend) -> None:
        assert isinstance(backend, QuotaInfo)
        try:
            quota = await backend.about()
        except SkypaneError:
            return  # the quota is a nicety; listing errors already tell what is wrong
        self._quota[backend.remote] = quota_text(backend.remote, quota)
        self.update()

    # -- throttling ------------------------------------------------------------------------

    def poll_throttling(self) -> None:
        """Show throttling met by any open remote (listings too), counting down each second."""
        left = self.pool.throttled_seconds()
        panel = self.screen.query_one(TransferPanel)
        for snap in panel.jobs.values():
            if snap.throttled_until is not None and not snap.state.finished:
                left = max(left, (snap.throttled_until - self.clock()).total_seconds())
        self._throttled(max(left, 0.0))

    def job_throttled(self, snapshot: ProgressSnapshot) -> None:
        """A job's newest state: its throttling (if any) shows at once."""
        until = snapshot.throttled_until
        left = (until - self.clock()).total_seconds() if until is not None else 0.0
        self._throttled(max(left, 0.0) if not snapshot.state.finished else 0.0)

    def job_ended(self) -> None:
        bar = self.bar
        bar.throttled = 0.0
        bar.remove_class("-throttled")

    def _throttled(self, seconds: float) -> None:
        bar = self.bar
        bar.throttled = seconds
        bar.set_class(bar.throttled > 0, "-throttled")
