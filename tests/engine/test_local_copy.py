"""Copy, move, delete and mkdir jobs between local folders: plans, results, progress."""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

from core import errors
from core.model import Entry, Quota
from core.paths import Location
from core.transfer import ItemKind, ItemState, JobKind, JobState
from tests.engine.conftest import SAMPLE, Recorder, Wrapped, leftovers, read_tree, write_tree


def loc(p: Path | str, remote: str | None = None) -> Location:
    return Location(remote, str(p))


async def test_copy_tree_to_new_name_copies_every_file_and_folder(tmp_path: Path, make_engine):
    write_tree(tmp_path / "src", SAMPLE)
    rec = Recorder()
    eng = make_engine(on_progress=rec)
    job = await eng.submit(JobKind.COPY, [loc(tmp_path / "src")], loc(tmp_path / "dst"))
    await eng.wait(job.id)
    assert job.state is JobState.DONE, job.error
    assert read_tree(tmp_path / "dst") == read_tree(tmp_path / "src")
    assert (tmp_path / "dst" / "emptydir").is_dir()
    assert leftovers(tmp_path) == []
    last = rec.snapshots[-1]
    total = sum(len(v) for v in read_tree(tmp_path / "src").values())
    assert (last.state, last.bytes_done, last.bytes_total) == (JobState.DONE, total, total)
    assert last.items_done == last.items_total == len(job.items)


async def test_copy_into_existing_folder_puts_sources_inside(tmp_path: Path, make_engine):
    write_tree(tmp_path / "src", SAMPLE)
    (tmp_path / "dst").mkdir()
    eng = make_engine()
    job = await eng.submit(JobKind.COPY, [loc(tmp_path / "src")], loc(tmp_path / "dst"))
    await eng.wait(job.id)
    assert read_tree(tmp_path / "dst" / "src") == read_tree(tmp_path / "src")


async def test_several_sources_go_into_a_folder_created_for_them(tmp_path: Path, make_engine):
    write_tree(tmp_path / "src", SAMPLE)
    srcs = [loc(tmp_path / "src" / "a.txt"), loc(tmp_path / "src" / "docs")]
    eng = make_engine()
    job = await eng.submit(JobKind.COPY, srcs, loc(tmp_path / "out"))
    await eng.wait(job.id)
    assert job.state is JobState.DONE
    assert (tmp_path / "out" / "a.txt").read_bytes() == b"alpha\n"
    assert read_tree(tmp_path / "out" / "docs") == read_tree(tmp_path / "src" / "docs")


async def test_plan_creates_folders_first_shallow_before_deep(tmp_path: Path, make_engine):
    write_tree(tmp_path / "src", SAMPLE)
    eng = make_engine()
    job = await eng.submit(JobKind.COPY, [loc(tmp_path / "src")], loc(tmp_path / "d"), dry_run=True)
    kinds = [i.kind for i in job.items]
    first_file = kinds.index(ItemKind.FILE)
    assert all(k is ItemKind.MKDIR for k in kinds[:first_file])
    assert ItemKind.MKDIR not in kinds[first_file:]
    depths = [i.dst_path.count("/") for i in job.items[:first_file]]
    assert depths == sorted(depths)


async def test_modification_times_are_kept_to_the_nanosecond(tmp_path: Path, make_engine):
    write_tree(tmp_path / "src", SAMPLE)
    stamp = 1_600_000_000_123_456_789
    for p in (tmp_path / "src").rglob("*"):
        if p.is_file():
            os.utime(p, ns=(stamp, stamp))
    eng = make_engine()
    job = await eng.submit(JobKind.COPY, [loc(tmp_path / "src")], loc(tmp_path / "dst"))
    await eng.wait(job.id)
    for p in (tmp_path / "dst").rglob("*"):
        if p.is_file():
            assert p.stat().st_mtime_ns == stamp, p


async def test_dry_run_reports_the_plan_and_writes_nothing(tmp_path: Path, make_engine):
    write_tree(tmp_path / "src", SAMPLE)
    write_tree(tmp_path / "dst" / "src", {"a.txt": b"old"})
    eng = make_engine()
    job = await eng.submit(
        JobKind.COPY, [loc(tmp_path / "src")], loc(tmp_path / "dst"), dry_run=True
    )
    plan = job.plan
    assert plan is not None and plan.ok
    assert (plan.files, plan.folders) == (5, 3)  # docs, docs/deep, emptydir (src/ exists)
    assert plan.bytes == sum(len(v) for v in read_tree(tmp_path / "src").values())
    assert plan.conflicts == (str(tmp_path / "dst" / "src" / "a.txt"),)
    assert read_tree(tmp_path / "dst") == {"src/a.txt": b"old"}
    assert eng.journal is not None and eng.journal.job_ids() == []
    assert job.state is JobState.DONE and all(i.state is ItemState.PENDING for i in job.items)


