"""Start the Textual app (imported only when no sub-command is given)."""

from __future__ import annotations

import argparse


def run_tui(args: argparse.Namespace) -> int:
    from tui.app import SkypaneApp

    app = SkypaneApp(demo=bool(getattr(args, "demo", False)), welcome=True)
    app.run()
    return app.return_code or 0
