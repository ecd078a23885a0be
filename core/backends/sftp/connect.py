"""Opening an SSH connection as OpenSSH would: hosts, users and ports from ``~/.ssh/config``
(asyncssh reads it), keys from the agent and ``~/.ssh`` (or one key file), and the server's
host key checked against known_hosts.

Host keys follow OpenSSH's strict checking: a key listed for the host is accepted; a host
listed with other keys refuses (the key changed: possibly someone in the middle); a host not
listed at all refuses with ``UnknownHostKey`` (the key's fingerprint and how to accept it),
unless the remote says ``accept_new_host_key`` (OpenSSH's ``StrictHostKeyChecking=accept-new``),
in which case the key is added to the known_hosts file and used from then on. A setup run
asks the person about an unknown key instead (``remember_host_key`` on a yes).

Passwords: a stored one is offered first (to the password and the keyboard-interactive
methods); past it, an ``Asker`` given to ``open_connection`` is asked for each prompt.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncssh

from core import errors
from core.setup import Asker, SetupCancelled

DEFAULT_PORT = 22
CONNECT_TIMEOUT = 30.0
#: asyncssh's connect timeout also covers signing in: with a person typing a password or
#: reading a fingerprint, it must leave them time.
CONNECT_TIMEOUT_ASKING = 300.0


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


def ssh_config_hosts(config: Path | None = None) -> list[str]:
    """The host aliases ``~/.ssh/config`` names (patterns such as ``*.lan`` left out), in
    the order written: what the wizard and ``skypane login`` offer for ``host``."""
    path = config or Path("~/.ssh/config").expanduser()
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    hosts: list[str] = []
    for line in text.splitlines():
        words = line.strip().replace("=", " ").split()
        if len(words) < 2 or words[0].lower() != "host":
            continue
        for name in words[1:]:
            if not any(ch in name for ch in "*?!") and name not in hosts:
                hosts.append(name)
    return hosts


def _text(value: Any) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


def _path(value: Any) -> str | None:
    text = _text(value)
    return os.path.expanduser(text) if text else None


def host_pattern(host: str, port: int) -> str:
    """How known_hosts names ``host`` on ``port``."""
    return host if port == DEFAULT_PORT else f"[{host}]:{port}"


class UnknownHostKey(errors.PermissionDenied):
    """The server's host key is not in known_hosts, and no key is listed for the host."""

    def __init__(self, message: str, *, where: str, fingerprint: str, file: Path, key: Any) -> None:
        super().__init__(message, detail="host key verification failed")
        self.where = where
        self.fingerprint = fingerprint
        self.file = file
        self.key = key

    def question(self) -> str:
        """What to ask the person, in OpenSSH's words."""
        return (
            f"The authenticity of host {self.where} can't be established.\n"
            f"Its {self.fingerprint}.\n"
            "This key is not known by any other names. If it is your server's fingerprint, "
            f"trust it: it is written to {self.file} and checked on every later connection."
        )


def remember_host_key(refusal: UnknownHostKey) -> None:
    """Write the key ``refusal`` names to its known_hosts file (OpenSSH's accept-new)."""
    _remember(refusal.file, refusal.where, refusal.key)


class _Client(asyncssh.SSHClient):
    """Checks a host key that known_hosts does not list for this host, and answers password
    and keyboard-interactive prompts (the stored password first, then the asker)."""

    MAX_PROMPTS = 3

    def __init__(
        self, target: Target, password: str | None = None, asker: Asker | None = None
    ) -> None:
        self.target = target
        self.refusal: errors.SkypaneError | None = None
        self.asker = asker
        self._stored = password
        self._asked = 0
        #: The password the person typed that the server took (the last one typed).
        self.typed: str | None = None
        #: Whether the person refused to answer a prompt.
        self.gave_up = False

    def _who(self) -> str:
        return f"{self.target.user + '@' if self.target.user else ''}{self.target.host}"

    async def _ask(self, title: str, prompt: str, echo: bool = False) -> str | None:
        if self.asker is None or self.gave_up or self._asked >= self.MAX_PROMPTS:
            return None
        self._asked += 1
        answer = await self.asker.secret(title, prompt, echo=echo)
        if answer is None:
            self.gave_up = True
        return answer

    async def password_auth_requested(self) -> str | None:
        answer = await self._ask(f"Password for {self._who()}", f"Password for {self._who()}:")
        if answer is not None:
            self.typed = answer
        return answer

    def kbdint_auth_requested(self) -> Any:
        # Answer the challenges ourselves when someone can be asked; else let asyncssh send
        # the stored password to a single password prompt.
        return "" if self.asker is not None else NotImplemented

    async def kbdint_challenge_received(  # type: ignore[override]
        self, name: str, instructions: str, lang: str, prompts: list[tuple[str, bool]]
    ) -> list[str] | None:
        answers: list[str] = []
        for prompt, echo in prompts:
            if self._stored is not None and not echo and "pass" in prompt.lower():
                answers.append(self._stored)
                self._stored = None  # offered once, as OpenSSH does
                continue
            text = "\n".join(p for p in (instructions.strip(), prompt.strip()) if p)
            answer = await self._ask(name.strip() or f"Sign in to {self._who()}", text, echo)
            if answer is None:
                return None
            if not echo:
                self.typed = answer
            answers.append(answer)
        return answers

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
        self.refusal = UnknownHostKey(
            f"the host key of {where} is not known: the server offers the {fingerprint}. "
            "If that is your server's fingerprint, accept it with `skypane login NAME` or by "
            f"connecting once with `ssh {'-p ' + str(port) + ' ' if port != DEFAULT_PORT else ''}"
            f"{host}` and answering yes (it goes to {file}), or set accept_new_host_key = true "
            "on the remote to trust a new host on first use",
            where=where,
            fingerprint=fingerprint,
            file=file,
            key=key,
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


async def open_connection(
    target: Target, password: str | None, asker: Asker | None = None
) -> asyncssh.SSHClientConnection:
    """Connect and authenticate; every failure becomes a ``core.errors`` type that says why.
    With an ``asker``, password and keyboard-interactive prompts the stored password does
    not answer are asked (``SetupCancelled`` when the person gives up)."""
    return (await connect_client(target, password, asker))[0]


async def connect_client(
    target: Target, password: str | None, asker: Asker | None = None
) -> tuple[asyncssh.SSHClientConnection, _Client]:
    """``open_connection`` that also returns the client (what the person typed)."""
    client = _Client(target, password, asker)
    kwargs: dict[str, Any] = {
        "client_factory": lambda: client,
        "connect_timeout": CONNECT_TIMEOUT if asker is None else CONNECT_TIMEOUT_ASKING,
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
        return await asyncssh.connect(target.host, **kwargs), client
    except asyncssh.HostKeyNotVerifiable as exc:
        raise client.refusal or errors.PermissionDenied(
            f"host key of {target.host} not accepted", detail=str(exc)
        ) from None
    except asyncssh.PermissionDenied as exc:
        if client.gave_up:
            raise SetupCancelled("sign-in to the SSH server cancelled") from None
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
