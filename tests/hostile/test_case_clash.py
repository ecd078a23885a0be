"""Names that differ only in case, uploaded to a drive that ignores case (CLI, TLS emulator).

Before: all three were reported done and the drive kept one file with the last one's bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from core.emulator import RunningServer
from core.paths import Location
from core.transfer import (
    ConflictAction,
    ConflictDecision,
    ConflictQuestion,
    JobKind,
    JobState,
    TransferEngine,
)
from tests.hostile.conftest import run_json

CLASHING = {"README.md": b"upper", "Readme.md": b"title", "readme.MD": b"lower"}


def clashing_folder(tmp_path: Path) -> Path:
    src = tmp_path / "docs"
    src.mkdir()
    for name, content in CLASHING.items():
        (src / name).write_bytes(content)
    return src


def test_clashing_names_are_reported_and_none_is_written_over_another(
    tmp_path: Path, remote: RunningServer, capsys: pytest.CaptureFixture[str]
):
    code, out, _ = run_json(capsys, "put", str(clashing_folder(tmp_path)), "em:")

    assert code == 1 and out["items"]["done"] == 2  # the folder and README.md
    clashes = sorted(p["path"] for p in out["plan"]["problems"])
    assert clashes == ["/docs/Readme.md", "/docs/readme.MD"]
    assert all("ignores case" in p["reason"] for p in out["plan"]["problems"])
    folder = remote.emulator.item("docs")
    assert [c.name for c in (folder.children or {}).values()] == ["README.md"]
    assert remote.emulator.read("docs/README.md") == b"upper"


def test_under_the_rename_policy_each_clashing_name_gets_a_number(
    tmp_path: Path, remote: RunningServer, capsys: pytest.CaptureFixture[str]
):
    src = clashing_folder(tmp_path)
    remote.emulator.put_file("docs/readme (1).md", b"already there")

    code, out, _ = run_json(capsys, "put", "--conflict=rename", str(src), "em:")

    assert code == 0 and out["plan"]["problems"] == []
    em = remote.emulator
    assert em.read("docs/README.md") == b"upper"
    assert em.read("docs/Readme (2).md") == b"title"
    assert em.read("docs/readme (3).MD") == b"lower"
    assert em.read("docs/readme (1).md") == b"already there"


def test_sources_named_on_the_command_line_clash_too(
    tmp_path: Path, remote: RunningServer, capsys: pytest.CaptureFixture[str]
):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "Notes.txt").write_bytes(b"a")
    (tmp_path / "b" / "notes.TXT").write_bytes(b"b")
    remote.emulator.mkdir("dst")

    code, out, _ = run_json(
        capsys,
        "put",
        str(tmp_path / "a" / "Notes.txt"),
        str(tmp_path / "b" / "notes.TXT"),
        "em:dst",
    )

    assert code == 1 and [p["path"] for p in out["plan"]["problems"]] == ["/dst/notes.TXT"]
    assert remote.emulator.read("dst/Notes.txt") == b"a"


def test_a_renamed_conflict_does_not_take_a_name_the_plan_gave_a_clashing_source(
    tmp_path: Path, remote: RunningServer, capsys: pytest.CaptureFixture[str]
):
    src = clashing_folder(tmp_path)
    remote.emulator.put_file("docs/README.md", b"on the drive")

    code, out, _ = run_json(capsys, "put", "--conflict=rename", str(src), "em:")

    assert code == 0, out
    folder = remote.emulator.item("docs")
    contents = {c.name: remote.emulator.read(f"docs/{c.name}") for c in folder.children.values()}
    assert sorted(contents.values()) == sorted([b"on the drive", *CLASHING.values()])


async def test_when_asked_a_clash_is_a_conflict_with_the_other_source(
    tmp_path: Path, server: RunningServer, drive_engine: Callable[..., TransferEngine]
):
    asked: list[ConflictQuestion] = []

    async def keep_both(question: ConflictQuestion) -> ConflictDecision:
        asked.append(question)
        return ConflictDecision(ConflictAction.RENAME)

    engine = drive_engine(on_conflict=keep_both)
    job = await engine.submit(
        JobKind.COPY, [Location(None, str(clashing_folder(tmp_path)))], Location("od", "/")
    )
    done = await engine.wait(job.id)

    assert done.state is JobState.DONE, done.error
    assert sorted(q.dest_path for q in asked) == ["/docs/README.md", "/docs/README.md"]
    folder = server.emulator.item("docs")
    contents = sorted(server.emulator.read(f"docs/{c.name}") for c in folder.children.values())
    assert contents == sorted(CLASHING.values())
