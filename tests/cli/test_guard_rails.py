"""Guard rails on rm and mv (issue #22): roots, home and whole drives are refused with the
reason; big deletions state their size and ask on a terminal, ``--yes`` for scripts. Through
the real command line (its own process; a pty where a terminal is needed), local and on the
TLS emulator; the planner refuses too, for every other way a job is made."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.backends.local import LocalBackend
from core.emulator import RunningServer
from core.guard import BIG_BYTES, DeletionSize, deletion_size, local_reason, protected_reason
from core.paths import Location
from core.transfer import JobKind, JobState, TransferEngine
from tests.cli.helpers import ROOT, signed_in_remote, skypane
from tests.terminal import Terminal

TUI = [sys.executable, "-m", "tui"]


@pytest.fixture
def remote(capsys: pytest.CaptureFixture[str]) -> Iterator[RunningServer]:
    """A remote "em" on the TLS emulator."""
    with signed_in_remote() as server:
        capsys.readouterr()
        yield server


def many_files(folder: Path, count: int = 1001) -> Path:
    folder.mkdir(parents=True)
    for i in range(count):
        (folder / f"f{i:04d}").write_bytes(b"")
    return folder


# -- refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["rm", "-r", "/"], "refusing to delete /: it is the root of the file system"),
        (["rm", "-r", "--dry-run", "/"], "refusing to delete /: it is the root of the file system"),
        (["rm", "-r", "--yes", "--permanent", "/"], "it is the root of the file system"),
        (["mv", "/", "{home}/x"], "refusing to move /: it is the root of the file system"),
    ],
    ids=["rm", "dry-run", "yes-permanent", "mv"],
)
def test_the_root_of_the_file_system_is_refused(isolated_dirs: Path, argv: list[str], said: str):
    done = skypane(*(a.format(home=isolated_dirs) for a in argv))
    assert done.returncode == 1 and said in done.stderr
    assert os.path.isdir("/usr")


def test_home_and_a_folder_holding_it_are_refused_but_their_contents_are_not(
    isolated_dirs: Path,
):
    home = isolated_dirs
    inside = home / "old-project"
    inside.mkdir()
    (inside / "a.txt").write_text("a")
    done = skypane("rm", "-r", str(home))
    assert done.returncode == 1
    assert f"refusing to delete {home}: it is your home folder" in done.stderr
    done = skypane("rm", "-r", "--dry-run", str(home / ".."))
    assert done.returncode == 1
    assert f"refusing to delete {home.parent}: it holds your home folder" in done.stderr
    done = skypane("mv", str(home), str(home.parent / "elsewhere"))
    assert done.returncode == 1 and "refusing to move" in done.stderr
    assert home.is_dir() and (inside / "a.txt").exists()
    # What is in the home folder is deleted by naming it, as before.
    done = skypane("rm", "-r", "--permanent", str(inside))
    assert done.returncode == 0, done.stderr
    assert not inside.exists() and home.is_dir()


def test_a_link_to_home_is_deleted_as_a_link(isolated_dirs: Path, tmp_path: Path):
    link = tmp_path / "to-home"
    link.symlink_to(isolated_dirs)
    done = skypane("rm", "--permanent", str(link))
    assert done.returncode == 0, done.stderr
    assert not link.is_symlink() and isolated_dirs.is_dir()


@pytest.mark.parametrize("root", ["em:", "em:/"])
def test_a_whole_drive_is_refused_and_a_folder_in_it_is_not(remote: RunningServer, root: str):
    em = remote.emulator
    em.put_file("Temp/a.txt", b"a")
    for argv in (
        ["rm", "-r", root],
        ["rm", "-r", "--yes", "--permanent", root],
        ["mv", root, "em:X"],
    ):
        done = skypane(*argv)
        assert done.returncode == 1, argv
        assert "it is the whole drive em: (name what is in it instead)" in done.stderr
    assert em.read("Temp/a.txt") == b"a"
    done = skypane("rm", "-r", "em:Temp")
    assert done.returncode == 0, done.stderr
    with pytest.raises(Exception):  # noqa: B017 - in the recycle bin now
        em.item("Temp")


async def test_the_planner_refuses_protected_sources_for_every_caller(isolated_dirs: Path):
    """The TUI, mirror and scripts of the engine meet the same refusal, before anything runs."""
    engine = TransferEngine(lambda remote: LocalBackend(), None)
    try:
        job = await engine.submit(JobKind.DELETE, [Location(None, str(isolated_dirs))])
        await engine.wait(job.id)
        assert job.state is JobState.FAILED
        assert job.error == f"refusing to delete it: it is your home folder: {isolated_dirs}"
        job = await engine.submit(JobKind.MOVE, [Location(None, "/")], Location(None, "/tmp/x"))
        await engine.wait(job.id)
        assert job.state is JobState.FAILED and "root of the file system" in (job.error or "")
    finally:
        await engine.close()
    assert isolated_dirs.is_dir()


def test_protected_reasons():
    home = "/home/ada"
    assert local_reason("/", home) == "it is the root of the file system"
    assert local_reason("/home/ada/", home) == "it is your home folder"
    assert local_reason("/home", home) == "it holds your home folder"
    assert local_reason("/home/ada/Documents", home) is None
    assert local_reason("/home/adam", home) is None  # a neighbour whose name starts alike
    assert protected_reason(Location("work", "/")) is not None
    assert protected_reason(Location("work", "/Documents")) is None
    assert DeletionSize(files=1001).big and DeletionSize(bytes=BIG_BYTES + 1).big
    assert not DeletionSize(files=1000, bytes=BIG_BYTES).big


# -- big deletions ----------------------------------------------------------------------------


def test_a_big_local_deletion_needs_yes_in_a_script(tmp_path: Path):
    big = many_files(tmp_path / "big")
    done = skypane("rm", "-r", str(big))
    assert done.returncode == 2
    assert "This deletes 1,001 files and 1 folder (0 Bytes)" in done.stderr
    assert "refusing without --yes" in done.stderr
    assert len(os.listdir(big)) == 1001
    done = skypane("rm", "-r", "--yes", "--permanent", str(big))
    assert done.returncode == 0, done.stderr
    assert not big.exists()


def test_a_small_deletion_is_not_asked_about(tmp_path: Path):
    small = many_files(tmp_path / "small", 1000)
    done = skypane("rm", "-r", "--permanent", str(small))
    assert done.returncode == 0, done.stderr
    assert "permanently: this cannot be undone" in done.stderr
    assert not small.exists()


def test_a_small_permanent_deletion_on_a_terminal_says_it_cannot_be_undone(tmp_path: Path):
    small = many_files(tmp_path / "small", 3)
    env = {**os.environ, "TERM": "xterm-256color"}
    term = Terminal(ROOT, env, argv=[*TUI, "rm", "-r", "--permanent", str(small)])
    try:
        term.wait_for(r"Delete it\? \[y/N\]", 60)
        asked = term.text()
        term.press("n\r")
        status = term.wait_exit(60)
    finally:
        term.close()
    assert status == 0 and "cannot be undone" in asked
    assert len(os.listdir(small)) == 3


def _rm_on_a_terminal(tmp_path: Path, answer: str, *args: str) -> tuple[int | None, str]:
    env = {**os.environ, "TERM": "xterm-256color"}
    term = Terminal(ROOT, env, argv=[*TUI, "rm", "-r", *args])
    try:
        term.wait_for(r"Delete all of it\? \[y/N\]", 60)
        asked = term.text()
        term.press(answer + "\r")
        status = term.wait_exit(60)
    finally:
        term.close()
    return status, asked + term.text()


def test_a_big_deletion_on_a_terminal_states_its_size_and_asks(tmp_path: Path):
    big = many_files(tmp_path / "big")
    status, screen = _rm_on_a_terminal(tmp_path, "n", "--permanent", str(big))
    assert status == 0 and "Nothing deleted." in screen
    assert "This deletes 1,001 files and 1 folder" in screen
    assert "permanently: this cannot be undone" in screen
    assert len(os.listdir(big)) == 1001
    status, screen = _rm_on_a_terminal(tmp_path, "y", str(big))
    assert status == 0, screen
    assert "to the trash / recycle bin" in screen
    assert not big.exists()


def test_a_big_deletion_on_the_drive_by_count_and_by_size(remote: RunningServer):
    em = remote.emulator
    em.add_files("Many", 1001)
    em.add_files("Heavy", 900, size=12 * 1024 * 1024)  # one shared blob: 10.5 GiB in all
    done = skypane("rm", "-r", "em:Many", "em:Heavy")
    assert done.returncode == 2
    assert "This deletes 1,901 files and 2 folders (10.5 GiB)" in done.stderr
    assert len(em.item("Many").children or {}) == 1001
    done = skypane("rm", "-r", "em:Heavy")
    assert done.returncode == 2 and "900 files and 1 folder (10.5 GiB)" in done.stderr
    done = skypane("rm", "-r", "--yes", "em:Many", "em:Heavy")
    assert done.returncode == 0, done.stderr
    for name in ("Many", "Heavy"):
        with pytest.raises(Exception):  # noqa: B017 - in the recycle bin now
            em.item(name)


async def test_deletion_size_counts_files_folders_and_bytes_without_following_links(
    tmp_path: Path,
):
    (tmp_path / "t" / "sub").mkdir(parents=True)
    (tmp_path / "t" / "a").write_bytes(b"12345")
    (tmp_path / "t" / "sub" / "b").write_bytes(b"123")
    (tmp_path / "t" / "up").symlink_to(tmp_path)  # a loop if it were followed
    backend = LocalBackend()
    entry = await backend.stat(str(tmp_path / "t"))
    size = await deletion_size(backend, [entry])
    assert size == DeletionSize(files=3, folders=2, bytes=8)


def test_json_output_is_unchanged_by_the_question(tmp_path: Path):
    small = many_files(tmp_path / "small", 3)
    done = skypane("rm", "-r", "--json", str(small))
    assert done.returncode == 0 and json.loads(done.stdout)["state"] == "done"
