"""Named pipes, sockets and devices in a copied tree: reported by name, never opened, nothing
written for them, the rest copied (issue #21). Each copy runs the real command line in its
own process, so a regression that opens a pipe fails on the timeout instead of hanging."""

from __future__ import annotations

import asyncio
import json
import os
import stat
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from core import errors
from core.backends.local import LocalBackend
from core.emulator import RunningServer
from core.hashing import hash_file
from core.model import Entry
from core.paths import Location
from core.special import open_regular
from core.transfer import JobKind, JobState, TransferEngine
from tests.cli.helpers import files_under, signed_in_remote, skypane, special_tree, try_mknod

REGULAR = {"a.txt": b"alpha\n", "sub/b.txt": b"beta\n" * 1000}


@pytest.fixture
def remote(capsys: pytest.CaptureFixture[str]) -> Iterator[RunningServer]:
    """A remote "em" on the TLS emulator."""
    with signed_in_remote() as server:
        capsys.readouterr()
        yield server


def skipped_warnings(summary: dict) -> dict[str, str]:
    return {
        p["path"]: p["reason"]
        for p in summary["plan"]["problems"]
        if p["reason"].startswith("skipped: not a regular file")
    }


def assert_reported(summary: dict, src: Path, specials: dict[str, str]) -> None:
    warned = skipped_warnings(summary)
    assert warned == {
        str(src / rel): f"skipped: not a regular file ({kind})" for rel, kind in specials.items()
    }
    assert all(p["severity"] == "warning" for p in summary["plan"]["problems"])


def test_cp_copies_the_files_of_a_tree_and_reports_its_pipe_socket_and_devices(tmp_path: Path):
    src, dst = tmp_path / "src", tmp_path / "dst"
    with special_tree(src) as specials:
        done = skypane("cp", "--json", str(src), str(dst), timeout=90)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["state"] == "done" and summary["failed"] == []
    assert_reported(summary, src, specials)
    # Only the regular files arrived: no pipe, socket, device, empty stand-in or part file.
    assert files_under(dst) == REGULAR
    assert stat.S_ISFIFO(os.lstat(src / "pipe").st_mode)  # the source is untouched


def test_the_warning_names_each_special_file_on_the_terminal(tmp_path: Path):
    src, dst = tmp_path / "src", tmp_path / "dst"
    with special_tree(src, devices=False):
        done = skypane("cp", "-q", str(src), str(dst), timeout=90)
    assert done.returncode == 0, done.stderr
    assert f"warning: {src / 'pipe'}: skipped: not a regular file (named pipe)" in done.stderr
    assert f"warning: {src / 'sub/sock'}: skipped: not a regular file (socket)" in done.stderr


def test_put_of_a_tree_with_special_files_to_the_emulator(tmp_path: Path, remote: RunningServer):
    src = tmp_path / "src"
    with special_tree(src) as specials:
        done = skypane("put", "--json", str(src), "em:Backup", timeout=120)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["state"] == "done" and summary["failed"] == []
    assert_reported(summary, src, specials)
    em = remote.emulator
    assert em.read("Backup/a.txt") == REGULAR["a.txt"]
    assert em.read("Backup/sub/b.txt") == REGULAR["sub/b.txt"]
    for rel in specials:
        with pytest.raises(Exception):  # noqa: B017 - nothing was written for it
            em.item(f"Backup/{rel}")


def test_a_named_pipe_given_by_name_is_refused_without_blocking(tmp_path: Path):
    os.mkfifo(tmp_path / "pipe")
    done = skypane("cp", "--json", str(tmp_path / "pipe"), str(tmp_path / "out"), timeout=60)
    summary = json.loads(done.stdout)
    assert skipped_warnings(summary) == {
        str(tmp_path / "pipe"): "skipped: not a regular file (named pipe)"
    }
    assert not (tmp_path / "out").exists()
    assert sorted(os.listdir(tmp_path)) == ["pipe"]  # no part file either


def test_hashsum_of_a_named_pipe_says_what_it_is(tmp_path: Path):
    os.mkfifo(tmp_path / "pipe")
    done = skypane("hashsum", str(tmp_path / "pipe"), timeout=60)
    assert done.returncode == 1
    assert "not a regular file (named pipe): never opened" in done.stderr


