"""The ``skypane`` command line: no sub-command opens the TUI; sub-commands run headless.

Each module in ``COMMAND_MODULES`` adds its sub-commands with ``register(subparsers)``;
a command's handler takes the parsed arguments and returns the exit code
(0 ok, 1 failure, 2 usage). Headless commands never import Textual.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
from collections.abc import Sequence

from core import __version__
from core.errors import ConfigError, SkypaneError
from core.names import display as safe_name
from tui.stop import Stopped

COMMAND_MODULES = (
    "tui.cli.files",
    "tui.cli.emulator",
    "tui.cli.auth",
    "tui.cli.transfer",
    "tui.cli.versions",
    "tui.cli.links",
    "tui.cli.find",
    "tui.cli.compare",
    "tui.cli.recycle",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="skypane",
        description="A two-pane terminal file manager for OneDrive and SharePoint.",
    )
    parser.add_argument("--version", action="version", version=f"skypane {__version__}")
    parser.add_argument("--demo", action="store_true", help="open the TUI on a local demo drive")
    parser.add_argument(
        "--demo-reset", action="store_true", help="with --demo: start the demo drive over"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["emulator"]:
        # The emulator has a parser of its own; hand it every word after the sub-command
        # (argparse's REMAINDER would stop at the first option).
        from core.emulator.cli import main as emulator_main

        return int(emulator_main(argv[1:]))
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    try:
        if handler is None:
            from tui.run import run_tui

            return run_tui(args)
        return int(handler(args))
    except BrokenPipeError:
        return _pipe_closed()
    except KeyboardInterrupt:
        print("skypane: interrupted", file=sys.stderr)
        return 130
    except Stopped as stopped:  # SIGTERM, SIGHUP or Ctrl-C: stopped safely, said so already
        return stopped.code
    except EOFError:  # a question met the end of input (Ctrl-D, or stdin closed)
        print("\nskypane: no answer given (end of input); nothing more was done", file=sys.stderr)
        return 1
    except ConfigError as exc:
        print(f"skypane: {safe_name(str(exc))}", file=sys.stderr)
        return 2 if "unknown remote" in str(exc) else 1
    except SkypaneError as exc:
        print(f"skypane: {safe_name(str(exc))}", file=sys.stderr)
        return 1
    except OSError as exc:  # a folder skypane needs cannot be made or read: say which
        if isinstance(exc.__context__, BrokenPipeError):
            return _pipe_closed()
        where = f": {exc.filename}" if exc.filename else ""
        print(f"skypane: {exc.strerror or exc}{safe_name(where)}", file=sys.stderr)
        return 1


#: The status of a command whose reader went away (``skypane ls | head``): what a shell
#: reports for a process ended by SIGPIPE, as cat and ls end.
EXIT_PIPE_CLOSED = 128 + 13


def _pipe_closed() -> int:
    """The reader of stdout closed the pipe: stop quietly, and keep Python's final flush
    of stdout from reporting the same broken pipe once more on the way out."""
    with contextlib.suppress(OSError, ValueError):  # ValueError: stdout is not a file
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return EXIT_PIPE_CLOSED
