"""Hostile local names through the real CLI: the journal keeps any name the OS can hold,
one bad item never aborts a job, names that would drive a terminal are refused by name and
escaped wherever they are shown, part files fit the 255-byte name limit.

Before: one name that is not UTF-8 ended the whole job ("internal error: UnicodeEncodeError
... surrogates not allowed", 0 of 79 done); a 254-byte name could not be written (its part
file name was too long); ESC, BEL, newline and bidi overrides reached file names and the
terminal as they were.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from core.emulator import RunningServer
from tests.hostile.conftest import HOSTILE_LOCAL_NAMES, hostile_tree, run_json
from tui.cli import main

#: Names of the corpus that no copy may create (they would act on a terminal or hide).
REFUSED = {
    name
    for name in HOSTILE_LOCAL_NAMES
    if any(b < 0x20 or b == 0x7F for b in name) or b"\xc2\x9b" in name or b"\xe2\x80\xae" in name
}


def names_in(folder: Path) -> set[bytes]:
    return set(os.listdir(os.fsencode(folder)))


def read(folder: Path, name: bytes) -> bytes:
    with open(os.path.join(os.fsencode(folder), name), "rb") as f:
        return f.read()


def test_a_name_that_is_not_utf8_does_not_abort_a_79_item_job(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    src = tmp_path / "src"
    src.mkdir()
    for i in range(78):
        (src / f"f{i:02}.txt").write_bytes(b"%d" % i)
    latin1 = b"caf\xe9.txt"
    with open(os.path.join(os.fsencode(src), latin1), "wb") as f:
        f.write(b"not utf-8")

    code, out, err = run_json(capsys, "cp", str(src), str(tmp_path / "dst"))

    assert code == 0, err
    assert out["items"]["done"] == 80 and out["failed"] == []  # 79 files and the folder
    assert read(tmp_path / "dst", latin1) == b"not utf-8"
    assert "Traceback" not in err


def test_the_hostile_corpus_copies_what_is_safe_and_refuses_the_rest_by_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    made = hostile_tree(tmp_path / "src")

    code = main(["cp", str(tmp_path / "src"), str(tmp_path / "dst")])
    out, err = capsys.readouterr()

    assert code == 1  # the refused names are failures, reported
    assert names_in(tmp_path / "dst") == set(made) - REFUSED
    for name in set(made) - REFUSED:
        assert read(tmp_path / "dst", name) == made[name]
    shown = out + err
    assert not any(c in shown for c in "\x1b\x07\x9b\u202e"), repr(shown)
    assert "title\\x1b]0;pwned\\x07.txt" in err and "photo\\u202egpj.exe" in err
    assert "two\\x0alines.txt" in err
    assert not list((tmp_path / "dst").glob("*.skypane-part"))


def test_a_254_byte_name_round_trips_and_no_part_file_is_left(
    tmp_path: Path, remote: RunningServer, capsys: pytest.CaptureFixture[str]
):
    long = "y" * 200  # OneDrive: 400 characters a path; locally 254 bytes below
    (tmp_path / "up").mkdir()
    (tmp_path / "up" / long).write_bytes(b"long name")
    local_long = "z" * 254
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / local_long).write_bytes(b"254 bytes")

    code, out, _ = run_json(capsys, "cp", str(tmp_path / "src"), str(tmp_path / "dst"))
    assert code == 0, out
    assert (tmp_path / "dst" / local_long).read_bytes() == b"254 bytes"

    assert main(["put", str(tmp_path / "up" / long), "em:"]) == 0
    capsys.readouterr()
    code, out, _err = run_json(capsys, "get", f"em:{long}", str(tmp_path / "down"))
    assert code == 0, out
    assert (tmp_path / "down").read_bytes() == b"long name"
    assert list(tmp_path.rglob("*.skypane-part")) == []


def test_non_utf8_and_markup_names_survive_a_trip_through_onedrive(
    tmp_path: Path, remote: RunningServer, capsys: pytest.CaptureFixture[str]
):
    made = hostile_tree(tmp_path / "src")
    safe = set(made) - REFUSED

    code, out, _ = run_json(capsys, "put", str(tmp_path / "src"), "em:")
    assert code == 1 and out["items"]["failed"] == 0  # refused names are plan problems
    assert len(out["plan"]["problems"]) == len(REFUSED)
    code, out, _err = run_json(capsys, "get", "em:src", str(tmp_path / "back"))

    assert code == 0, out
    assert names_in(tmp_path / "back") == safe
    for name in safe:
        assert read(tmp_path / "back", name) == made[name]


def test_a_journal_from_before_the_new_columns_opens_and_keeps_any_name(tmp_path: Path):
    import sqlite3
    from datetime import UTC, datetime

    from core.paths import Location
    from core.transfer import Journal
    from core.transfer.journal import _SCHEMA
    from core.transfer.model import ConflictPolicy, Item, ItemKind, Job, JobKind

    path = tmp_path / "journal.sqlite3"
    old = _SCHEMA.replace("    src_mode INTEGER,\n", "").replace("    src_id TEXT,\n", "")
    with sqlite3.connect(path) as db:
        db.executescript(old)
    name = os.fsdecode(b"/src/caf\xe9.txt")
    job = Job("j1", JobKind.COPY, (Location(None, "/src"),), Location(None, "/dst"),
              ConflictPolicy.SKIP, datetime.now(UTC))  # fmt: skip
    job.items.append(Item(0, ItemKind.FILE, None, name, None, name, src_mode=0o600, src_id="x"))
    journal = Journal(path)
    try:
        journal.save_job(job)
        back = journal.load_job("j1")
    finally:
        journal.close()
    assert back is not None
    item = back.items[0]
    assert (item.src_path, item.src_mode, item.src_id) == (name, 0o600, "x")