def test_hashsum_and_ls_hash_of_a_folder_skip_its_special_files(tmp_path: Path):
    src = tmp_path / "src"
    with special_tree(src, devices=False):
        summed = skypane("hashsum", str(src), timeout=60)
        listed = skypane("ls", "--hash", "--json", str(src), timeout=60)
    assert summed.returncode == 1, summed.stderr  # something was skipped, as for bad names
    assert sorted(line.split("  ", 1)[1] for line in summed.stdout.splitlines()) == [
        "a.txt",
        "sub/b.txt",
    ]
    assert f"{src / 'pipe'}: skipped: not a regular file (named pipe)" in summed.stderr
    assert f"{src / 'sub/sock'}: skipped: not a regular file (socket)" in summed.stderr
    assert listed.returncode == 0, listed.stderr
    hashed = {e["name"]: "hashes" in e for e in json.loads(listed.stdout)}
    assert hashed["a.txt"] and not hashed["pipe"] and not hashed["to-pipe"]


def test_a_device_node_is_reported_by_kind(tmp_path: Path):
    if not try_mknod(tmp_path / "null", stat.S_IFCHR, 1, 3):
        pytest.skip("this process may not create device nodes (needs CAP_MKNOD)")
    done = skypane("cp", "--json", str(tmp_path / "null"), str(tmp_path / "copy"), timeout=60)
    assert skipped_warnings(json.loads(done.stdout)) == {
        str(tmp_path / "null"): "skipped: not a regular file (character device)"
    }
    assert not (tmp_path / "copy").exists()


# -- a file swapped for a pipe after it was listed ---------------------------------------------


def _with_timeout(fn, seconds: float = 30.0):  # type: ignore[no-untyped-def]
    """Run ``fn`` in a daemon thread: a call that blocks fails the test instead of hanging it."""
    out: dict[str, object] = {}

    def target() -> None:
        try:
            out["value"] = fn()
        except BaseException as exc:  # handed to the test
            out["error"] = exc

    t = threading.Thread(target=target, daemon=True)
    t.start()
    t.join(seconds)
    assert not t.is_alive(), "the call blocked"
    if "error" in out:
        raise out["error"]  # type: ignore[misc]
    return out.get("value")


def test_open_regular_refuses_a_pipe_without_waiting_for_a_writer(tmp_path: Path):
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(errors.NotARegularFile, match="named pipe"):
        _with_timeout(lambda: open_regular(str(tmp_path / "pipe")))
    with pytest.raises(errors.NotARegularFile):
        _with_timeout(lambda: hash_file(tmp_path / "pipe"))
    (tmp_path / "f").write_bytes(b"x")
    fd = open_regular(str(tmp_path / "f"))
    try:
        assert os.get_blocking(fd) and os.read(fd, 10) == b"x"
    finally:
        os.close(fd)


class StaleListing(LocalBackend):
    """Lists what was there when the plan was made: regular files, one of them since swapped
    for a named pipe (the race ``O_NONBLOCK`` + ``fstat`` closes)."""

    def __init__(self, swapped: str) -> None:
        super().__init__()
        self.swapped = swapped

    async def list(self, path: str) -> AsyncIterator[list[Entry]]:
        async for page in super().list(path):
            yield [_as_file(e) if e.path == self.swapped else e for e in page]


def _as_file(e: Entry) -> Entry:
    from dataclasses import replace

    return replace(e, special=None, size=5)


async def test_a_file_swapped_for_a_pipe_after_planning_fails_alone_and_leaves_nothing(
    tmp_path: Path,
):
    src, dst = tmp_path / "src", tmp_path / "dst"
    src.mkdir()
    (src / "a.txt").write_bytes(b"alpha")
    os.mkfifo(src / "was-a-file")
    backend = StaleListing(str(src / "was-a-file"))
    engine = TransferEngine(lambda remote: backend, None, workers=2)
    try:
        job = await engine.submit(
            JobKind.COPY, [Location(None, str(src))], Location(None, str(dst))
        )
        await asyncio.wait_for(engine.wait(job.id), 60)
    finally:
        await engine.close()
    assert job.state is JobState.FAILED
    [failed] = job.failed_items()
    assert failed.src_path == str(src / "was-a-file") and "named pipe" in (failed.error or "")
    assert sorted(os.listdir(dst)) == ["a.txt"]  # no part file for the pipe
