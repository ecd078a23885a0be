"""``skypane emulator``: serve the local Microsoft Graph emulator."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser(
        "emulator",
        help="serve a local Microsoft Graph + sign-in emulator over TLS",
        add_help=False,
    )
    # Listed here for `skypane --help`; main() hands `skypane emulator ...` to the
    # emulator's own parser before this one sees it.
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from core.emulator.cli import main as emulator_main

    return int(emulator_main(list(args.rest)))
