"""The transfer commands as a user runs them: cp, mv, rm, mkdir, tree, info, jobs, resume."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.engine.conftest import SAMPLE, leftovers, read_tree, write_tree
from tests.engine.crash_child import kill_midway
from tui.cli import main

ROOT = Path(__file__).resolve().parents[2]


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict]:
    code = main([*argv, "--json"])
    out = capsys.readouterr().out
    return code, json.loads(out)


def test_cp_copies_a_tree_and_prints_a_json_summary(tmp_path: Path, capsys):
    write_tree(tmp_path / "src", SAMPLE)
    code, data = run_json(capsys, "cp", str(tmp_path / "src"), str(tmp_path / "dst"))
    assert code == 0 and data["state"] == "done"
    assert data["items"]["done"] == 9 and data["failed"] == []
    assert data["bytes"] == data["plan"]["bytes"] > 3_000_000
    assert read_tree(tmp_path / "dst") == read_tree(tmp_path / "src")


def test_dry_run_prints_the_plan_and_writes_nothing(tmp_path: Path, capsys):
    write_tree(tmp_path / "src", SAMPLE)
    assert main(["cp", "--dry-run", str(tmp_path / "src"), str(tmp_path / "dst")]) == 0
    out = capsys.readouterr().out
    assert "plan: 5 files, 4 folders" in out and "big.bin" in out
    assert not (tmp_path / "dst").exists()


def test_conflict_option_sets_the_policy(tmp_path: Path, capsys):
    write_tree(tmp_path / "src", {"a.txt": b"new"})
    write_tree(tmp_path / "dst", {"a.txt": b"old"})
    src, dst = str(tmp_path / "src" / "a.txt"), str(tmp_path / "dst")
    code, data = run_json(capsys, "cp", src, dst)  # not a terminal: skip by default
    assert code == 0 and data["items"]["skipped"] == 1
    code, data = run_json(capsys, "cp", "--conflict=rename", src, dst)
    assert code == 0 and read_tree(tmp_path / "dst") == {"a.txt": b"old", "a (1).txt": b"new"}
    code, data = run_json(capsys, "cp", "--conflict", "overwrite", "--transfers", "2", src, dst)
    assert (tmp_path / "dst" / "a.txt").read_bytes() == b"new"


def test_mv_moves_and_failed_items_give_exit_code_1(tmp_path: Path, capsys):
    write_tree(tmp_path / "src", {"a.txt": b"a"})
    assert main(["mv", str(tmp_path / "src"), str(tmp_path / "moved")]) == 0
    assert not (tmp_path / "src").exists() and (tmp_path / "moved" / "a.txt").exists()
    assert main(["mv", str(tmp_path / "nothing"), str(tmp_path / "moved")]) == 1
    assert "no such file or folder" in capsys.readouterr().err


def test_rm_needs_r_for_folders_and_mkdir_creates_parents(tmp_path: Path, capsys):
    assert main(["mkdir", str(tmp_path / "x" / "y")]) == 0
    assert (tmp_path / "x" / "y").is_dir()
    assert main(["rm", str(tmp_path / "x")]) == 2
    assert "use -r" in capsys.readouterr().err
    assert main(["rm", "-r", "--permanent", str(tmp_path / "x")]) == 0
    assert not (tmp_path / "x").exists()


def test_usage_errors_exit_2(tmp_path: Path, capsys):
    assert main(["cp", str(tmp_path)]) == 2
    assert main(["put", str(tmp_path), str(tmp_path / "x")]) == 2
    assert main(["get", str(tmp_path)]) == 2
    assert main(["cp", "nosuchremote:x", str(tmp_path)]) == 2
    with pytest.raises(SystemExit) as info:
        main(["cp", "--conflict=maybe", "a", "b"])
    assert info.value.code == 2


def test_tree_and_info_show_sizes_and_totals(tmp_path: Path, capsys):
    write_tree(tmp_path / "t", SAMPLE)
    os.symlink(tmp_path / "t", tmp_path / "t" / "docs" / "loop")
    assert main(["tree", str(tmp_path / "t")]) == 0
    out = capsys.readouterr().out
    assert "└── " in out and "loop/ -> " in out and "3 folders, 5 files" in out
    code, data = run_json(capsys, "info", str(tmp_path / "t"))
    assert code == 0 and data["files"] == 5 and data["folders"] == 3
    assert data["total_size"] == sum(len(v) for v in read_tree(tmp_path / "t").values())
    code, data = run_json(capsys, "info", str(tmp_path / "t" / "a.txt"))
    assert data["size"] == 6 and data["type"] == "file"


def test_jobs_lists_the_journal(tmp_path: Path, capsys):
    write_tree(tmp_path / "src", {"a": b"a"})
    run_json(capsys, "cp", str(tmp_path / "src"), str(tmp_path / "dst"))
    code, rows = run_json(capsys, "jobs")
    assert code == 0 and len(rows) == 1
    assert rows[0]["state"] == "done" and rows[0]["done"] == rows[0]["items"] == 2
    assert main(["jobs"]) == 0 and rows[0]["id"] in capsys.readouterr().out


def test_kill_9_mid_file_then_resume_finishes_from_the_part_file(tmp_path: Path, capsys):
    data = os.urandom(8 * 1024 * 1024)
    write_tree(tmp_path / "src", {"big.bin": data, "a.txt": b"a"})
    job_id = kill_midway(str(tmp_path / "src"), str(tmp_path / "dst"), 3 * 1024 * 1024)
    parts = leftovers(tmp_path)
    assert len(parts) == 1 and Path(parts[0]).stat().st_size >= 3 * 1024 * 1024
    code, rows = run_json(capsys, "jobs", "--unfinished")
    assert [r["id"] for r in rows] == [job_id]
    code, summary = run_json(capsys, "resume")
    assert code == 0 and summary["state"] == "done" and summary["job"] == job_id
    assert (tmp_path / "dst" / "big.bin").read_bytes() == data
    assert leftovers(tmp_path) == []
    code, rows = run_json(capsys, "jobs", "--unfinished")
    assert rows == []
