"""StatusBar: selection summary, throttling indicator and the active remote's quota."""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from core.model import Quota
from tui.format import fmt_count, fmt_size_long


def quota_text(remote: str, quota: Quota | None) -> str:
    if quota is None or quota.used is None:
        return ""
    used = fmt_size_long(quota.used)
    if quota.total:
        percent = quota.used * 100 // quota.total
        return f"{remote}: {used} / {fmt_size_long(quota.total)} ({percent}%)"
    return f"{remote}: {used} used"


class StatusBar(Widget):
    """One line under the panes."""

    DEFAULT_CSS = "StatusBar { height: 1; }"

    selected_count: reactive[int] = reactive(0)
    selected_size: reactive[int] = reactive(0)
    item_count: reactive[int] = reactive(0)
    item_size: reactive[int] = reactive(0)
    #: Seconds until the throttled remote accepts requests again (0: not throttled).
    throttled: reactive[float] = reactive(0.0)
    quota: reactive[str] = reactive("")
    #: Shown instead of the selection while something is going on (a drag).
    hint: reactive[str] = reactive("")
    #: The active pane's listing is still arriving: its counts are not final.
    listing: reactive[bool] = reactive(False)

    def selection_text(self) -> str:
        if self.selected_count:
            noun = "item" if self.selected_count == 1 else "items"
            return (
                f"{fmt_count(self.selected_count)} {noun} selected, "
                f"{fmt_size_long(self.selected_size)}"
            )
        if self.listing:
            return f"listing… {fmt_count(self.item_count)} so far"
        noun = "item" if self.item_count == 1 else "items"
        return f"{fmt_count(self.item_count)} {noun}, {fmt_size_long(self.item_size)}"

    def render(self) -> Text:
        width = self.size.width
        left = " " + (self.hint or self.selection_text())
        middle = f"throttled: waiting {self.throttled:.0f}s" if self.throttled > 0 else ""
        right = self.quota + " "
        text = Text(left, no_wrap=True, overflow="crop")
        gap = width - cell_len(left) - cell_len(middle) - cell_len(right)
        if middle:
            text.pad_right(max(gap // 2, 1))
            text.append(middle, style="bold")
            text.pad_right(max(gap - gap // 2, 1))
        else:
            text.pad_right(max(gap, 1))
        text.append(right)
        return text
