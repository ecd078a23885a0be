"""Real SSH servers for the SFTP backend's tests, on 127.0.0.1 ports of their own.

``asyncssh_server`` runs asyncssh's own SFTP server in the test's event loop, serving a
temporary folder (its chroot) to one user with one key. ``openssh_server`` runs OpenSSH's
``sshd`` as a child process with a private config, host key and authorized key, serving the
real file system under the same user the tests run as; it is skipped where sshd is not
installed. Both yield the options of a remote that reaches them (known_hosts written, key
file given), so the backend is tested as a user configures it.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncssh
import pytest

USER = "skypane"


@dataclass
class Keys:
    """A host key and a client key, and the known_hosts / key files that name them."""

    folder: Path
    host_key: asyncssh.SSHKey
    client_key: asyncssh.SSHKey

    @classmethod
    def make(cls, folder: Path) -> Keys:
        folder.mkdir(parents=True, exist_ok=True)
        keys = cls(
            folder,
            asyncssh.generate_private_key("ssh-ed25519"),
            asyncssh.generate_private_key("ssh-ed25519"),
        )
        keys.host_key.write_private_key(keys.host_key_file)
        keys.client_key.write_private_key(keys.client_key_file)
        keys.client_key.write_public_key(keys.authorized_keys)
        os.chmod(keys.host_key_file, 0o600)
        os.chmod(keys.client_key_file, 0o600)
        return keys

    @property
    def host_key_file(self) -> Path:
        return self.folder / "host_ed25519"

    @property
    def client_key_file(self) -> Path:
        return self.folder / "client_ed25519"

    @property
    def authorized_keys(self) -> Path:
        return self.folder / "authorized_keys"

    @property
    def known_hosts(self) -> Path:
        return self.folder / "known_hosts"

    def trust(self, port: int, key: asyncssh.SSHKey | None = None) -> None:
        """Write known_hosts listing ``key`` (the real host key by default) for the port."""
        line = (key or self.host_key).export_public_key("openssh").decode().split()[:2]
        self.known_hosts.write_text(f"[127.0.0.1]:{port} {line[0]} {line[1]}\n")

    def options(self, port: int, user: str, **extra: Any) -> dict[str, Any]:
        return {
            "host": "127.0.0.1",
            "port": port,
            "user": user,
            "key_file": str(self.client_key_file),
            "known_hosts": str(self.known_hosts),
            **extra,
        }


@dataclass
class Server:
    port: int
    user: str
    keys: Keys
    #: The folder on the server a remote's root should be (absolute, as the server sees it).
    root: str
    #: The same folder on this machine (the tests look at files behind the server's back).
    local_root: Path

    def options(self, **extra: Any) -> dict[str, Any]:
        return self.keys.options(self.port, self.user, **{"root": self.root, **extra})


class _OneUser(asyncssh.SSHServer):
    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        return username == USER and password == "correct horse"


class KeyboardInteractiveOnly(_OneUser):
    """Asks for the password by keyboard-interactive (as PAM-backed servers do), never by the
    password method."""

    def password_auth_supported(self) -> bool:
        return False

    def kbdint_auth_supported(self) -> bool:
        return True

    def get_kbdint_challenge(
        self, username: str, lang: str, submethods: str
    ) -> tuple[str, str, str, list[tuple[str, bool]]]:
        return "", "", "", [("Password: ", False)]

    def validate_kbdint_response(self, username: str, responses: list[str]) -> bool:
        return username == USER and responses == ["correct horse"]


@contextlib.asynccontextmanager
async def asyncssh_server(
    tmp: Path,
    sftp_server: type[asyncssh.SFTPServer] = asyncssh.SFTPServer,
    ssh_server: type[asyncssh.SSHServer] = _OneUser,
) -> AsyncIterator[Server]:
    """asyncssh's SFTP server in this event loop, chrooted to ``tmp/served``
    (``sftp_server``: a subclass that misbehaves, for hostile-server tests)."""
    keys = Keys.make(tmp / "keys")
    served = tmp / "served"
    served.mkdir()
    root = os.fsencode(served)
    listener = await asyncssh.listen(
        "127.0.0.1",
        0,
        server_factory=ssh_server,
        server_host_keys=[keys.host_key],
        authorized_client_keys=str(keys.authorized_keys),
        sftp_factory=lambda chan: sftp_server(chan, chroot=root),
        allow_scp=False,
    )
    port = listener.sockets[0].getsockname()[1]
    keys.trust(port)
    try:
        yield Server(port, USER, keys, "/", served)
    finally:
        listener.close()
        await listener.wait_closed()


def sshd_path() -> str | None:
    for candidate in (shutil.which("sshd"), "/usr/sbin/sshd"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def openssh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One sshd for the whole test session (starting one costs a second on a busy machine);
    each test gives its remote a root folder of its own (``Server.options(root=...)``)."""
    if sshd_path() is None:
        pytest.skip("OpenSSH's sshd is not installed (apt-get install openssh-server)")
    with openssh_server(tmp_path_factory.mktemp("sshd")) as server:
        yield server


@contextlib.contextmanager
def openssh_server(tmp: Path, timeout: float = 30.0) -> Iterator[Server]:
    """OpenSSH's sshd on a loopback port, for the user running the tests, serving ``tmp/served``."""
    sshd = sshd_path()
    if sshd is None:
        raise FileNotFoundError("sshd is not installed")
    keys = Keys.make(tmp / "keys")
    served = tmp / "served"
    served.mkdir()
    port = _free_port()
    sftp_server = next(
        (
            p
            for p in (
                "/usr/lib/openssh/sftp-server",
                "/usr/libexec/openssh/sftp-server",
                "/usr/libexec/sftp-server",
            )
            if os.path.exists(p)
        ),
        "internal-sftp",
    )
    config = keys.folder / "sshd_config"
    config.write_text(
        f"Port {port}\n"
        "ListenAddress 127.0.0.1\n"
        f"HostKey {keys.host_key_file}\n"
        f"AuthorizedKeysFile {keys.authorized_keys}\n"
        f"PidFile {keys.folder / 'sshd.pid'}\n"
        "PasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\n"
        "PubkeyAuthentication yes\n"
        "StrictModes no\n"
        "UsePAM no\n"
        f"Subsystem sftp {sftp_server}\n"
        "LogLevel ERROR\n"
    )
    os.makedirs("/run/sshd", exist_ok=True)  # privilege separation folder, when run as root
    log = keys.folder / "sshd.log"
    proc = subprocess.Popen(
        [sshd, "-D", "-e", "-f", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=open(log, "wb"),  # noqa: SIM115 - closed with the process
    )
    try:
        end = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"sshd exited: {log.read_text(errors='replace')}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            if time.monotonic() > end:
                raise TimeoutError(f"sshd did not listen on port {port} in {timeout}s")
            time.sleep(0.05)
        keys.trust(port)
        yield Server(port, getpass.getuser(), keys, str(served), served)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
