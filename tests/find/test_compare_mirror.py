"""`skypane compare` and `skypane mirror` between local folders and the TLS emulator."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core.emulator import RunningServer
from tests.engine.conftest import read_tree, write_tree
from tests.find.conftest import cli

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
LEFT = {
    "same.txt": b"same",
    "changed.txt": b"new content",
    "grown.txt": b"longer than before",
    "new.txt": b"only here",
    "newdir": {"inner.txt": b"x"},
    "docs": {"a.md": b"a", "deep": {"b.md": b"b"}},
}


def _remote_like(remote: RunningServer, tmp_path: Path) -> Path:
    """LEFT on the local disk; on the drive a copy with changes, extras and one clash."""
    left = tmp_path / "left"
    write_tree(left, LEFT)
    for path in left.rglob("*"):
        os.utime(path, (T0.timestamp(),) * 2)
    em = remote.emulator
    for path, data in (
        ("B/same.txt", b"same"),
        ("B/grown.txt", b"short"),
        ("B/docs/a.md", b"a"),
        ("B/docs/deep/b.md", b"b"),
        ("B/docs/deep/stale.md", b"gone from A"),
        ("B/extra/old.txt", b"gone from A"),
    ):
        em.put_file(path, data, modified=T0)
    em.put_file("B/changed.txt", b"old content", modified=T0 - timedelta(days=1))
    return left


def test_compare_local_with_the_drive(remote: RunningServer, tmp_path: Path) -> None:
    left = _remote_like(remote, tmp_path)
    code, out, err = cli("compare", str(left), "work:B", "--json")
    assert code == 1, err
    data = json.loads(out)
    sides = {i["path"]: (i["side"], i["reason"]) for i in data["items"]}
    assert sides["new.txt"] == ("only_left", None)
    assert sides["newdir"] == ("only_left", None)
    assert sides["extra"] == ("only_right", None)
    assert sides["docs/deep/stale.md"] == ("only_right", None)
    assert sides["grown.txt"] == ("different", "size")
    # The local disk has no QuickXorHash in a listing: same size, other time.
    assert sides["changed.txt"][0] == "different"
    assert data["counts"]["same"] == 3  # same.txt, docs/a.md, docs/deep/b.md (by time)
    code, out, _ = cli("compare", str(left), str(left))
    assert code == 0 and out == ""


def test_compare_two_drive_folders_by_hash(remote: RunningServer) -> None:
    em = remote.emulator
    em.put_file("X/a.txt", b"aaaa")
    em.put_file("X/b.txt", b"bbbb")
    em.put_file("Y/a.txt", b"aaaa")
    em.put_file("Y/b.txt", b"cccc")
    code, out, _ = cli("compare", "work:X", "work:Y", "--json", "--same")
    sides = {i["path"]: (i["side"], i["reason"]) for i in json.loads(out)["items"]}
    assert sides == {"a.txt": ("same", "quickxor"), "b.txt": ("different", "quickxor")}
    assert code == 1


def test_mirror_dry_run_previews_and_changes_nothing(remote: RunningServer, tmp_path: Path) -> None:
    left = _remote_like(remote, tmp_path)
    code, out, err = cli("mirror", str(left), "work:B", "--dry-run", "--json")
    assert code == 0, err
    plan = json.loads(out)
    kinds = {(a["kind"], a["dst"]) for a in plan["actions"]}
    assert ("file", "work:B/new.txt") in kinds and ("mkdir", "work:B/newdir") in kinds
    assert ("delete", "work:B/extra") in kinds
    assert sorted(plan["plan"]["deletes"]) == ["work:B/docs/deep/stale.md", "work:B/extra"]
    assert remote.emulator.read("B/grown.txt") == b"short"


def test_mirror_copies_overwrites_and_trashes(remote: RunningServer, tmp_path: Path) -> None:
    left = _remote_like(remote, tmp_path)
    code, _, err = cli("mirror", str(left), "work:B", "--max-delete", "1", "--yes")
    assert code == 1 and "more than the limit of 1" in err
    code, _, err = cli("mirror", str(left), "work:B")  # not a terminal, no --yes
    assert code == 1 and "--yes" in err
    code, out, err = cli("mirror", str(left), "work:B", "--yes", "--json")
    assert code == 0, out + err
    em = remote.emulator
    assert em.read("B/changed.txt") == b"new content"
    assert em.read("B/newdir/inner.txt") == b"x"
    with pytest.raises(Exception):  # noqa: B017 - in the recycle bin, not gone for good
        em.item("B/extra")
    drives = em.store.drives.values()
    assert any(i.trashed and i.name == "extra" for d in drives for i in d.items.values())
    code, _, _ = cli("compare", str(left), "work:B")
    assert code == 0


def test_mirror_between_local_folders_uses_the_trash(tmp_path: Path) -> None:
    left, right = tmp_path / "a", tmp_path / "b"
    write_tree(left, {"k.txt": b"keep", "sub": {"n.txt": b"new"}})
    write_tree(right, {"k.txt": b"keep", "old.txt": b"old"})
    os.utime(right / "k.txt", (os.stat(left / "k.txt").st_mtime,) * 2)
    code, out, err = cli("mirror", str(left), str(right), "--yes", "--json")
    assert code == 0, out + err
    assert read_tree(right) == read_tree(left)
    notes = json.loads(out)["notes"]
    assert any(n["note"] == "moved to the trash" for n in notes)


def test_mirror_refuses_overlapping_folders(tmp_path: Path) -> None:
    write_tree(tmp_path / "a", {"x": b"1"})
    code, _, err = cli("mirror", str(tmp_path / "a"), str(tmp_path / "a" / "in"), "--yes")
    assert code == 1 and "overlap" in err


def test_mirror_killed_mid_file_resumes_from_the_journal(tmp_path: Path) -> None:
    from tests.engine.crash_child import kill_midway

    data = os.urandom(8 * 1024 * 1024)
    write_tree(tmp_path / "src", {"big.bin": data, "same.txt": b"s"})
    write_tree(tmp_path / "dst", {"same.txt": b"s", "old.txt": b"only in the mirror"})
    os.utime(tmp_path / "dst" / "same.txt", (os.stat(tmp_path / "src" / "same.txt").st_mtime,) * 2)
    job_id = kill_midway(str(tmp_path / "src"), str(tmp_path / "dst"), 3 * 1024 * 1024, "mirror")
    assert (tmp_path / "dst" / "old.txt").exists()  # deletions come after the copies
    code, out, err = cli("resume", "--json", "-q")
    assert code == 0, out + err
    summary = json.loads(out)
    assert summary["job"] == job_id and summary["kind"] == "mirror" and summary["state"] == "done"
    assert read_tree(tmp_path / "dst") == read_tree(tmp_path / "src")


def test_mirror_never_deletes_the_home_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_tree(tmp_path / "empty", {})
    write_tree(tmp_path / "dst", {"me": {"keep.txt": b"mine"}, "other.txt": b"o"})
    monkeypatch.setenv("HOME", str(tmp_path / "dst" / "me"))
    code, _, err = cli("mirror", str(tmp_path / "empty"), str(tmp_path / "dst"), "--yes")
    assert code == 1 and "home folder" in err
    assert read_tree(tmp_path / "dst") == {"me/keep.txt": b"mine", "other.txt": b"o"}
