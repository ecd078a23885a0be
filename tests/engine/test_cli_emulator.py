"""The transfer commands against a signed-in remote on the TLS emulator, as a user runs them."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.emulator import RunningServer, start_server
from tests.emulator_fixtures import make_emulator
from tests.engine.conftest import SAMPLE, read_tree, write_tree
from tui.cli import main

CLIENT_ID = "00000000-0000-0000-0000-00000000c0de"


@pytest.fixture
def remote(capsys: pytest.CaptureFixture[str]) -> Iterator[RunningServer]:
    """A remote "em" signed in (device code, auto-approved) to a fresh emulator."""
    server = start_server(make_emulator("personal", auto_approve_after=0))
    try:
        args = ["login", "em", "--client-id", CLIENT_ID, "--authority", server.authority]
        args += ["--graph-url", server.graph_url, "--ca-bundle", str(server.ca_bundle)]
        assert main(args) == 0
        capsys.readouterr()
        yield server
    finally:
        server.stop()
        server.emulator.close()


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict]:
    code = main([*argv, "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_put_get_tree_info_cp_mv_rm_mkdir_on_a_remote(
    tmp_path: Path, remote: RunningServer, capsys: pytest.CaptureFixture[str]
):
    em = remote.emulator
    write_tree(tmp_path / "src", SAMPLE)
    code, up = run_json(capsys, "put", str(tmp_path / "src"), "em:")
    assert code == 0 and up["state"] == "done" and up["failed"] == []
    assert em.read("src/big.bin") == SAMPLE["big.bin"]

    code, info = run_json(capsys, "info", "em:src")
    assert code == 0 and info["files"] == 5 and info["folders"] == 3
    assert main(["tree", "em:src"]) == 0
    assert "big.bin" in capsys.readouterr().out

    code, cp = run_json(capsys, "cp", "em:src", "em:copy")
    assert code == 0 and cp["plan"]["method"] == "server"
    code, mv = run_json(capsys, "mv", "em:copy", "em:moved")
    assert (
        code == 0
        and mv["items"]["failed"] == 0
        and em.read("moved/docs/b.md") == SAMPLE["docs"]["b.md"]
    )

    code, _ = run_json(capsys, "get", "em:moved", str(tmp_path / "down"))
    assert code == 0 and read_tree(tmp_path / "down") == read_tree(tmp_path / "src")

    code, _ = run_json(capsys, "mkdir", "em:a/b/c")
    assert code == 0 and em.item("a/b/c").children is not None
    code, rm = run_json(capsys, "rm", "-r", "em:a")
    assert code == 0 and rm["state"] == "done"
    with pytest.raises(Exception):  # noqa: B017 - in the recycle bin now
        em.item("a")

    code, again = run_json(capsys, "put", str(tmp_path / "src" / "a.txt"), "em:src")
    assert code == 0 and again["items"]["skipped"] == 1  # not a terminal: skip by default
    os.utime(tmp_path / "src" / "a.txt", (4_000_000_000, 4_000_000_000))
    code, newer = run_json(
        capsys, "put", "--conflict=newer", str(tmp_path / "src" / "a.txt"), "em:src"
    )
    assert code == 0 and newer["items"]["done"] == 1


def test_dry_run_against_a_remote_reports_conflicts_and_writes_nothing(
    tmp_path: Path, remote: RunningServer, capsys: pytest.CaptureFixture[str]
):
    remote.emulator.put_file("dst/a.txt", b"old")
    write_tree(tmp_path / "src", {"a.txt": b"new", "b.txt": b"b"})
    before = len(remote.emulator.requests)
    code, plan = run_json(
        capsys,
        "put",
        "--dry-run",
        str(tmp_path / "src" / "a.txt"),
        str(tmp_path / "src" / "b.txt"),
        "em:dst",
    )
    assert code == 0 and plan["plan"]["conflicts"] == ["/dst/a.txt"]
    assert [a["dst"] for a in plan["actions"]] == ["em:dst/a.txt", "em:dst/b.txt"]
    writes = [r for r in list(remote.emulator.requests)[before:] if r.method != "GET"]
    assert writes == []
