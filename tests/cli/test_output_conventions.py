"""What scripts expect of the command line's output: a closed pipe ends quietly, -q prints
only errors, one summary line, mkdir and rm silent unless -v."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tui.cli import EXIT_PIPE_CLOSED, main

Capture = pytest.CaptureFixture[str]


def test_a_reader_that_stops_early_ends_the_command_quietly(tmp_path: Path) -> None:
    for i in range(12000):  # 180 KB of names: far more than a 64 KiB pipe buffer
        (tmp_path / f"file-{i:05d}.txt").touch()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui", "ls", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline() == b"file-00000.txt\n"
    proc.stdout.close()  # as `| head -1` does
    err = proc.stderr.read()
    assert proc.wait(timeout=120) == EXIT_PIPE_CLOSED == 141
    assert err == b""  # no "Broken pipe", no traceback


@pytest.fixture
def source(tmp_path: Path) -> Path:
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "a.txt").write_bytes(b"a" * 1000)
    (folder / "b.txt").write_bytes(b"b" * 2000)
    return folder


def test_a_copy_without_a_terminal_prints_its_summary_once(
    source: Path, tmp_path: Path, capsys: Capture
) -> None:
    assert main(["cp", str(source), str(tmp_path / "dest")]) == 0
    out, err = capsys.readouterr()
    summary = [line for line in err.splitlines() if " done" in line]
    assert len(summary) == 1, err
    assert out == ""


def test_quiet_prints_nothing_when_all_went_well(
    source: Path, tmp_path: Path, capsys: Capture
) -> None:
    assert main(["cp", "-q", str(source), str(tmp_path / "dest")]) == 0
    assert capsys.readouterr() == ("", "")


def test_quiet_still_prints_errors(tmp_path: Path, capsys: Capture) -> None:
    assert main(["cp", "-q", str(tmp_path / "missing.txt"), str(tmp_path / "dest")]) != 0
    out, err = capsys.readouterr()
    assert out == "" and "missing.txt" in err


def test_mkdir_and_rm_are_silent(tmp_path: Path, capsys: Capture) -> None:
    folder = tmp_path / "new" / "deeper"
    assert main(["mkdir", str(folder)]) == 0
    (folder / "f.txt").write_text("x")
    assert main(["rm", "--permanent", "--yes", str(folder / "f.txt")]) == 0
    assert capsys.readouterr() == ("", "")
    assert folder.is_dir() and not (folder / "f.txt").exists()


def test_mkdir_and_rm_say_what_they_did_with_v(tmp_path: Path, capsys: Capture) -> None:
    folder = tmp_path / "new"
    assert main(["mkdir", "-v", str(folder)]) == 0
    (folder / "f.txt").write_text("x")
    assert main(["rm", "-v", "--permanent", "--yes", str(folder / "f.txt")]) == 0
    summary = [line for line in capsys.readouterr().err.splitlines() if " done" in line]
    assert len(summary) == 2
