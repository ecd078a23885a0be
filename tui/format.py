"""Short, fixed-width texts for sizes, times and names as the panes show them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import humanize

from core.model import Entry
from core.names import misleading
from tui.cli.common import safe_name

__all__ = [
    "Clock",
    "cannot_open",
    "fmt_count",
    "fmt_datetime",
    "fmt_mtime",
    "fmt_mtime_short",
    "fmt_size",
    "fmt_size_short",
    "fmt_speed",
    "safe_name",
    "system_clock",
]

#: Returns "now" as an aware datetime; the app passes one down so snapshots can fix time.
Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


def cannot_open(entry: Entry) -> str | None:
    """Why a listed entry cannot be opened, viewed or edited by its path (its name is
    ``..``, holds a ``/`` …: the path would lead elsewhere), or None."""
    reason = misleading(entry.name)
    if reason is None:
        return None
    return f"cannot open '{safe_name(entry.name)}': {reason}"


def fmt_size(size: int | None) -> str:
    """At most 6 cells: ``123B``, ``1.2K``, ``34.5M``."""
    if size is None:
        return "-"
    return str(humanize.naturalsize(size, gnu=True))


def fmt_size_short(size: int | None) -> str:
    """At most 5 cells, for a narrow pane: ``123B``, ``1.2K``, ``34.5M``, ``300M``."""
    text = fmt_size(size)
    if len(text) <= 5:
        return text
    whole, _, _ = text.partition(".")
    return whole + text[-1]


def fmt_size_long(size: int | None) -> str:
    if size is None:
        return "-"
    return str(humanize.naturalsize(size, binary=True))


def fmt_speed(rate: float | None) -> str:
    if not rate:
        return "-"
    return f"{humanize.naturalsize(rate, binary=True)}/s"


def fmt_count(n: int) -> str:
    return humanize.intcomma(n)


def fmt_datetime(when: datetime | None, now: datetime) -> str:
    """16 cells: ``2025-06-15 12:00`` in the local zone of ``now``."""
    return when.astimezone(now.tzinfo).strftime("%Y-%m-%d %H:%M") if when else ""


def fmt_mtime(when: datetime | None, now: datetime) -> str:
    """12 cells: relative within a day, ``Mar 05 14:22`` within the year, ``Mar 05  2023`` before.

    Relative times read best for what just changed; older entries need the date itself,
    as ``ls -l`` shows it.
    """
    if when is None:
        return ""
    age = now - when
    if timedelta(0) <= age < timedelta(days=1):
        text = str(humanize.naturaltime(age))
        return text.replace("minutes", "min").replace("seconds", "sec")
    local = when.astimezone(now.tzinfo)
    if abs(age) < timedelta(days=180):
        return local.strftime("%b %d %H:%M")
    return local.strftime("%b %d  %Y")


def fmt_mtime_short(when: datetime | None, now: datetime) -> str:
    """6 cells, for a narrow pane: ``14:22`` today, ``Mar 05`` within half a year, the year
    before, as mc and ``ls -l`` shorten them."""
    if when is None:
        return ""
    local = when.astimezone(now.tzinfo)
    if local.date() == now.date():
        return local.strftime("%H:%M")
    if abs(now - when) < timedelta(days=180):
        return local.strftime("%b %d")
    return local.strftime("%Y")


def fmt_eta(seconds: float | None) -> str:
    if seconds is None or seconds < 0:
        return "-"
    seconds = int(seconds + 0.5)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
