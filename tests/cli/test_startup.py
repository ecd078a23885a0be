"""Start-up: ``--version`` and ``--help`` import no command module, and a command imports
only the module that defines it (measured with ``python -X importtime`` in a fresh process)."""

from __future__ import annotations

import argparse
import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.isolation import private_home
from tui.cli import COMMAND_MODULES, COMMANDS, build_parser

#: Never needed to print the version or the help.
HEAVY = ("msal", "keyring", "asyncio", "textual", "httpx", "tomlkit", "humanize", "requests")
#: Sign-in libraries: only the commands that sign in (or talk to a drive) need them.
SIGN_IN = ("msal", "keyring", "textual")


def imported(argv: list[str], home: Path) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run ``skypane ARGV`` as the console script does; the top-level packages it imported."""
    code = "import sys; from tui.__main__ import main; sys.exit(main())"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPYCACHEPREFIX"}
    env |= private_home(home)
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code, *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    names = set()
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    assert names, f"no -X importtime lines: {proc.stderr[-2000:]}"
    return proc, names


@pytest.mark.parametrize("flag", ["--version", "--help"])
def test_version_and_help_import_no_command_module(flag: str, tmp_path: Path) -> None:
    proc, names = imported([flag], tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.startswith("skypane " if flag == "--version" else "usage: skypane")
    assert not names & set(HEAVY), f"{flag} imported {sorted(names & set(HEAVY))}"
    assert "tui.cli.files" not in proc.stderr and "tui.cli.auth" not in proc.stderr


def test_help_lists_every_command(tmp_path: Path) -> None:
    proc, _ = imported(["--help"], tmp_path)
    for name in COMMANDS:
        assert f"    {name} " in proc.stdout, name


def test_a_mistyped_command_is_refused_without_importing_commands(tmp_path: Path) -> None:
    proc, names = imported(["lss", "/"], tmp_path)
    assert proc.returncode == 2
    assert "invalid choice: 'lss'" in proc.stderr
    assert not names & set(HEAVY)


def test_ls_of_a_local_folder_loads_no_sign_in_library(tmp_path: Path) -> None:
    (tmp_path / "here").mkdir()
    (tmp_path / "here" / "a.txt").write_text("a")
    proc, names = imported(["ls", str(tmp_path / "here")], tmp_path / "home")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "a.txt" in proc.stdout
    assert not names & set(SIGN_IN), f"ls imported {sorted(names & set(SIGN_IN))}"


def test_a_command_still_parses_all_its_options(tmp_path: Path) -> None:
    proc, _ = imported(["login", "--help"], tmp_path)
    assert proc.returncode == 0
    assert "--client-id" in proc.stdout and "--site" in proc.stdout


def test_command_table_matches_what_the_modules_register() -> None:
    """``COMMANDS`` (used for --help without importing) must name every registered command,
    with its module and its help line; a command added to a module must be added there."""
    owners: dict[str, str] = {}
    for module in COMMAND_MODULES:
        sub = argparse.ArgumentParser().add_subparsers()
        importlib.import_module(module).register(sub)
        owners |= dict.fromkeys(sub.choices, module)
    assert owners == {name: module for name, (module, _) in COMMANDS.items()}
    # The help built from the table is the help the modules' own registrations give.
    assert build_parser("").format_help() == build_parser().format_help()


def test_full_parser_still_builds() -> None:
    parser = build_parser()
    args = parser.parse_args(["cp", "a", "b"])
    assert args.handler is not None
