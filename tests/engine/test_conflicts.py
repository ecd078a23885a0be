"""Each conflict policy, and the ask callback with apply-to-all and cancel."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from core.paths import Location
from core.transfer import (
    ConflictAction,
    ConflictDecision,
    ConflictPolicy,
    ConflictQuestion,
    ItemState,
    JobKind,
    JobState,
)
from tests.engine.conftest import read_tree, write_tree

SRC = {
    "same.txt": b"same",
    "differ.txt": b"AAAA",
    "bigger.txt": b"longer content",
    "newer.txt": b"new!",
    "older.txt": b"old?",
}
DST = {
    "same.txt": b"same",
    "differ.txt": b"BBBB",
    "bigger.txt": b"short",
    "newer.txt": b"NEW.",
    "older.txt": b"OLD.",
}


def setup(tmp_path: Path) -> tuple[Location, Location]:
    write_tree(tmp_path / "src", SRC)
    write_tree(tmp_path / "dst", DST)
    for name in SRC:
        src_t, dst_t = (2000, 1000) if name == "newer.txt" else (1000, 2000)
        os.utime(tmp_path / "src" / name, (src_t, src_t))
        os.utime(tmp_path / "dst" / name, (dst_t, dst_t))
    return Location(None, str(tmp_path / "src")), Location(None, str(tmp_path.parent))


def replaced(tmp_path: Path) -> set[str]:
    now = read_tree(tmp_path / "dst")
    return {n for n in SRC if now[n] == SRC[n] and SRC[n] != DST[n]}


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        (ConflictPolicy.OVERWRITE, {"differ.txt", "bigger.txt", "newer.txt", "older.txt"}),
        (ConflictPolicy.SKIP, set()),
        (ConflictPolicy.NEWER, {"newer.txt"}),
        (ConflictPolicy.SIZE_DIFFERS, {"bigger.txt"}),
        (ConflictPolicy.SAME_HASH_SKIP, {"differ.txt", "bigger.txt", "newer.txt", "older.txt"}),
    ],
)
async def test_policy_decides_which_files_are_replaced(
    tmp_path: Path, make_engine, policy, expected
):
    src, _ = setup(tmp_path)
    eng = make_engine()
    files = [Location(None, f"{src.path}/{n}") for n in SRC]
    job = await eng.submit(
        JobKind.COPY, files, Location(None, str(tmp_path / "dst")), policy=policy
    )
    await eng.wait(job.id)
    assert job.state is JobState.DONE
    assert replaced(tmp_path) == expected
    skipped = {Path(i.dst_path).name for i in job.items if i.state is ItemState.SKIPPED}
    assert skipped == set(SRC) - expected - ({"same.txt"} if policy.value == "overwrite" else set())
    if policy is ConflictPolicy.SAME_HASH_SKIP:
        same = next(i for i in job.items if i.dst_path.endswith("same.txt"))
        assert same.note == "skipped: same content"


async def test_rename_keeps_both_files(tmp_path: Path, make_engine):
    src, _ = setup(tmp_path)
    (tmp_path / "dst" / "differ (1).txt").write_bytes(b"taken")
    eng = make_engine()
    files = [Location(None, f"{src.path}/{n}") for n in ("differ.txt", "same.txt")]
    job = await eng.submit(
        JobKind.COPY, files, Location(None, str(tmp_path / "dst")), policy="rename"
    )
    await eng.wait(job.id)
    now = read_tree(tmp_path / "dst")
    assert now["differ.txt"] == b"BBBB" and now["differ (1).txt"] == b"taken"
    assert now["differ (2).txt"] == b"AAAA" and now["same (1).txt"] == b"same"


async def test_ask_with_apply_to_all_stops_asking(tmp_path: Path, make_engine):
    src, _ = setup(tmp_path)
    questions: list[ConflictQuestion] = []

    async def ask(q: ConflictQuestion) -> ConflictDecision:
        questions.append(q)
        if len(questions) == 1:
            return ConflictDecision(ConflictAction.OVERWRITE)
        return ConflictDecision(ConflictAction.SKIP, apply_to_all=True)

    eng = make_engine(on_conflict=ask)
    files = [Location(None, f"{src.path}/{n}") for n in sorted(SRC)]
    job = await eng.submit(JobKind.COPY, files, Location(None, str(tmp_path / "dst")))
    await eng.wait(job.id)
    assert len(questions) == 2
    first = questions[0]
    assert first.existing.size == len(DST[first.existing.name])
    assert first.source.size == len(SRC[first.source.name])
    assert job.policy is ConflictPolicy.SKIP
    assert len(replaced(tmp_path)) <= 1  # only the first answer overwrote (unless same content)
    assert sum(i.state is ItemState.DONE for i in job.items) == 1


async def test_ask_cancel_cancels_the_job(tmp_path: Path, make_engine):
    src, _ = setup(tmp_path)

    async def ask(q: ConflictQuestion) -> ConflictDecision:
        return ConflictDecision(ConflictAction.CANCEL)

    eng = make_engine(on_conflict=ask, workers=1)
    files = [Location(None, f"{src.path}/{n}") for n in sorted(SRC)]
    job = await eng.submit(JobKind.COPY, files, Location(None, str(tmp_path / "dst")))
    await eng.wait(job.id)
    assert job.state is JobState.CANCELLED
    assert replaced(tmp_path) == set()
    assert all(i.state is ItemState.CANCELLED for i in job.items)


async def test_ask_without_a_callback_skips(tmp_path: Path, make_engine):
    src, _ = setup(tmp_path)
    eng = make_engine()
    job = await eng.submit(
        JobKind.COPY,
        [Location(None, f"{src.path}/differ.txt")],
        Location(None, str(tmp_path / "dst")),
    )
    await eng.wait(job.id)
    assert job.items[0].state is ItemState.SKIPPED and replaced(tmp_path) == set()


async def test_the_question_names_the_free_name_keep_both_would_write(tmp_path: Path, make_engine):
    src, _ = setup(tmp_path)
    (tmp_path / "dst" / "differ (1).txt").write_bytes(b"taken")
    questions: list[ConflictQuestion] = []

    async def ask(q: ConflictQuestion) -> ConflictDecision:
        questions.append(q)
        return ConflictDecision(ConflictAction.RENAME)

    eng = make_engine(on_conflict=ask, workers=1)
    job = await eng.submit(
        JobKind.COPY,
        [Location(None, f"{src.path}/differ.txt")],
        Location(None, str(tmp_path / "dst")),
    )
    await eng.wait(job.id)
    (q,) = questions
    assert q.dest_path.endswith("/dst/differ.txt")
    assert q.renamed_path.endswith("/dst/differ (2).txt")
    assert read_tree(tmp_path / "dst")["differ (2).txt"] == b"AAAA"  # written where it said