async def test_copying_a_folder_into_itself_is_refused_before_writing(tmp_path, make_engine):
    write_tree(tmp_path / "src", SAMPLE)
    eng = make_engine()
    job = await eng.submit(JobKind.COPY, [loc(tmp_path / "src")], loc(tmp_path / "src" / "docs"))
    await eng.wait(job.id)
    assert job.state is JobState.FAILED
    assert "into itself" in (job.error or "")
    assert read_tree(tmp_path / "src") == read_tree(tmp_path / "src")  # nothing added
    assert not (tmp_path / "src" / "docs" / "src").exists()


async def test_symlinks_to_folders_are_never_followed_and_loops_do_not_hang(
    tmp_path: Path, make_engine
):
    src = tmp_path / "src"
    write_tree(src, {"real.txt": b"real", "sub": {"x": b"x"}})
    os.symlink(src, src / "sub" / "up")  # a loop back to the top
    os.symlink("loop-b", src / "loop-a")  # a → b → a: a loop of file links
    os.symlink("loop-a", src / "loop-b")
    os.symlink("real.txt", src / "link.txt")  # a link to a file: its content is copied
    eng = make_engine()
    job = await asyncio.wait_for(
        eng.submit(JobKind.COPY, [loc(src)], loc(tmp_path / "dst"), dry_run=True), 5
    )
    warnings = {Path(p.path).name: p.reason for p in job.plan.problems}
    assert "not followed" in warnings["up"]
    assert "looping" in warnings["loop-a"] and "looping" in warnings["loop-b"]
    job = await eng.submit(JobKind.COPY, [loc(src)], loc(tmp_path / "dst"))
    await asyncio.wait_for(eng.wait(job.id), 10)
    assert job.state is JobState.DONE
    assert read_tree(tmp_path / "dst") == {"real.txt": b"real", "sub/x": b"x", "link.txt": b"real"}
    assert not (tmp_path / "dst" / "sub" / "up").exists()


async def test_move_within_one_backend_renames_whole_folders(tmp_path: Path, make_engine):
    write_tree(tmp_path / "src", SAMPLE)
    before = read_tree(tmp_path / "src")
    backend = Wrapped()
    eng = make_engine(backend)
    job = await eng.submit(JobKind.MOVE, [loc(tmp_path / "src")], loc(tmp_path / "moved"))
    await eng.wait(job.id)
    assert job.state is JobState.DONE
    assert [i.kind for i in job.items] == [ItemKind.MOVE]
    assert backend.bytes_read == 0 and backend.writes == []
    assert read_tree(tmp_path / "moved") == before and not (tmp_path / "src").exists()


async def test_move_between_backends_copies_verifies_then_deletes_sources(
    tmp_path: Path, make_engine
):
    write_tree(tmp_path / "src", SAMPLE)
    before = read_tree(tmp_path / "src")
    # Two local remotes are one storage (a rename would do): a wrapper that does not say
    # which storage it is plays a backend of its own.
    eng = make_engine(Wrapped())
    job = await eng.submit(
        JobKind.MOVE, [loc(tmp_path / "src", "disk1")], loc(tmp_path / "dst", "disk2")
    )
    await eng.wait(job.id)
    assert job.state is JobState.DONE, [i.error for i in job.items if i.error]
    assert read_tree(tmp_path / "dst") == before
    assert not (tmp_path / "src").exists()  # emptied folders removed, deepest first
    kinds = [i.kind for i in job.items]
    assert kinds[-1] is ItemKind.RMDIR and ItemKind.MOVE not in kinds


async def test_move_merging_into_an_existing_folder_keeps_skipped_sources(tmp_path, make_engine):
    write_tree(tmp_path / "src", {"keep.txt": b"new", "go.txt": b"go"})
    write_tree(tmp_path / "dst" / "src", {"keep.txt": b"old"})
    eng = make_engine()
    job = await eng.submit(
        JobKind.MOVE, [loc(tmp_path / "src")], loc(tmp_path / "dst"), policy="skip"
    )
    await eng.wait(job.id)
    assert job.state is JobState.DONE
    assert read_tree(tmp_path / "dst") == {"src/keep.txt": b"old", "src/go.txt": b"go"}
    assert read_tree(tmp_path / "src") == {"keep.txt": b"new"}  # skipped: still at the source
    rmdir = next(i for i in job.items if i.kind is ItemKind.RMDIR)
    assert rmdir.state is ItemState.SKIPPED and "kept" in (rmdir.note or "")


class ServerCopy(Wrapped):
    """A backend that can copy without reading through the client."""

    def __init__(self) -> None:
        super().__init__()
        self.copies: list[tuple[str, str]] = []

    async def copy(self, src: str, dst: str) -> Entry:
        self.copies.append((src, dst))
        await asyncio.to_thread(shutil.copyfile, src, dst)
        return await self.inner.stat(dst)


