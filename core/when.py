"""Dates typed by people: ``90d`` / ``2w`` / ``6m`` / ``1y`` or ``2025-01-31`` (or ISO date-times).

Share-link expiry looks forward, version clean-up cut-offs look back; both read the same
forms so the dialogs and the command line agree.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

from core.errors import ConfigError

_AGE = re.compile(r"^\s*(\d+)\s*([hdwmy])\s*$", re.IGNORECASE)
_HOURS = {"h": 1, "d": 24, "w": 24 * 7, "m": 24 * 30, "y": 24 * 365}
FORMS = "an age (12h, 90d, 12w, 6m, 1y) or a date (2025-01-31)"


def _age(text: str) -> timedelta | None:
    match = _AGE.match(text)
    if not match:
        return None
    return timedelta(hours=int(match.group(1)) * _HOURS[match.group(2).lower()])


def _date(text: str, now: datetime, end_of_day: bool) -> datetime:
    value = text.strip()
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"{text!r} is neither {FORMS}") from None
    if len(value) == 10 and end_of_day:  # a bare date: the whole day counts
        when = datetime.combine(when.date(), time(23, 59, 59))
    if when.tzinfo is None:
        when = when.replace(tzinfo=now.tzinfo)
    return when


def parse_cutoff(text: str, now: datetime) -> datetime:
    """A moment in the past: ``90d`` is 90 days before ``now``; a date is its midnight."""
    age = _age(text)
    return now - age if age is not None else _date(text, now, end_of_day=False)


def parse_expiry(text: str, now: datetime) -> datetime:
    """A moment in the future: ``7d`` is 7 days after ``now``; a date lasts to its end.

    ``ConfigError`` when the text is not understood or not after ``now``.
    """
    age = _age(text)
    when = now + age if age is not None else _date(text, now, end_of_day=True)
    if when <= now:
        raise ConfigError(f"expiry {text!r} is not in the future")
    return when
