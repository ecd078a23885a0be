"""``NAME:path`` for an SFTP remote on the command line, as a user runs it: the real
``skypane`` command in a child process against OpenSSH's sshd on a loopback port."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import asyncssh
import pytest

from core.config import RemoteConfig, load_config
from tests.sftp.servers import Server, asyncssh_server


def skypane(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tui", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env=os.environ.copy(),
    )


@pytest.fixture
def box(openssh: Server, tmp_path: Path) -> Path:
    """A remote ``box`` whose root is a fresh folder on the server (returned)."""
    root = tmp_path / "server-root"
    root.mkdir()
    config = load_config()
    config.set_remote(RemoteConfig("box", "sftp", openssh.options(root=str(root))))
    config.save()
    return root


def test_cp_a_local_folder_to_the_server_and_ls_it(box: Path, tmp_path: Path) -> None:
    src = tmp_path / "photos"
    (src / "2024").mkdir(parents=True)
    (src / "2024" / "a.jpg").write_bytes(os.urandom(3 * 1024 * 1024))
    (src / "notes.txt").write_text("hello")
    os.utime(src / "notes.txt", (1_600_000_000, 1_600_000_000))
    os.chmod(src / "notes.txt", 0o640)

    done = skypane("cp", str(src), "box:")
    assert done.returncode == 0, done.stderr
    assert (box / "photos/2024/a.jpg").read_bytes() == (src / "2024/a.jpg").read_bytes()
    stored = box / "photos/notes.txt"
    assert stored.read_text() == "hello"
    assert stored.stat().st_mtime == 1_600_000_000
    assert stored.stat().st_mode & 0o777 == 0o640
    assert not [p for p in box.rglob("*") if p.name.endswith(".skypane-part")]

    listed = skypane("ls", "box:", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [e["name"] for e in json.loads(listed.stdout)] == ["photos"]
    listed = skypane("ls", "-l", "box:photos")
    assert "notes.txt" in listed.stdout and "2024/" in listed.stdout


def test_get_from_the_server_resumes_nothing_and_matches(box: Path, tmp_path: Path) -> None:
    (box / "docs").mkdir()
    data = os.urandom(1024 * 1024 + 7)
    (box / "docs" / "report.pdf").write_bytes(data)
    dest = tmp_path / "here"
    dest.mkdir()
    done = skypane("get", "box:docs", str(dest))
    assert done.returncode == 0, done.stderr
    assert (dest / "docs" / "report.pdf").read_bytes() == data


def test_an_unknown_host_key_is_refused_on_the_command_line(box: Path, openssh: Server) -> None:
    config = load_config()
    remote = config.remote("box")
    empty = box.parent / "empty_known_hosts"
    empty.write_text("")
    config.set_remote(RemoteConfig("box", "sftp", {**remote.options, "known_hosts": str(empty)}))
    config.save()
    done = skypane("ls", "box:")
    assert done.returncode != 0
    assert openssh.keys.host_key.get_fingerprint("sha256") in done.stderr
    assert "not known" in done.stderr


async def run_async(*args: str, stdin: str = "") -> tuple[int, str, str]:
    """The command in a child while this event loop goes on serving (asyncssh's server)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tui",
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(stdin.encode()), 120)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_remotes_add_with_a_password_asked_for_then_ls(tmp_path: Path) -> None:
    async with asyncssh_server(tmp_path) as server:
        (server.local_root / "hello.txt").write_text("hi")
        options = server.options()
        words = [f"{k}={v}" for k, v in options.items() if k != "key_file"]
        code, out, err = await run_async(
            "remotes", "add", "box", "sftp", *words, "password=-", stdin="correct horse\n"
        )
        assert code == 0, err
        text = load_config().path.read_text()
        assert "correct horse" not in text and "password" not in text
        code, out, err = await run_async("remotes")
        assert f"box:\tsftp\tskypane@127.0.0.1:{server.port}" in out
        code, out, err = await run_async("ls", "box:")
        assert code == 0, err
        assert out.split() == ["hello.txt"]


async def test_remotes_add_refuses_a_password_on_the_command_line() -> None:
    code, _out, err = await run_async("remotes", "add", "box", "sftp", "host=h", "password=hunter2")
    assert code == 2 or code == 1
    assert "password=-" in err and "hunter2" not in err
    assert not load_config().remotes


class HostileServer(asyncssh.SFTPServer):
    """Lists, beside the real entries, names that would climb out of a destination, name
    two components, or put a control character on the terminal."""

    HOSTILE = (b"..", b"../escape", b"sub/inner", b"bell\x07\x1b[31mred")

    async def scandir(self, path: bytes) -> AsyncIterator[asyncssh.SFTPName]:
        async for name in super().scandir(path):
            yield name
        for raw in self.HOSTILE:
            attrs = asyncssh.SFTPAttrs(
                type=asyncssh.FILEXFER_TYPE_REGULAR,
                size=4,
                permissions=0o100644,
                mtime=1_600_000_000,
            )
            yield asyncssh.SFTPName(raw, attrs=attrs)


async def test_names_a_hostile_server_lists_are_refused_and_nothing_lands_outside(
    tmp_path: Path,
) -> None:
    async with asyncssh_server(tmp_path, HostileServer) as server:
        (server.local_root / "good.txt").write_text("good")
        config = load_config()
        config.set_remote(RemoteConfig("box", "sftp", server.options()))
        config.save()
        dest = tmp_path / "dest" / "inside"
        dest.mkdir(parents=True)
        code, out, err = await run_async("get", "box:", str(dest), "--conflict", "skip")
        assert code == 1, err  # refused names count as failed items
        assert sorted(p.name for p in dest.rglob("*")) == ["good.txt"]
        assert sorted(p.name for p in (tmp_path / "dest").iterdir()) == ["inside"]
        assert "\x07" not in err and "\x1b" not in err and "\x07" not in out
        assert "bell\\x07\\x1b[31mred" in err + out
        code, out, err = await run_async("ls", "box:")
        assert "\x1b" not in out and "\x07" not in out


async def test_tree_ends_on_a_server_link_loop_and_rm_deletes_for_good(tmp_path: Path) -> None:
    async with asyncssh_server(tmp_path) as server:
        (server.local_root / "a" / "b").mkdir(parents=True)
        (server.local_root / "a" / "b" / "f.txt").write_text("f")
        os.symlink("..", server.local_root / "a" / "b" / "up")  # a loop if followed
        config = load_config()
        config.set_remote(RemoteConfig("box", "sftp", server.options()))
        config.save()
        code, out, err = await run_async("tree", "box:")
        assert code == 0, err
        assert "f.txt" in out and "up" in out and out.count("f.txt") == 1
        code, out, err = await run_async("rm", "-r", "--permanent", "--yes", "box:a")
        assert code == 0, err
        assert not (server.local_root / "a").exists()
        assert server.local_root.is_dir()  # the remote's root stays