async def test_same_remote_copy_uses_server_side_copy_and_sets_mtime(tmp_path, make_engine):
    write_tree(tmp_path / "src", SAMPLE)
    os.utime(tmp_path / "src" / "a.txt", ns=(10**18, 10**18))
    backend = ServerCopy()
    eng = make_engine(backend)
    plan_job = await eng.submit(
        JobKind.COPY, [loc(tmp_path / "src")], loc(tmp_path / "dst"), dry_run=True
    )
    assert plan_job.plan.method == "server"
    job = await eng.submit(JobKind.COPY, [loc(tmp_path / "src")], loc(tmp_path / "dst"))
    await eng.wait(job.id)
    assert job.state is JobState.DONE
    assert backend.bytes_read == 0 and backend.writes == [] and len(backend.copies) == 5
    assert read_tree(tmp_path / "dst") == read_tree(tmp_path / "src")
    assert (tmp_path / "dst" / "a.txt").stat().st_mtime_ns == 10**18


class Picky(Wrapped):
    """A destination that cannot store ':' in names, files over 1 MB, and has 10 kB free."""

    def __init__(self, free: int | None = None) -> None:
        super().__init__()
        self.free = free

    def check_path(self, path: str, size: int | None = None) -> None:
        if ":" in os.path.basename(path):
            raise errors.InvalidName("a name cannot contain ':'", path=path)
        if size is not None and size > 1_000_000:
            raise errors.FileTooLarge("file too large for the destination", path=path)

    async def about(self) -> Quota:
        if self.free is None:
            return Quota(total=None, used=None)
        return Quota(total=10_000_000, used=10_000_000 - self.free, remaining=self.free)


async def test_preflight_fails_only_what_the_destination_cannot_store(tmp_path, make_engine):
    write_tree(
        tmp_path / "src", {"ok.txt": b"fine", "a:b.txt": b"colon", "huge": b"\0" * 2_000_000}
    )
    eng = make_engine(Picky(free=None))
    job = await eng.submit(JobKind.COPY, [loc(tmp_path / "src")], loc(tmp_path / "dst"))
    await eng.wait(job.id)
    # Refused files are failed items (counted, reported, retried with the others).
    reasons = {Path(i.dst_path).name: i.error for i in job.failed_items()}
    assert reasons.keys() == {"a:b.txt", "huge"}
    assert "':'" in (reasons["a:b.txt"] or "") and "too large" in (reasons["huge"] or "")
    assert all(i.attempts == 0 for i in job.failed_items())  # never sent
    assert read_tree(tmp_path / "dst") == {"ok.txt": b"fine"}
    assert job.state is JobState.FAILED and job.error == "2 items failed"


async def test_not_enough_space_stops_the_job_before_anything_is_written(tmp_path, make_engine):
    write_tree(tmp_path / "src", {"a": b"x" * 6000, "b": b"y" * 6000})
    eng = make_engine(Picky(free=10_000))
    job = await eng.submit(JobKind.COPY, [loc(tmp_path / "src")], loc(tmp_path / "dst"))
    await eng.wait(job.id)
    assert job.state is JobState.FAILED
    assert "not enough space" in (job.error or "") and job.plan.free == 10_000
    assert not (tmp_path / "dst").exists()


async def test_progress_is_coalesced_not_reported_per_chunk(tmp_path: Path, make_engine):
    write_tree(tmp_path / "src", {f"f{i:03}": os.urandom(3000) for i in range(300)})
    rec = Recorder()
    eng = make_engine(on_progress=rec, progress_interval=0.1)
    loop = asyncio.get_running_loop()
    start = loop.time()
    job = await eng.submit(JobKind.COPY, [loc(tmp_path / "src")], loc(tmp_path / "dst"))
    await eng.wait(job.id)
    elapsed = loop.time() - start
    # One per tick plus one per job state change (queued→planning→running→done).
    assert len(rec.snapshots) <= elapsed / 0.1 + 6
    done = [s.bytes_done for s in rec.snapshots]
    assert done == sorted(done) and done[-1] == 900_000
    assert rec.snapshots[-1].items_done == 301


async def test_delete_job_uses_the_trash_when_asked_else_removes(tmp_path: Path, make_engine):
    write_tree(tmp_path / "src", SAMPLE)
    eng = make_engine()
    job = await eng.submit(JobKind.DELETE, [loc(tmp_path / "src" / "docs")])
    await eng.wait(job.id)
    assert job.state is JobState.DONE and job.items[0].note == "moved to the trash"
    trash = Path(os.environ["XDG_DATA_HOME"]) / "Trash" / "files"
    assert (trash / "docs" / "b.md").exists()
    job = await eng.submit(JobKind.DELETE, [loc(tmp_path / "src")], use_trash=False)
    await eng.wait(job.id)
    assert job.state is JobState.DONE and not (tmp_path / "src").exists()


async def test_mkdir_job_creates_parents_and_reports_an_existing_folder(tmp_path, make_engine):
    eng = make_engine()
    job = await eng.submit(JobKind.MKDIR, [], loc(tmp_path / "a" / "b"))
    await eng.wait(job.id)
    assert job.state is JobState.DONE and (tmp_path / "a" / "b").is_dir()
    again = await eng.submit(JobKind.MKDIR, [], loc(tmp_path / "a" / "b"))
    await eng.wait(again.id)
    assert again.state is JobState.DONE
    assert again.plan is not None and again.plan.problems[0].severity == "warning"
