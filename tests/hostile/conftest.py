"""A hostile server and a corpus of hostile local names, for the tests of this folder.

``hostile_remote``: a remote "em" signed in by the real device-code flow to a TLS emulator
whose drive holds a folder ``f`` that a broken or malicious server could list: names that
climb out (``..``, ``../x``), that name the folder itself (``.``), that hold a separator or
control characters, and one honest file. Items are planted with ``Emulator.plant``, which
skips OneDrive's name rules (tests only).

``HOSTILE_LOCAL_NAMES``: names a local disk can hold that are trouble somewhere: terminal
escapes, bidi overrides, newlines, bytes that are not UTF-8, case-only differences, names
at the 255-byte limit.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from core.emulator import RunningServer
from core.transfer import TransferEngine
from tests.engine.conftest import engine_for, journal_path, server
from tests.engine.od import od_backend, od_options, token_for
from tests.engine.test_cli_emulator import remote
from tui.cli import main

__all__ = ["engine_for", "journal_path", "remote", "server"]

#: Name (bytes, as the OS holds it) → what the tests expect of it.
HOSTILE_LOCAL_NAMES: dict[bytes, str] = {
    b"title\x1b]0;pwned\x07.txt": "OSC sequence that sets the window title",
    b"red\x1b[31m.txt": "CSI sequence that sets a colour",
    b"bell\x07.txt": "BEL",
    b"two\nlines.txt": "newline",
    b"csi\xc2\x9b31m.txt": "C1 CSI (U+009B)",
    b"photo\xe2\x80\xaegpj.exe": "right-to-left override: reads photoexe.jpg",
    b"latin1-\xe9t\xe9.txt": "not UTF-8 (Latin-1 bytes)",
    b"lone-\xff.txt": "an undecodable byte",
    b"x" * 254: "254 bytes: fits, but a part file beside it would not",
    b"[bold red]loud.txt": "rich markup",
}


def hostile_tree(root: Path) -> dict[bytes, bytes]:
    """Every name of the corpus as a file under ``root``; returns name → content."""
    root.mkdir(parents=True, exist_ok=True)
    made = {}
    for i, name in enumerate(HOSTILE_LOCAL_NAMES):
        content = f"content {i}\n".encode()
        with open(os.path.join(os.fsencode(root), name), "wb") as f:
            f.write(content)
        made[name] = content
    return made


@pytest.fixture
def drive_engine(
    server: RunningServer, engine_for: Callable[..., TransferEngine]
) -> Callable[..., TransferEngine]:
    """Remotes "od" and "od2" are two remotes of the emulator's drive (od2 starting at the
    folder "two" unless ``same_root``); None is the local disk (or ``local``)."""
    opts, token = od_options(server), token_for(server)
    two = server.emulator.mkdir("two").id

    def factory(
        local: object = None,
        *,
        same_root: bool = False,
        url_ttl: float | None = None,
        **kwargs: Any,
    ) -> TransferEngine:
        od = od_backend(opts, token)
        if url_ttl is not None:  # how long a listed download URL is trusted
            od.download_urls.ttl = url_ttl
        od2 = od_backend(opts, token, remote="od2", root_folder_id=None if same_root else two)
        remotes: dict[str, object] = {"od": od, "od2": od2}
        if local is not None:
            remotes["local"] = local
        return engine_for(remotes, **kwargs)

    return factory


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict, str]:
    code = main([*argv, "--json"])
    out, err = capsys.readouterr()
    return code, json.loads(out), err


@pytest.fixture
def hostile_remote(remote: RunningServer) -> Iterator[RunningServer]:
    em = remote.emulator
    em.put_file("f/ok.txt", b"honest bytes")
    em.put_file("secret.txt", b"not for the folder f")
    em.plant("f", "..")  # a folder that would climb out of the target
    em.plant("f", ".")  # a folder that would be the target again
    em.plant("f", "../escaped.txt", b"server-chosen bytes")
    em.plant("f", "../../far.txt", b"server-chosen bytes")
    em.plant("f", "sub/../../x", b"server-chosen bytes")
    em.plant("f", "", b"no name")
    em.plant("f", "bell\x07\x1b]0;pwned\x07.txt", b"escapes")
    yield remote
