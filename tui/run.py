"""Start the Textual app (imported only when no sub-command is given)."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import threading
import time
from typing import TYPE_CHECKING

#: Seconds the demo gets after the app is gone to stop its emulator and save the drive.
DEMO_EXIT_DEADLINE = 15.0
#: Seconds a failure of the demo's emulator waits for the app to start, to be shown there.
WATCH_PATIENCE = 60.0

if TYPE_CHECKING:
    from core.demo import DemoSession
    from tui.app import SkypaneApp


#: Textual draws at most this many frames a second (its default is 60). A key's effect often
#: takes two frames (the list's row, then the status bar its message updates), and the second
#: waits for the next frame slot: at 60 up to 16.7 ms, at 120 up to 8.3 ms. Frames are only
#: drawn when something changed, so an idle screen costs nothing more.
MAX_FPS = "120"


def run_tui(args: argparse.Namespace) -> int:
    # Read by textual.constants when Textual is first imported, which is below.
    os.environ.setdefault("TEXTUAL_FPS", MAX_FPS)
    if getattr(args, "demo", False) or getattr(args, "demo_reset", False):
        return run_demo(reset=bool(getattr(args, "demo_reset", False)))
    from tui.app import SkypaneApp

    app = SkypaneApp(welcome=True, handle_signals=True)
    app.run()
    return end_now(app.return_code or 0)


def run_demo(*, reset: bool = False) -> int:
    """The TUI on a local emulated OneDrive for Business: no account, nothing of the user's.

    The demo's drive, configuration and journal live under ``data_dir()/demo``; its tokens
    only in memory, so each start shows the device-code sign-in (approved by the emulator
    itself after a few seconds). The emulator loads in its own process while the app draws
    its first frame; the app's first requests wait until it answers.
    """
    from core.demo import start_demo

    session = start_demo(reset=reset)
    try:
        app = demo_app(session)
        app.handle_signals = True
        app.exit_deadline = DEMO_EXIT_DEADLINE  # the demo drive is saved after the app ends
        threading.Thread(
            target=_tell_if_it_fails, args=(session, app), name="demo-watch", daemon=True
        ).start()
        app.run()
        code = app.return_code or 0
    finally:
        failed = session.process.poll() not in (None, 0)  # before the app let it go
        session.stop()
    if failed:
        print(f"skypane: the demo's emulator failed:\n{session.log_tail()}", file=sys.stderr)
    return end_now(code)


def _tell_if_it_fails(session: DemoSession, app: SkypaneApp) -> None:
    """The demo's emulator ending before the app lets it go: say why on screen (sign-in and
    listing would otherwise only say the service cannot be reached)."""
    from core.demo import LOG, REMOTE

    if not session.process.wait():
        return  # let go: it saved the drive and ended
    tail = session.log_tail().splitlines()
    why = tail[-1] if tail else f"exit status {session.process.returncode}"
    # It may fail before the app has started: the notice waits for the app to run.
    deadline = time.monotonic() + WATCH_PATIENCE
    while not app.is_running and time.monotonic() < deadline:
        time.sleep(0.05)
    text = f"The demo's emulator stopped: {why} (its log: {session.folder / LOG})"

    def tell() -> None:
        if app.sign_in_again is not None:  # its sign-in can no longer work: no dialog for it
            app.sign_in_again.stop_asking(REMOTE, text)
        app.notify(text, title="skypane demo", severity="error", timeout=60, markup=False)

    with contextlib.suppress(RuntimeError):  # the app is gone already
        app.call_from_thread(tell)


def end_now(code: int) -> int:
    """End the process once the app is gone, without the interpreter's tear-down.

    By now transfers have stopped, leases are released and every journal write is committed
    (each is its own WAL transaction, which survives the process ending at any point), the
    terminal is restored and the demo drive saved. What Python would still do is free the
    objects of some hundreds of modules one by one: a fifth of a second of the quit, for
    nothing. A worker thread still running (a write finishing in the kernel) is waited for
    as usual: then ``code`` is returned (``SkypaneApp.exit_deadline`` bounds that wait).
    """
    others = [t for t in threading.enumerate() if t is not threading.current_thread()]
    if any(t.is_alive() and not t.daemon for t in others):
        return code
    logging.shutdown()  # log handlers flushed and closed, as at a normal exit
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # a closed or broken stream: nothing to flush
            stream.flush()
    os._exit(code)


def demo_app(session: DemoSession, *, left: str | None = None) -> SkypaneApp:
    """The app as ``--demo`` shows it: local folder left, the demo drive right."""
    from core.backend import BackendContext
    from core.demo import REMOTE
    from core.paths import Location
    from core.secrets import MemorySecrets
    from core.transfer import Journal
    from tui.app import SkypaneApp
    from tui.dialogs.sign_in_again import SignInAgain

    context = BackendContext(secrets=MemorySecrets())
    app = SkypaneApp(
        demo=True,
        config=session.config,
        context=context,
        journal=Journal(session.folder / "journal.sqlite"),
        left=Location(None, left or os.getcwd()),
        right=Location(REMOTE, "/"),
    )
    approval = session.auto_approve_after
    by_itself = (
        f"It approves the code by itself in {approval:g} seconds; with"
        if approval is not None
        else "With"
    )
    app.sign_in_notes[REMOTE] = (
        "This is skypane's demo: a OneDrive for Business emulated on this machine. "
        f"{by_itself} a real account you open the address on your phone, type the code and "
        "sign in."
    )
    sign_in = context.on_auth_required
    if isinstance(sign_in, SignInAgain):
        # Nobody approved it on a phone: the drive appearing says it worked.
        sign_in.close_after[REMOTE] = 0.0
    return app
