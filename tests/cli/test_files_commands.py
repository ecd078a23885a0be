"""skypane --version, remotes, ls and hashsum, as a user runs them."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core import __version__
from core.config import RemoteConfig, load_config
from tui.cli import main


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "sub").mkdir()
    (tmp_path / "hello.txt").write_bytes(b"hello")
    (tmp_path / "sub" / "digits.txt").write_bytes(b"0123456789" * 100)
    (tmp_path / ".hidden").write_text("h")
    os.utime(tmp_path / "hello.txt", (1_600_000_000, 1_600_000_000))
    return tmp_path


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"skypane {__version__}"


def test_ls_json_gives_sizes_mtimes_and_hashes(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ls", str(tree), "--json", "--hash"]) == 0
    data = {e["name"]: e for e in json.loads(capsys.readouterr().out)}
    assert set(data) == {"sub", "hello.txt"}
    assert data["hello.txt"]["size"] == 5
    assert data["hello.txt"]["modified"].startswith("2020-09-13T12:26:40")
    assert data["hello.txt"]["hashes"]["quickxor"] == "aCgDG9jwBgAAAAAABQAAAAAAAAA="
    assert data["sub"]["type"] == "dir"


def test_ls_all_shows_hidden_and_long_format(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ls", "-l", "-a", str(tree)]) == 0
    out = capsys.readouterr().out
    assert ".hidden" in out and "sub/" in out and "5 Bytes" in out


def test_ls_unsorted_prints_what_the_sorted_listing_prints_in_listing_order(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for i in range(5):
        (tree / f"Z{i}").write_bytes(b"z")
    assert main(["ls", "-a", str(tree)]) == 0
    ordered = capsys.readouterr().out.splitlines()
    assert ordered[0] == "sub/" and ordered[1:] == sorted(ordered[1:], key=str.casefold)
    assert main(["ls", "-a", "-U", str(tree)]) == 0
    assert sorted(capsys.readouterr().out.splitlines()) == sorted(ordered)
    assert main(["ls", "-U", "--json", str(tree)]) == 0
    streamed = json.loads(capsys.readouterr().out)
    assert main(["ls", "--json", str(tree)]) == 0
    whole = json.loads(capsys.readouterr().out)
    assert sorted(streamed, key=lambda e: e["name"]) == sorted(whole, key=lambda e: e["name"])
    assert [e["name"] for e in whole][:2] == ["sub", "hello.txt"]
    assert main(["ls", "--json", str(tree / "sub" / "digits.txt")]) == 0
    assert [e["size"] for e in json.loads(capsys.readouterr().out)] == [1000]
    (tree / "empty").mkdir()
    assert main(["ls", "-U", "--json", str(tree / "empty")]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_ls_missing_path_fails_with_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ls", str(tmp_path / "missing")]) == 1
    assert "no such file or folder" in capsys.readouterr().err


def test_ls_unknown_remote_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    config = load_config()
    config.set_remote(RemoteConfig("work", "onedrive", {"client_id": "x"}))
    config.save()
    assert main(["ls", "nope:Documents"]) == 2
    err = capsys.readouterr().err
    assert "unknown remote 'nope'" in err and "work" in err


def test_hashsum_matches_vectors(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["hashsum", str(tree / "sub" / "digits.txt"), str(tree / "hello.txt")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("jE6XslXW8BcxmE1Dxhaj4y3tmVM=  ")
    assert lines[1].startswith("aCgDG9jwBgAAAAAABQAAAAAAAAA=  ")


def test_hashsum_of_a_folder_recurses_with_relative_names(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["hashsum", "--hex", str(tree)]) == 0
    out = dict(line.split("  ")[::-1] for line in capsys.readouterr().out.splitlines())
    assert out["hello.txt"] == base64.b64decode("aCgDG9jwBgAAAAAABQAAAAAAAAA=").hex()
    assert "sub/digits.txt" in out


def test_hashsum_reports_missing_and_continues(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["hashsum", str(tree / "nope"), str(tree / "hello.txt")]) == 1
    captured = capsys.readouterr()
    assert "nope" in captured.err and "hello.txt" in captured.out


def test_remotes_lists_configured(capsys: pytest.CaptureFixture[str]) -> None:
    config = load_config()
    config.set_remote(RemoteConfig("work", "onedrive", {"client_id": "x"}))
    config.save()
    assert main(["remotes", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["name"] == "work"


def test_bad_usage_exits_2() -> None:
    with pytest.raises(SystemExit) as info:
        main(["ls", "--no-such-flag"])
    assert info.value.code == 2


def test_console_script_runs_in_a_real_process(tree: Path) -> None:
    exe = Path(sys.executable).with_name("skypane")
    out = subprocess.run(
        [str(exe), "hashsum", str(tree / "hello.txt")],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert out.stdout.split()[0] == "aCgDG9jwBgAAAAAABQAAAAAAAAA="


def test_emulator_subcommand_takes_its_own_options(capsys: pytest.CaptureFixture[str]) -> None:
    try:
        code = main(["emulator", "--port", "0", "--flavour", "nope"])
    except SystemExit as exc:
        code = int(exc.code or 0)
    assert code == 2
    assert "invalid choice: 'nope'" in capsys.readouterr().err


def test_a_folder_skypane_cannot_make_is_named_without_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("SKYPANE_DATA_DIR", str(blocker / "data"))
    assert main(["--demo"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and str(blocker / "data") in err
