"""Opening an SSH connection as OpenSSH would: hosts, users and ports from ``~/.ssh/config``
(asyncssh reads it), keys from the agent and ``~/.ssh`` (or one key file), and the server's
host key checked against known_hosts.

Host keys follow OpenSSH's strict checking: a key listed for the host is accepted; a host
listed with other keys refuses (the key changed: possibly someone in the middle); a host not
listed at all refuses with the key's fingerprint and how to accept it, unless the remote
says ``accept_new_host_key`` (OpenSSH's ``StrictHostKeyChecking=accept-new``), in which
case the key is added to the known_hosts file and used from then on.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncssh

from core import errors

DEFAULT_PORT = 22
CONNECT_TIMEOUT = 30.0


@dataclass(frozen=True, slots=True)
class Target:
    """Where and as whom to connect; ``None`` leaves the choice to ``~/.ssh/config``."""

    host: str
    user: str | None = None
    port: int | None = None
    key_file: str | None = None
    known_hosts: str | None = None
    accept_new_host_key: bool = False

    @classmethod
    def from_options(cls, remote: str, options: Mapping[str, Any]) -> Target:
        host = str(options.get("host") or "").strip()
        if not host:
            raise errors.ConfigError(f"remote {remote!r}: no host (a name or ~/.ssh/config alias)")
        port = options.get("port")
        if port not in (None, ""):
            try:
                port = int(port)
            except (TypeError, ValueError):
                raise errors.ConfigError(
                    f"remote {remote!r}: port {port!r} is not a number"
                ) from None
            if not 0 < port < 65536:
                raise errors.ConfigError(f"remote {remote!r}: port {port} is out of range")
        else:
            port = None
        return cls(
            host=host,
            user=_text(options.get("user")),
            port=port,
            key_file=_path(options.get("key_file")),
            known_hosts=_path(options.get("known_hosts")),
            accept_new_host_key=bool(options.get("accept_new_host_key", False)),
        )

    def known_hosts_file(self) -> Path:
        return Path(self.known_hosts or "~/.ssh/known_hosts").expanduser()


def _text(value: Any) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


def _path(value: Any) -> str | None:
    text = _text(value)
    return os.path.expanduser(text) if text else None


def host_pattern(host: str, port: int) -> str:
    """How known_hosts names ``host`` on ``port``."""
    return host if port == DEFAULT_PORT else f"[{host}]:{port}"


class _HostKeyCheck(asyncssh.SSHClient):
    """Asked by asyncssh about a host key that known_hosts does not list for this host."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.refusal: errors.SkypaneError | None = None

    def validate_host_public_key(
        self, host: str, addr: str, port: int, key: asyncssh.SSHKey
    ) -> bool:
        file = self.target.known_hosts_file()
        fingerprint = f"{key.get_algorithm()} key {key.get_fingerprint('sha256')}"
        where = host_pattern(host, port)
        if _listed(file, host, addr, port):
            self.refusal = errors.PermissionDenied(
                f"the host key of {where} has CHANGED: it is now the {fingerprint}, "
                f"not the one {file} lists. Someone may be intercepting the connection; "
                "nothing was sent. If the server's key really changed, remove its old line "
                f"(ssh-keygen -R '{where}' -f {file}) and connect again",
                detail="host key verification failed",
            )
            return False
        if self.target.accept_new_host_key:
            _remember(file, where, key)
            return True
        self.refusal = errors.PermissionDenied(
            f"the host key of {where} is not known: the server offers the {fingerprint}. "
            "If that is your server's fingerprint, accept it by connecting once with "
            f"`ssh {'-p ' + str(port) + ' ' if port != DEFAULT_PORT else ''}{host}` and "
            f"answering yes (it goes to {file}), or set accept_new_host_key = true on "
            "the remote to trust a new host on first use",
            detail="host key verification failed",
        )
        return False


def _listed(file: Path, host: str, addr: str, port: int) -> bool:
    """Whether ``file`` lists any key for this host (then a different key is a changed one)."""
    if not file.is_file():
        return False
    try:
        trusted, ca_keys, *_ = asyncssh.match_known_hosts(
            str(file), host, addr, port if port != DEFAULT_PORT else None
        )
    except (OSError, ValueError):
        return False
    return bool(trusted or ca_keys)


def _remember(file: Path, where: str, key: asyncssh.SSHKey) -> None:
    file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    algorithm, blob = key.export_public_key("openssh").decode().split()[:2]
    with open(file, "a", encoding="utf-8") as f:
        f.write(f"{where} {algorithm} {blob}\n")


#: AES-GCM first (OpenSSH's "^" syntax: put these at the head of the default list):
#: asyncssh seals a packet with one call into the cryptography library there, against
#: several for ChaCha20-Poly1305, which it prefers as OpenSSH does (measured with
#: tests/bench/bench_sftp.py: about 40% less client CPU per GiB).
FAST_CIPHERS_FIRST = "^aes128-gcm@openssh.com,aes256-gcm@openssh.com"


def _config_names_ciphers(host: str) -> bool:
    """Whether ~/.ssh/config chooses ciphers for this host (then its choice stands)."""
    config = Path("~/.ssh/config").expanduser()
    try:
        text = config.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return any(line.strip().lower().startswith("ciphers") for line in text.splitlines())


async def open_connection(target: Target, password: str | None) -> asyncssh.SSHClientConnection:
    """Connect and authenticate; every failure becomes a ``core.errors`` type that says why."""
    client = _HostKeyCheck(target)
    kwargs: dict[str, Any] = {
        "client_factory": lambda: client,
        "connect_timeout": CONNECT_TIMEOUT,
        "keepalive_interval": 30,
    }
    if not _config_names_ciphers(target.host):
        kwargs["encryption_algs"] = FAST_CIPHERS_FIRST
    if target.port is not None:
        kwargs["port"] = target.port
    if target.user is not None:
        kwargs["username"] = target.user
    if target.key_file is not None:
        kwargs["client_keys"] = [target.key_file]
    if target.known_hosts is not None:
        # A known_hosts file not there yet lists nothing (as with OpenSSH), not an error.
        file = target.known_hosts_file()
        kwargs["known_hosts"] = str(file) if file.exists() else asyncssh.import_known_hosts("")
    if password is not None:
        kwargs["password"] = password
    try:
        return await asyncssh.connect(target.host, **kwargs)
    except asyncssh.HostKeyNotVerifiable as exc:
        raise client.refusal or errors.PermissionDenied(
            f"host key of {target.host} not accepted", detail=str(exc)
        ) from None
    except asyncssh.PermissionDenied as exc:
        raise errors.AuthenticationRequired(
            f"the SSH server {target.host} refused every way of signing in "
            "(agent, keys in ~/.ssh or key_file, password)",
            detail=exc.reason,
        ) from None
    except asyncssh.KeyImportError as exc:
        raise errors.ConfigError(
            f"cannot read the key file {target.key_file}", detail=str(exc)
        ) from None
    except asyncssh.DisconnectError as exc:
        raise errors.TransientError(
            f"the SSH server {target.host} closed the connection", detail=exc.reason
        ) from None
    except (OSError, TimeoutError) as exc:
        raise errors.TransientError(
            f"cannot reach the SSH server {target.host}",
            detail=getattr(exc, "strerror", None) or str(exc) or type(exc).__name__,
        ) from None
    except asyncssh.Error as exc:
        raise errors.SkypaneError(
            f"SSH connection to {target.host} failed", detail=str(exc)
        ) from None
