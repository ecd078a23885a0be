"""A clock tests can move forward instead of sleeping."""

from __future__ import annotations

import threading
import time


class Clock:
    """Wall-clock time plus an adjustable offset.

    Every expiry in the emulator (tokens, device codes, upload sessions, download URLs)
    reads this clock, so ``emulator.clock.advance(3600)`` expires them without waiting.
    """

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        """Seconds since the epoch, as the emulator sees it."""
        return time.time() + self._offset

    def now_ms(self) -> int:
        """Milliseconds since the epoch, as the emulator sees it."""
        return int(self.now() * 1000)

    def advance(self, seconds: float) -> None:
        """Move the emulator's time forward (or back, with a negative value)."""
        with self._lock:
            self._offset += seconds
