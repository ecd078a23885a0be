"""The SFTP backend's own behaviour beyond the conformance suite: host keys as OpenSSH
checks them, passwords from the secret store, special files, resumed writes, modes, the
server's SHA-256, names that are not UTF-8."""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

import asyncssh
import pytest

from core import errors
from core.backend import BackendContext, WriteRequest
from core.backends.sftp.backend import SftpBackend
from core.model import SHA256
from core.secrets import MemorySecrets, save_secret_options
from tests.backend_io import listing, read_all
from tests.conformance.test_backend_contract import put, source_of
from tests.sftp.servers import KeyboardInteractiveOnly, Server, asyncssh_server


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[Server]:
    async with asyncssh_server(tmp_path) as s:
        yield s


async def opened(options: dict, secrets: object = None) -> SftpBackend:
    return SftpBackend.from_config(
        "box", options, BackendContext(secrets=secrets or MemorySecrets())
    )


async def test_an_unknown_host_key_is_refused_naming_its_fingerprint(server: Server) -> None:
    server.keys.known_hosts.write_text("")
    backend = await opened(server.options())
    with pytest.raises(errors.PermissionDenied) as info:
        await backend.stat("/")
    text = str(info.value)
    assert server.keys.host_key.get_fingerprint("sha256") in text
    assert "not known" in text and "accept_new_host_key" in text and "ssh -p" in text
    assert server.keys.known_hosts.read_text() == ""  # nothing trusted behind the user's back


async def test_a_changed_host_key_is_refused_even_with_accept_new(server: Server) -> None:
    server.keys.trust(server.port, asyncssh.generate_private_key("ssh-ed25519"))
    before = server.keys.known_hosts.read_text()
    backend = await opened(server.options(accept_new_host_key=True))
    with pytest.raises(errors.PermissionDenied) as info:
        await backend.stat("/")
    assert "CHANGED" in str(info.value)
    assert server.keys.host_key.get_fingerprint("sha256") in str(info.value)
    assert server.keys.known_hosts.read_text() == before


async def test_accept_new_host_key_remembers_the_key_and_uses_it_after(server: Server) -> None:
    server.keys.known_hosts.unlink()
    backend = await opened(server.options(accept_new_host_key=True))
    assert (await backend.stat("/")).is_dir
    await backend.close()
    assert f"[127.0.0.1]:{server.port} ssh-ed25519 " in server.keys.known_hosts.read_text()
    strict = await opened(server.options())  # strict again: the key is now known
    assert (await strict.stat("/")).is_dir
    await strict.close()


async def test_password_comes_from_the_secret_store(server: Server) -> None:
    options = server.options(key_file=None)
    options.pop("key_file")
    secrets = MemorySecrets()
    backend = await opened(options, secrets)
    with pytest.raises(errors.AuthenticationRequired):
        await backend.stat("/")
    save_secret_options(secrets, "box", {"password": "correct horse"})
    assert "correct horse" not in repr(secrets)
    backend = await opened(options, secrets)
    assert (await backend.stat("/")).is_dir
    await backend.close()


async def test_the_password_answers_a_keyboard_interactive_prompt(tmp_path: Path) -> None:
    async with asyncssh_server(tmp_path, ssh_server=KeyboardInteractiveOnly) as server:
        options = server.options()
        options.pop("key_file")
        secrets = MemorySecrets()
        save_secret_options(secrets, "box", {"password": "correct horse"})
        backend = await opened(options, secrets)
        assert (await backend.stat("/")).is_dir
        await backend.close()


async def test_a_fifo_on_the_server_is_listed_but_never_opened(server: Server) -> None:
    os.mkfifo(server.local_root / "pipe")
    backend = await opened(server.options())
    entries = await listing(backend, "/")
    assert not entries["pipe"].is_dir and entries["pipe"].size == 0
    assert entries["pipe"].special == "named pipe"
    with pytest.raises(errors.NotARegularFile, match="named pipe"):
        await read_all(backend, "/pipe")
    await backend.close()


async def test_a_write_resumes_from_its_part_file(server: Server) -> None:
    backend = await opened(server.options())
    data = os.urandom(3 * 1024 * 1024 + 5)
    checkpoints: list[dict] = []

    class Progress:
        def advance(self, n: int) -> None:
            pass

        def checkpoint(self, state: dict) -> None:
            checkpoints.append(dict(state))

    async def dies(offset: int) -> AsyncIterator[bytes]:
        yield data[offset : offset + 2 * 1024 * 1024]
        raise errors.TransientError("the source went away")

    with pytest.raises(errors.TransientError):
        await backend.write("/big", dies, WriteRequest(size=len(data)), Progress())
    part = checkpoints[-1]["part"]
    assert (server.local_root / part.lstrip("/")).stat().st_size == 2 * 1024 * 1024
    offsets: list[int] = []

    def rest(offset: int) -> AsyncIterator[bytes]:
        offsets.append(offset)
        return source_of(data)(offset)

    entry = await backend.write("/big", rest, WriteRequest(size=len(data), resume={"part": part}))
    assert offsets == [2 * 1024 * 1024]
    assert entry.size == len(data)
    assert (server.local_root / "big").read_bytes() == data
    assert not (server.local_root / part.lstrip("/")).exists()
    await backend.close()


async def test_a_new_file_gets_the_source_mode_and_a_replaced_one_keeps_its_own(
    server: Server,
) -> None:
    backend = await opened(server.options())
    await put(backend, "/private", b"secret", mode=0o600)
    assert (server.local_root / "private").stat().st_mode & 0o777 == 0o600
    (server.local_root / "script").write_bytes(b"old")
    os.chmod(server.local_root / "script", 0o750)
    await put(backend, "/script", b"new", mode=0o644)
    assert (server.local_root / "script").stat().st_mode & 0o777 == 0o750
    assert (await backend.stat("/script")).mode == 0o750
    await backend.close()


async def test_a_name_that_is_not_utf8_round_trips(server: Server) -> None:
    raw = b"caf\xe9.txt"
    with open(os.fsencode(server.local_root) + b"/" + raw, "wb") as f:
        f.write(b"latin-1")
    backend = await opened(server.options())
    entries = await listing(backend, "/")
    (name,) = entries
    assert name.encode("utf-8", "surrogateescape") == raw
    assert await read_all(backend, entries[name].path) == b"latin-1"
    await backend.close()


async def test_nothing_above_the_root_is_reachable(server: Server) -> None:
    (server.local_root / "inside").mkdir()
    backend = await opened(server.options(root="/inside"))
    assert await listing(backend, "/../..") == {}
    with pytest.raises(errors.PermissionDenied):
        await backend.remove("/")
    await backend.close()


async def test_openssh_checks_what_it_stored_with_sha256sum(
    openssh: Server, tmp_path: Path
) -> None:
    root = tmp_path / "root"
    root.mkdir()
    backend = await opened(openssh.options(root=str(root)))
    data = os.urandom(2 * 1024 * 1024)
    entry = await put(backend, "/f.bin", data)
    assert entry.hashes[SHA256] == hashlib.sha256(data).hexdigest()
    assert await backend.remote_sha256("/f.bin") == hashlib.sha256(data).hexdigest()
    await backend.close()


async def test_a_server_that_runs_no_commands_is_checked_by_size(server: Server) -> None:
    backend = await opened(server.options())
    data = os.urandom(2 * 1024 * 1024)
    entry = await put(backend, "/f.bin", data)
    assert SHA256 not in entry.hashes and entry.size == len(data)
    assert await backend.remote_sha256("/f.bin") is None
    await backend.close()
