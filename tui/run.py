"""Start the Textual app (imported only when no sub-command is given)."""

from __future__ import annotations

import argparse
import os
import sys


def run_tui(args: argparse.Namespace) -> int:
    if getattr(args, "demo", False) or getattr(args, "demo_reset", False):
        return run_demo(reset=bool(getattr(args, "demo_reset", False)))
    from tui.app import SkypaneApp

    app = SkypaneApp(welcome=True)
    app.run()
    return app.return_code or 0


def run_demo(*, reset: bool = False) -> int:
    """The TUI on a local emulated OneDrive for Business: no account, nothing of the user's.

    The demo's drive, configuration and journal live under ``data_dir()/demo``; its tokens
    only in memory, so each start shows the device-code sign-in (approved by the emulator
    itself after a few seconds).
    """
    from core.backend import BackendContext
    from core.demo import AUTO_APPROVE_AFTER, REMOTE, start_demo
    from core.paths import Location
    from core.secrets import MemorySecrets
    from core.transfer import Journal

    print("skypane: starting the demo drive…", file=sys.stderr, flush=True)
    session = start_demo(reset=reset)
    try:
        from tui.app import SkypaneApp

        app = SkypaneApp(
            demo=True,
            config=session.config,
            context=BackendContext(secrets=MemorySecrets()),
            journal=Journal(session.folder / "journal.sqlite"),
            left=Location(None, os.getcwd()),
            right=Location(REMOTE, "/"),
        )
        app.sign_in_notes[REMOTE] = (
            "This is skypane's demo: a OneDrive for Business emulated on this machine. "
            f"It approves the code by itself in {AUTO_APPROVE_AFTER:g} seconds; with a real "
            "account you open the address on your phone, type the code and sign in."
        )
        app.run()
        return app.return_code or 0
    finally:
        session.stop()
