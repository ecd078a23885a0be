"""Moves: one PATCH within a drive, copy + verify + delete only where the backend cannot move,
and a moved source goes to the recycle bin / trash, never deleted for good unasked.

Before: any error of the rename (a 5xx that outlasted retries) made the runner copy the file
server-side (a new item: versions and links lost) and ``permanentDelete`` the source; a
cross-drive move deleted its source with ``permanentDelete``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

from core import errors
from core.emulator import Emulator, RunningServer
from core.paths import Location, parse_location
from core.transfer import ItemState, JobKind, JobState, TransferEngine
from tests.engine.conftest import Wrapped


def requests(em: Emulator, since: int) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in list(em.requests)[since:]]


async def test_a_rename_that_keeps_failing_leaves_the_source_alone(
    server: RunningServer, drive_engine: Callable[..., TransferEngine]
):
    em = server.emulator
    item = em.put_file("a.txt", b"precious")
    em.mkdir("b")
    em.faults.fail_next(1000, status=500, method="PATCH")
    before = len(em.requests)
    engine = drive_engine()

    job = await engine.submit(JobKind.MOVE, [Location("od", "/a.txt")], Location("od", "/b"))
    done = await engine.wait(job.id)

    assert done.state is JobState.FAILED and done.items[0].state is ItemState.FAILED
    assert em.item("a.txt").id == item.id and em.read("a.txt") == b"precious"
    sent = requests(em, before)
    assert not any("copy" in p or "permanentDelete" in p for _, p in sent), sent
    assert not any(m == "DELETE" for m, _ in sent)


async def test_a_move_to_another_remote_puts_the_source_in_the_recycle_bin(
    server: RunningServer, drive_engine: Callable[..., TransferEngine]
):
    em = server.emulator
    item = em.put_file("a.txt", b"precious")
    em.mkdir("two/b")
    engine = drive_engine()

    job = await engine.submit(JobKind.MOVE, [Location("od", "/a.txt")], Location("od2", "/b"))
    done = await engine.wait(job.id)

    assert done.state is JobState.DONE and em.read("two/b/a.txt") == b"precious"
    with pytest.raises(Exception):  # noqa: B017 - gone from its folder
        em.item("a.txt")
    assert item.trashed and item.id in em.drive.items, "in the recycle bin, not deleted for good"


async def test_mv_permanent_deletes_a_source_moved_across_remotes_for_good(
    server: RunningServer, drive_engine: Callable[..., TransferEngine]
):
    em = server.emulator
    item = em.put_file("a.txt", b"precious")
    em.mkdir("two/b")
    engine = drive_engine()

    job = await engine.submit(
        JobKind.MOVE, [Location("od", "/a.txt")], Location("od2", "/b"), use_trash=False
    )
    assert (await engine.wait(job.id)).state is JobState.DONE
    assert item.id not in em.drive.items and em.read("two/b/a.txt") == b"precious"


class CrossDevice(Wrapped):
    """A local disk whose renames cross a device boundary (EXDEV, as the OS reports it)."""

    async def move(self, src: str, dst: str) -> object:
        raise errors.CannotMoveHere("cannot rename across file systems", path=dst)

    async def trash(self, path: str) -> None:
        await self.inner.trash(path)


async def test_only_cannot_move_here_falls_back_to_copy_verify_and_trash(
    tmp_path: Path, drive_engine: Callable[..., TransferEngine]
):
    (tmp_path / "src").mkdir()
    (tmp_path / "dst").mkdir()
    (tmp_path / "src" / "a.txt").write_bytes(b"precious")
    engine = drive_engine(CrossDevice())

    job = await engine.submit(
        JobKind.MOVE,
        [Location(None, str(tmp_path / "src" / "a.txt"))],
        Location(None, str(tmp_path / "dst")),
    )
    assert (await engine.wait(job.id)).state is JobState.DONE
    assert (tmp_path / "dst" / "a.txt").read_bytes() == b"precious"
    assert not (tmp_path / "src" / "a.txt").exists()
    trash = Path(os.environ["XDG_DATA_HOME"]) / "Trash" / "files" / "a.txt"
    assert trash.read_bytes() == b"precious"


SHM = Path("/dev/shm")


@pytest.mark.skipif(
    not SHM.is_dir() or SHM.stat().st_dev == Path("/tmp").stat().st_dev,
    reason="needs /dev/shm on a file system of its own",
)
def test_mv_across_file_systems_copies_verifies_and_trashes_the_source(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    from tui.cli import main

    src = Path(tempfile.mkdtemp(dir=SHM, prefix="skypane-test-"))
    trash = SHM / f".Trash-{os.getuid()}"
    trash_was_there = trash.exists()
    try:
        (src / "a.txt").write_bytes(b"precious")
        assert main(["mv", str(src / "a.txt"), str(tmp_path)]) == 0
        assert (tmp_path / "a.txt").read_bytes() == b"precious"
        assert not (src / "a.txt").exists()
    finally:
        shutil.rmtree(src, ignore_errors=True)
        if not trash_was_there:
            shutil.rmtree(trash, ignore_errors=True)


@pytest.mark.parametrize(
    "typed",
    ["/b", "/b/", "b", "/B", "/b/a.txt", "//b//", "/b/./", "/x/../b", "/b/A.TXT", "od2:/b"],
)
async def test_a_move_within_one_drive_is_one_patch_whatever_the_spelling(
    server: RunningServer, drive_engine: Callable[..., TransferEngine], typed: str
):
    em = server.emulator
    item = em.put_file("a.txt", b"x" * 3_000_000)
    em.mkdir("b")
    em.mkdir("x")
    used = em.drive.used
    before = len(em.requests)
    # "od2" is another remote (another name) for the same drive and root.
    engine = drive_engine(same_root=True)
    text = typed if typed.startswith("od2:") else f"od:{typed}"

    job = await engine.submit(
        JobKind.MOVE, [Location("od", "/a.txt")], parse_location(text, ["od", "od2"])
    )
    done = await engine.wait(job.id)

    assert done.state is JobState.DONE, done.error
    moved = em.item("b/a.txt")
    assert moved.id == item.id and len(moved.versions or ()) == 1 and em.drive.used == used
    writes = [(m, p) for m, p in requests(em, before) if m != "GET"]
    assert [m for m, _ in writes] == ["PATCH"], writes
    assert done.last_snapshot is not None and done.last_snapshot.bytes_done == 3_000_000
