"""Stopping on a signal: SIGTERM and SIGHUP end skypane the way Ctrl-C does.

A signal asks for a safe stop: running transfers stop at a chunk boundary (or are cancelled
where they wait after ``GRACE`` seconds), the journal keeps where they were, part files stay
for the resume, the terminal is restored, and the exit status is 128 + the signal's number
(130 Ctrl-C, 143 SIGTERM, 129 SIGHUP), as a shell reports a process the signal ended.

One thing no safe stop can end is a thread blocked in the kernel (a read from a hung network
file system): Python waits for every worker thread before it exits. ``exit_within`` arms a
daemon timer that ends the process with the right status if the orderly exit has not finished
by then, so such a thread costs at most a second or two.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable

#: The signals that stop skypane safely.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
#: Seconds running transfers get to stop at a chunk boundary before they are cancelled.
GRACE = 1.0
#: Seconds the orderly exit (closing connections, the journal, the terminal) may take once
#: transfers have stopped, before the process ends regardless.
AFTER = 0.6
#: Seconds from the signal after which the process ends whatever it is doing.
CEILING = 5.0


def exit_code(signum: int) -> int:
    """The exit status that says "ended by this signal" (as a shell reports it)."""
    return 128 + int(signum)


def signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


class Stopped(Exception):
    """A command stopped safely on a signal; ``code`` is the exit status to return."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal_name(signum))
        self.signum = signum
        self.code = exit_code(signum)


def exit_within(seconds: float, code: int) -> threading.Timer:
    """End the process with ``code`` in ``seconds`` unless it has exited by then.

    A daemon timer keeps running while the interpreter waits for non-daemon threads at exit,
    so a worker thread stuck in a system call cannot hold the process.
    """

    def _now() -> None:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(code)

    timer = threading.Timer(seconds, _now)
    timer.daemon = True
    timer.name = "skypane-exit"
    timer.start()
    return timer


class SignalStop:
    """Turns the stop signals into a request on an asyncio loop.

    The first signal calls ``on_stop`` and arms the ``ceiling``; a second one ends the
    process at once (``on_again`` first, to put the terminal back), as a second Ctrl-C does,
    unless ``again_ends_now`` is off (a full-screen app that must restore the terminal).
    """

    def __init__(
        self,
        on_stop: Callable[[int], None],
        *,
        signals: tuple[int, ...] = STOP_SIGNALS,
        on_again: Callable[[], None] | None = None,
        ceiling: float = CEILING,
        again_ends_now: bool = True,
    ) -> None:
        self.on_stop = on_stop
        self.ceiling = ceiling
        self.again_ends_now = again_ends_now
        self.on_again = on_again
        self.signals = signals
        self.signum: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def install(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self._loop = loop or asyncio.get_running_loop()
        for sig in self.signals:
            self._loop.add_signal_handler(sig, self._received, sig)

    def remove(self) -> None:
        if self._loop is None:
            return
        for sig in self.signals:
            with contextlib.suppress(Exception):
                self._loop.remove_signal_handler(sig)
        self._loop = None

    @property
    def code(self) -> int | None:
        return None if self.signum is None else exit_code(self.signum)

    def _received(self, signum: int) -> None:
        if self.signum is not None:
            if not self.again_ends_now:
                return  # the stop under way (and the ceiling) will end it
            if self.on_again is not None:
                with contextlib.suppress(Exception):
                    self.on_again()
            print(f"\nskypane: {signal_name(signum)} again: ending now", file=sys.stderr)
            sys.stderr.flush()
            os._exit(exit_code(self.signum))
        self.signum = signum
        exit_within(self.ceiling, exit_code(signum))
        self.on_stop(signum)
