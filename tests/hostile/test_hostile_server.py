"""A server that lists hostile names, through the real CLI and the TLS emulator.

Before: ``get`` wrote server-chosen bytes outside the target folder and looped for ever on a
folder named ``..`` or ``.``; ``tree`` died of RecursionError; ``hashsum`` never ended.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from core.emulator import RunningServer
from core.paths import Location
from core.transfer import JobKind, JobState, TransferEngine
from tests.hostile.conftest import run_json
from tui.cli import main


def all_files(root: Path) -> set[str]:
    return {
        os.path.relpath(os.path.join(d, f), root)
        for d, _dirs, files in os.walk(root)
        for f in files
    }


@pytest.mark.timeout(60)
def test_get_writes_nothing_outside_the_target_and_skips_hostile_names(
    tmp_path: Path, hostile_remote: RunningServer, capsys: pytest.CaptureFixture[str]
):
    work = tmp_path / "work"
    target = work / "a" / "down"
    target.parent.mkdir(parents=True)
    before = len(hostile_remote.emulator.requests)

    code, out, err = run_json(capsys, "get", "em:f", str(target))

    assert "\x1b" not in err + str(out)
    assert all_files(work) == {"a/down/ok.txt"}, "nothing may land outside the target"
    assert not list(tmp_path.glob("*.txt")) and not (tmp_path / "x").exists()
    assert (target / "ok.txt").read_bytes() == b"honest bytes"
    assert code == 1 and out["items"]["done"] >= 1
    reasons = {p["path"]: p["reason"] for p in out["plan"]["problems"]}
    assert any("'..'" in p and "relative path marker" in r for p, r in reasons.items())
    assert any("'.'" in p for p in reasons)
    assert reasons["/f/../escaped.txt"].startswith("a name holding a path separator")
    assert any("control characters" in r for r in reasons.values())
    assert len(reasons) == 7
    # Bounded work: the walk listed f once, not the drive over and over.
    assert len(hostile_remote.emulator.requests) - before < 40


@pytest.mark.timeout(60)
def test_tree_info_and_hashsum_end_and_escape_what_they_print(
    hostile_remote: RunningServer, capsys: pytest.CaptureFixture[str]
):
    assert main(["tree", "em:f"]) == 0
    out = capsys.readouterr().out
    assert "ok.txt" in out and "\x1b" not in out and "\x07" not in out
    assert "bell\\x07\\x1b]0;pwned\\x07.txt" in out

    code, info, _ = run_json(capsys, "info", "em:f")
    assert code == 0 and info["files"] >= 1

    main(["hashsum", "em:f"])
    out, err = capsys.readouterr()
    assert "ok.txt" in out and "\x1b" not in out + err and "secret" not in out


@pytest.mark.timeout(60)
def test_version_cleanup_scan_ends_and_reports_the_names_it_skipped(
    hostile_remote: RunningServer, capsys: pytest.CaptureFixture[str]
):
    code, _, err = run_json(capsys, "cleanup", "em:f", "--keep", "1", "--dry-run")
    assert code == 1 and "\x1b" not in err
    assert "relative path marker" in err and "path separator" in err


async def test_the_file_downloaded_is_the_item_listed_not_what_its_path_leads_to(
    tmp_path: Path, server: RunningServer, drive_engine: Callable[..., TransferEngine]
):
    em = server.emulator
    # " x" is listed as " x", but the path " x" is sent as "␠x" (the look-alike encoding):
    # by path, the download would ask for another item (here: none, or a planted twin).
    em.plant("f", " x", b"the listed item")
    em.plant("f", "\u2420y", b"an honest twin")
    engine = drive_engine(url_ttl=0.0)  # listed URLs expire at once: the read asks again

    job = await engine.submit(JobKind.COPY, [Location("od", "/f")], Location(None, str(tmp_path)))
    done = await engine.wait(job.id)

    assert done.state is JobState.DONE, [i.error for i in done.items]
    assert (tmp_path / "f" / " x").read_bytes() == b"the listed item"
    assert (tmp_path / "f" / " y").read_bytes() == b"an honest twin"
