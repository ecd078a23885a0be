"""Downloaded and copied files get the modes cp gives (CLI, TLS emulator).

Before: every written file was 0600, and overwriting a 0644 file made it 0600.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.emulator import RunningServer
from tui.cli import main


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_download_follows_the_umask_and_an_overwrite_keeps_the_mode(
    tmp_path: Path, remote: RunningServer, umask_022: None, capsys: pytest.CaptureFixture[str]
):
    remote.emulator.put_file("d/new.txt", b"new")
    remote.emulator.put_file("d/old.txt", b"replacement")
    down = tmp_path / "down"
    down.mkdir()
    (down / "old.txt").write_bytes(b"old")
    (down / "old.txt").chmod(0o640)

    assert main(["get", "--conflict=overwrite", "em:d/new.txt", "em:d/old.txt", str(down)]) == 0
    capsys.readouterr()

    assert mode(down / "new.txt") == 0o644
    assert (down / "old.txt").read_bytes() == b"replacement" and mode(down / "old.txt") == 0o640


def test_a_local_copy_keeps_a_private_file_private(tmp_path: Path, umask_022: None):
    (tmp_path / "secret").write_bytes(b"a")
    (tmp_path / "secret").chmod(0o600)
    (tmp_path / "tool").write_bytes(b"#!/bin/sh\n")
    (tmp_path / "tool").chmod(0o775)
    dst = tmp_path / "dst"
    assert main(["cp", str(tmp_path / "secret"), str(tmp_path / "tool"), str(dst)]) == 0
    assert mode(dst / "secret") == 0o600 and mode(dst / "tool") == 0o755
