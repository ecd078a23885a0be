"""The ``skypane`` command line: no sub-command opens the TUI; sub-commands run headless.

Each module in ``COMMAND_MODULES`` adds its sub-commands with ``register(subparsers)``;
a command's handler takes the parsed arguments and returns the exit code
(0 ok, 1 failure, 2 usage). Headless commands never import Textual.

Start-up imports only what the command line asks for: ``--version``, ``--help`` and a
mistyped command are answered from ``COMMANDS`` (names and one-line helps) without importing
any command module, and a command imports only the module that defines it (``skypane ls``
never loads the sign-in libraries).
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


#: Every sub-command: the module that registers it and its line in ``skypane --help``
#: (tests/cli/test_startup.py checks this against what the modules register).
COMMANDS: dict[str, tuple[str, str]] = {
    "remotes": ("tui.cli.files", "list configured remotes, or add one (remotes add)"),
    "ls": ("tui.cli.files", "list a folder (local path or remote:path)"),
    "hashsum": ("tui.cli.files", "QuickXorHash of files, like `rclone hashsum quickxor`"),
    "emulator": ("tui.cli.emulator", "serve a local Microsoft Graph + sign-in emulator over TLS"),
    "login": (
        "tui.cli.auth",
        "set up or sign in to a remote (OneDrive by device code, SFTP by SSH) and save it",
    ),
    "logout": ("tui.cli.auth", "sign out of a remote and delete its stored secrets"),
    "about": ("tui.cli.auth", "quota of a remote: used, total, deleted, free"),
    "cp": ("tui.cli.transfer", "copy files and folders (local paths or remote:path)"),
    "mv": (
        "tui.cli.transfer",
        "move: copy, verify, then delete the source (a rename within one drive)",
    ),
    "get": ("tui.cli.transfer", "download remote:path... into DEST (default: here)"),
    "put": ("tui.cli.transfer", "upload local paths into remote:DEST"),
    "rm": ("tui.cli.transfer", "delete files (to the trash where there is one)"),
    "mkdir": ("tui.cli.transfer", "create a folder (and its parents)"),
    "tree": ("tui.cli.transfer", "show a folder tree with sizes"),
    "info": ("tui.cli.transfer", "details of a file or folder (folder totals included)"),
    "jobs": ("tui.cli.transfer", "list transfer jobs in the journal"),
    "resume": ("tui.cli.transfer", "continue unfinished transfer jobs (all, or one by ID)"),
    "retry": ("tui.cli.transfer", "run the failed items of a finished job again"),
    "versions": ("tui.cli.versions", "list a file's versions; save, restore or delete one"),
    "cleanup": ("tui.cli.versions", "delete old file versions below a folder (dry run first)"),
    "link": (
        "tui.cli.links",
        "create a share link for remote:path (or list / revoke its links)",
    ),
    "search": ("tui.cli.find", "find files below a folder (local path or remote:path)"),
    "du": ("tui.cli.find", "folder sizes below a folder, biggest first (like ncdu)"),
    "compare": (
        "tui.cli.compare",
        "compare two folders (local paths or remote:path) without downloading",
    ),
    "mirror": (
        "tui.cli.compare",
        "make folder B like folder A (one way; deletions go to the trash)",
    ),
    "recycle": ("tui.cli.recycle", "list, restore or empty the recycle bin of a remote"),
}


def _command_word(argv: Sequence[str]) -> str | None:
    """The sub-command named in ``argv`` (the top-level options take no values)."""
    for word in argv:
        if word == "--":
            return None
        if not word.startswith("-"):
            return word
    return None


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; with ``command`` (a key of ``COMMANDS``) its module registers its
    commands in full, and every other command is listed by name and help only. Without
    one, every module registers (all options of every command)."""
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
    if command is None:
        for name in COMMAND_MODULES:
            importlib.import_module(name).register(sub)
        return parser
    module = COMMANDS[command][0] if command in COMMANDS else None
    for name, (owner, help_text) in COMMANDS.items():
        if owner != module:
            sub.add_parser(name, help=help_text, add_help=False)
        elif name not in sub.choices:  # the module's first command: it adds them all
            importlib.import_module(module).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["emulator"]:
        # The emulator has a parser of its own; hand it every word after the sub-command
        # (argparse's REMAINDER would stop at the first option).
        from core.emulator.cli import main as emulator_main

        return int(emulator_main(argv[1:]))
    parser = build_parser(_command_word(argv) or "")
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
    except EOFError:  # a question met the end of input (Ctrl-D, or stdin closed)
        print("\nskypane: no answer given (end of input); nothing more was done", file=sys.stderr)
        return 1
    except ConfigError as exc:
        print(f"skypane: {_safe_name(str(exc))}", file=sys.stderr)
        return 2 if "unknown remote" in str(exc) else 1
    except SkypaneError as exc:
        print(f"skypane: {_safe_name(str(exc))}", file=sys.stderr)
        return 1
    except OSError as exc:  # a folder skypane needs cannot be made or read: say which
        if isinstance(exc.__context__, BrokenPipeError):
            return _pipe_closed()
        where = f": {exc.filename}" if exc.filename else ""
        print(f"skypane: {exc.strerror or exc}{_safe_name(where)}", file=sys.stderr)
        return 1
    except Exception as exc:
        # SIGTERM, SIGHUP or Ctrl-C: stopped safely, said so already. ``tui.stop`` (asyncio,
        # threads) is only loaded by the commands that can stop that way, so --version does
        # not pay for it: if it is not loaded, this is not a ``Stopped``.
        stop = sys.modules.get("tui.stop")
        if stop is not None and isinstance(exc, stop.Stopped):
            return int(exc.code)
        raise


#: The status of a command whose reader went away (``skypane ls | head``): what a shell
#: reports for a process ended by SIGPIPE, as cat and ls end.
EXIT_PIPE_CLOSED = 128 + 13


def _pipe_closed() -> int:
    """The reader of stdout closed the pipe: stop quietly, and keep Python's final flush
    of stdout from reporting the same broken pipe once more on the way out."""
    with contextlib.suppress(OSError, ValueError):  # ValueError: stdout is not a file
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return EXIT_PIPE_CLOSED


def _safe_name(text: str) -> str:
    """``core.names.display``, imported when an error is printed (not for ``--version``)."""
    from core.names import display

    return display(text)
