"""The transfer commands against a signed-in remote on the TLS emulator, as a user runs them."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.emulator import RunningServer
from tests.engine.conftest import SAMPLE, read_tree, write_tree
from tests.engine.two_runners import signed_in
from tui.cli import main


@pytest.fixture
def remote(capsys: pytest.CaptureFixture[str]) -> Iterator[RunningServer]:
    """A remote "em" signed in (device code, auto-approved) to a fresh emulator."""
    with signed_in("em") as server:
        capsys.readouterr()
        yield server


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


def test_names_the_drive_refuses_are_failed_items_on_stderr_with_a_nonzero_exit(
    tmp_path: Path, remote: RunningServer, capsys: pytest.CaptureFixture[str]
):
    write_tree(tmp_path / "src", {**{f"ok{i}.txt": b"x" for i in range(8)}, "CON": b"y"})
    (tmp_path / "src" / "desktop.ini").write_bytes(b"z")
    code, up = run_json(capsys, "put", str(tmp_path / "src"), "em:")
    assert code == 1 and up["state"] == "failed"
    assert up["items"]["failed"] == 2 and up["items"]["done"] == 9  # 8 files and the folder
    assert sorted(Path(f["src"]).name for f in up["failed"]) == ["CON", "desktop.ini"]
    assert all("reserved name" in f["error"] for f in up["failed"])

    code = main(["put", str(tmp_path / "src"), "em:again"])
    err = capsys.readouterr().err
    assert code == 1
    assert "failed: " in err and "CON: 'CON' is a reserved name" in err
    assert "9/11 items  2 failed" in err  # the summary counts them

    code, plan = run_json(capsys, "put", "--dry-run", str(tmp_path / "src"), "em:dry")
    assert code == 1
    assert sorted(Path(a["src"]).name for a in plan["actions"] if "refused" in a) == [
        "CON",
        "desktop.ini",
    ]


@pytest.mark.parametrize("value", ["0", "-1", "99999999999999999999", "65", "many"])
def test_transfers_out_of_range_is_refused_with_a_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str
):
    for command in (["put", str(tmp_path), "em:"], ["resume"]):
        with pytest.raises(SystemExit) as info:
            main([*command, "--transfers", value])
        assert info.value.code == 2
        assert "from 1 to 64" in capsys.readouterr().err
    (tmp_path / "f").write_bytes(b"f")
    assert main(["cp", "--transfers", "64", str(tmp_path / "f"), str(tmp_path / "g")]) == 0


@pytest.mark.parametrize("how", [["resume", "--failed"], ["retry"]])
def test_a_failed_job_gets_its_failed_items_back_from_the_command_line(
    tmp_path: Path, remote: RunningServer, capsys: pytest.CaptureFixture[str], how: list[str]
):
    em = remote.emulator
    write_tree(tmp_path / "src", {"a.txt": b"a", "locked.txt": b"l", "b.txt": b"b"})
    em.faults.fail_next(1, 403, retry_after=None, path="locked.txt")  # refused this once
    code, up = run_json(capsys, "put", str(tmp_path / "src"), "em:")
    assert code == 1 and up["items"]["failed"] == 1
    job = up["job"]
    assert main(["resume", job]) == 1  # not unfinished: it failed
    assert "resume --failed" in capsys.readouterr().err
    code, again = run_json(capsys, *how, job)
    assert code == 0 and again["job"] == job and again["state"] == "done"
    assert again["items"] == {"done": 4, "skipped": 0, "failed": 0, "cancelled": 0, "pending": 0}
    assert em.read("src/locked.txt") == b"l"
    uploads = em.requests.matching(path="a.txt")
    assert len([r for r in uploads if r.method in ("PUT", "POST")]) == 1  # a.txt not sent again
    assert main([*how, job]) == 1  # done now: nothing failed
    assert "nothing failed" in capsys.readouterr().err
