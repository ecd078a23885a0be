"""TerminalAsker: a backend's setup questions asked on the command line.

Questions and prompts go to standard error (standard output keeps the results); secrets are
read without echo (``getpass``, from the terminal). Where standard input is not a terminal
nothing can be asked: a question then fails with ``NotInteractive`` naming what was needed,
and a choice takes the source's default when it has one.
"""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from typing import TextIO

from core.names import display
from core.setup import (
    Cancelled,
    Choice,
    ChoiceSource,
    DeviceCodeFlow,
    DeviceCodeStarter,
    NotInteractive,
    SignInOutcome,
)


def qr_text(url: str) -> str:
    """The URL as a QR code drawn with block characters, two modules per line."""
    import io

    import segno

    out = io.StringIO()
    segno.make(url, error="L", micro=False).terminal(out=out, border=2, compact=True)
    return out.getvalue()


def wait_for(flow: DeviceCodeFlow, ready: Callable[[], None] = lambda: None) -> SignInOutcome:
    """Poll in a thread while the main thread waits for it or for Ctrl-C.

    Ctrl-C cancels the flow from a signal handler rather than by a ``KeyboardInterrupt``
    alone: an interrupt that lands while a finaliser runs (a socket or response being
    collected) is printed and dropped by Python, and the login would then wait for the
    code to expire. ``ready`` runs once the handler is in place (it tells the person that
    Ctrl-C cancels: one pressed earlier would go to asyncio's own handler, which can only
    cancel at the next ``await``). Raises ``KeyboardInterrupt`` once the poller is stopped.
    """
    done = threading.Event()
    interrupted = threading.Event()

    def on_interrupt(_signum: int, _frame: object) -> None:
        interrupted.set()
        flow.cancel()

    def poll() -> None:
        flow.poll()
        done.set()

    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGINT, on_interrupt)
    try:
        ready()
        threading.Thread(target=poll, name="device-code-poll", daemon=True).start()
        while not done.wait(0.2) and not interrupted.is_set():
            pass
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    if interrupted.is_set():
        raise KeyboardInterrupt
    outcome = flow.outcome
    return outcome if outcome is not None else Cancelled()


@contextlib.contextmanager
def interruptible() -> Iterator[None]:
    """Ctrl-C raises ``KeyboardInterrupt`` at once while a prompt blocks: asyncio's own
    handler (the setup runs under ``asyncio.run``) would only cancel at the next ``await``,
    after the person pressed Enter."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


class TerminalAsker:
    """``core.setup.Asker`` on a terminal. ``interactive`` defaults to whether standard
    input is a terminal; ``draw_qr`` draws the device code's address as a QR code."""

    def __init__(
        self,
        *,
        interactive: bool | None = None,
        draw_qr: bool = True,
        out: TextIO | None = None,
        err: TextIO | None = None,
    ) -> None:
        self.interactive = sys.stdin.isatty() if interactive is None else interactive
        self.draw_qr = draw_qr
        self.out = out or sys.stdout
        self.err = err or sys.stderr

    def _need(self, what: str) -> None:
        if not self.interactive:
            raise NotInteractive(f"{what}: cannot ask, standard input is not a terminal")

    def _say(self, text: str) -> None:
        print(text, file=self.err, flush=True)

    def _line(self, prompt: str) -> str | None:
        self.err.write(prompt)
        self.err.flush()
        with interruptible():
            line = sys.stdin.readline()
        return line.rstrip("\n") if line else None

    async def confirm(self, title: str, text: str, *, yes: str = "Yes", no: str = "No") -> bool:
        self._need(title)
        self._say(f"{title}\n{text}")
        while True:
            answer = self._line(f"{yes}? (yes/no): ")
            if answer is None:
                return False
            word = answer.strip().lower()
            if word in ("yes", "y"):
                return True
            if word in ("no", "n", ""):
                return False
            self._say("Please type yes or no.")

    async def secret(self, title: str, prompt: str, *, echo: bool = False) -> str | None:
        self._need(title)
        if title and title not in prompt:
            self._say(title)
        text = prompt if prompt.endswith(" ") else prompt + " "
        try:
            if echo:
                answer = self._line(text)
            else:
                with interruptible():
                    answer = getpass.getpass(text, stream=self.err)
        except EOFError:
            return None
        return answer

    async def choose(self, source: ChoiceSource) -> Choice | None:
        default = await source.default()
        if not self.interactive:
            if default is not None:
                return default
            mode = source.modes[0]
            items = await source.lookup(mode.key, "") if not mode.placeholder else []
            names = "; ".join(f"{c.label} <{c.detail}>" if c.detail else c.label for c in items)
            raise NotInteractive(
                f"{source.title}: several to choose from ({names or 'none listed'}); "
                "cannot ask, standard input is not a terminal"
            )
        title = source.title
        mode = source.modes[0]
        items = await source.lookup(mode.key, "") if not mode.placeholder else []
        while True:
            if len(items) == 1 and not items[0].opens:
                return items[0]
            if not items:
                return default
            picked = self._pick(title, items)
            if picked is None:
                return None
            if not picked.opens:
                return picked
            title, items = await source.open(picked)

    def _pick(self, title: str, items: list[Choice]) -> Choice | None:
        self._say(title + ":")
        for i, item in enumerate(items, 1):
            kind = f" ({item.kind})" if item.kind else ""
            self._say(f"  {i}) {item.prefix}{display(item.label)}{kind}")
            if item.detail:
                self._say(f"       {item.detail}")
        while True:
            answer = self._line("number [1]: ")
            if answer is None:
                return None
            text = answer.strip() or "1"
            if text.isdigit() and 1 <= int(text) <= len(items):
                return items[int(text) - 1]

    async def device_code(
        self,
        starter: DeviceCodeStarter,
        *,
        remote: str = "",
        reason: str | None = None,
        note: str | None = None,
    ) -> SignInOutcome:
        flow = starter.start_device_flow()
        for line in (reason, note):
            if line:
                print(line, file=self.out)
        local = flow.expires_at.astimezone().strftime("%H:%M")
        print(
            f"To sign in, open {flow.verification_uri} on any device and enter the code:",
            file=self.out,
        )
        print(f"\n    {flow.user_code}\n", file=self.out)
        if self.draw_qr and flow.verification_uri:
            print("Or scan this QR code to open the page:", file=self.out)
            print(qr_text(flow.verification_uri), end="", file=self.out)
        task = asyncio.current_task()

        def waiting() -> None:
            if task is not None and task.cancelling():
                raise KeyboardInterrupt  # Ctrl-C came while the code was being asked for
            print(
                f"Waiting for approval (the code expires at {local}; Ctrl-C cancels)...",
                file=self.out,
                flush=True,
            )

        try:
            return wait_for(flow, waiting)
        except KeyboardInterrupt:
            flow.cancel()  # the poller stops at once; nothing was stored
            raise


__all__ = ["TerminalAsker", "qr_text", "wait_for"]
