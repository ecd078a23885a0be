"""Shared by the command-line tests of #21/#22: the real ``skypane`` in its own process, a
remote signed in to the TLS emulator, and folders holding what a home or build tree holds
besides files (a named pipe, a UNIX socket, device nodes where allowed, a link to the pipe)."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from core.config import load_config
from core.emulator import RunningServer, start_server
from tests.emulator_fixtures import make_emulator
from tui.cli import main

ROOT = Path(__file__).resolve().parents[2]
CLIENT_ID = "00000000-0000-0000-0000-00000000c0de"


@contextmanager
def signed_in_remote(name: str = "em", **options: object) -> Iterator[RunningServer]:
    """A remote ``name`` signed in (device code, auto-approved) to a fresh TLS emulator, with
    extra ``options`` (``chunk_size=…``) in its config; config and tokens in the test's home."""
    server = start_server(make_emulator("personal", auto_approve_after=0))
    try:
        args = ["login", name, "--client-id", CLIENT_ID, "--authority", server.authority]
        args += ["--graph-url", server.graph_url, "--ca-bundle", str(server.ca_bundle)]
        if main(args) != 0:
            raise RuntimeError("skypane login against the emulator failed")
        if options:
            config = load_config()
            remote = config.remote(name)
            config.set_remote(replace(remote, options={**remote.options, **options}))
            config.save()
        yield server
    finally:
        server.stop()
        server.emulator.close()


def try_mknod(path: Path, kind: int, major: int, minor: int) -> bool:
    """A device node like ``/dev/null`` (char 1,3) or ``/dev/loop0`` (block 7,0), if allowed."""
    try:
        os.mknod(path, kind | 0o600, os.makedev(major, minor))
    except (PermissionError, OSError):
        return False
    return True


@contextmanager
def special_tree(root: Path, *, devices: bool = True) -> Iterator[dict[str, str]]:
    """Regular files plus specials under ``root``; yields {relative path: kind} of the specials.

    The socket stays bound (a listening program's socket, as in a real home) until the end.
    """
    (root / "sub").mkdir(parents=True)
    (root / "a.txt").write_bytes(b"alpha\n")
    (root / "sub" / "b.txt").write_bytes(b"beta\n" * 1000)
    specials = {"pipe": "named pipe", "sub/sock": "socket", "to-pipe": "named pipe"}
    os.mkfifo(root / "pipe")
    os.symlink("pipe", root / "to-pipe")
    # A socket path must fit in 108 bytes: bind it somewhere short, then move it in place.
    short = Path(tempfile.mkdtemp(prefix="sk"))
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(str(short / "s"))
        sock.listen(1)
        os.rename(short / "s", root / "sub" / "sock")
        if devices:
            if try_mknod(root / "null", stat.S_IFCHR, 1, 3):
                specials["null"] = "character device"
            if try_mknod(root / "sub" / "loop", stat.S_IFBLK, 7, 0):
                specials["sub/loop"] = "block device"
        yield specials
    finally:
        sock.close()
        os.rmdir(short)


def skypane(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """The real command line in its own process (a hang fails the test, not the run)."""
    return subprocess.run(
        [sys.executable, "-m", "tui", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def files_under(root: Path) -> dict[str, bytes]:
    """Every entry under ``root`` that exists: regular files with their bytes, others as b"?"."""
    out: dict[str, bytes] = {}
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            p = Path(dirpath) / name
            key = str(p.relative_to(root))
            out[key] = p.read_bytes() if stat.S_ISREG(p.lstat().st_mode) else b"?"
    return out
