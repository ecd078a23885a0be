"""Start the Textual app (imported only when no sub-command is given)."""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING

#: Seconds the demo gets after the app is gone to stop its emulator and save the drive.
DEMO_EXIT_DEADLINE = 15.0

if TYPE_CHECKING:
    from core.demo import DemoSession
    from tui.app import SkypaneApp


def run_tui(args: argparse.Namespace) -> int:
    if getattr(args, "demo", False) or getattr(args, "demo_reset", False):
        return run_demo(reset=bool(getattr(args, "demo_reset", False)))
    from tui.app import SkypaneApp

    app = SkypaneApp(welcome=True, handle_signals=True)
    app.run()
    return app.return_code or 0


def run_demo(*, reset: bool = False) -> int:
    """The TUI on a local emulated OneDrive for Business: no account, nothing of the user's.

    The demo's drive, configuration and journal live under ``data_dir()/demo``; its tokens
    only in memory, so each start shows the device-code sign-in (approved by the emulator
    itself after a few seconds).
    """
    from core.demo import start_demo

    print("skypane: starting the demo drive…", file=sys.stderr, flush=True)
    session = start_demo(reset=reset)
    try:
        app = demo_app(session)
        app.handle_signals = True
        app.exit_deadline = DEMO_EXIT_DEADLINE  # the demo drive is saved after the app ends
        app.run()
        return app.return_code or 0
    finally:
        session.stop()


def demo_app(session: DemoSession, *, left: str | None = None) -> SkypaneApp:
    """The app as ``--demo`` shows it: local folder left, the demo drive right."""
    from core.backend import BackendContext
    from core.demo import REMOTE
    from core.paths import Location
    from core.secrets import MemorySecrets
    from core.transfer import Journal
    from tui.app import SkypaneApp

    app = SkypaneApp(
        demo=True,
        config=session.config,
        context=BackendContext(secrets=MemorySecrets()),
        journal=Journal(session.folder / "journal.sqlite"),
        left=Location(None, left or os.getcwd()),
        right=Location(REMOTE, "/"),
    )
    approval = session.emulator.config.auto_approve_after
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
    return app
