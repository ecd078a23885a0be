"""SFTP's setup step: connect once as the remote will, with the person at hand.

An unknown host key is shown (its fingerprint) and asked about; a yes writes it to the
known_hosts file as OpenSSH's ``accept-new`` does, a changed key is refused whatever the
answer would be. Password and keyboard-interactive prompts no stored password answers are
asked; a password typed and taken by the server may be kept, in the secret store only.
"""

from __future__ import annotations

import contextlib
import stat as stat_mod
from collections.abc import Mapping
from typing import Any

import asyncssh

from core import errors
from core.backends.sftp.connect import (
    Target,
    UnknownHostKey,
    connect_client,
    remember_host_key,
)
from core.secrets import Secrets, load_secret_options, save_secret_options
from core.setup import SetupCancelled, SetupContext, SetupStep

CONNECT = "connect"
STEPS = (SetupStep(CONNECT, "Connect…"),)


def where(options: Mapping[str, Any]) -> str:
    """``user@host:port`` as configured (a host alias stays an alias)."""
    host = str(options.get("host") or "")
    user, port = options.get("user"), options.get("port")
    return f"{str(user) + '@' if user else ''}{host}{f':{port}' if port else ''}"


async def _check_root(conn: asyncssh.SSHClientConnection, root: str) -> str:
    """The root folder as the server names it; refuses a root that is not a folder."""
    try:
        async with conn.start_sftp_client() as sftp:
            path = await sftp.realpath(root or ".")
            attrs = await sftp.stat(path)
    except asyncssh.SFTPError as exc:
        raise errors.NotFound(
            f"the root folder {root or '~'} cannot be opened", detail=exc.reason
        ) from None
    except (asyncssh.Error, OSError) as exc:
        raise errors.TransientError("the SSH server offers no SFTP", detail=str(exc)) from None
    if attrs.permissions is not None and not stat_mod.S_ISDIR(attrs.permissions):
        raise errors.NotADirectory("the remote's root is not a folder", path=str(path))
    return str(path)


async def _connect(context: SetupContext) -> None:
    target = Target.from_options(context.remote, context.options)
    password = context.secret_values.get("password") or load_secret_options(
        context.store, context.remote
    ).get("password")
    asker = context.asker
    accepted = ""
    while True:
        try:
            conn, client = await connect_client(target, password, asker)
            break
        except UnknownHostKey as unknown:
            if accepted:
                raise  # accepted and written, yet still unknown: do not ask in a loop
            trust = await asker.confirm(
                "Unknown host key", unknown.question(), yes="Trust and connect", no="Cancel"
            )
            if not trust:
                raise SetupCancelled("host key not trusted; nothing was changed") from None
            remember_host_key(unknown)
            accepted = unknown.fingerprint
    try:
        root = await _check_root(conn, str(context.options.get("root") or ""))
    finally:
        conn.close()
        with contextlib.suppress(Exception):
            await conn.wait_closed()
    typed = client.typed
    line = f"✓ Connected to {where(context.options)}, folder {root}"
    if accepted:
        line += f"\n  host key trusted: {accepted}"
    if typed is not None and typed != password:
        keep = await asker.confirm(
            "Keep the password?",
            f"Keep the password for {where(context.options)} in the secret store, so that "
            "skypane can connect without asking? It is never written to the config file.",
            yes="Keep it",
            no="Ask each time",
        )
        if keep:
            save_secret_options(context.staged, context.remote, {"password": typed})
            line += "\n  password kept in the secret store"
    context.done[CONNECT] = line


class SftpSetup:
    """The steps ``SftpBackend`` declares (``core.setup.Setup``, ``Describes``)."""

    SETUP_STEPS = STEPS

    @staticmethod
    async def setup(context: SetupContext, step: str) -> None:
        if step != CONNECT:
            raise errors.ConfigError(f"SFTP has no setup step {step!r}")
        await _connect(context)

    @staticmethod
    def resume_setup(context: SetupContext, saved: Mapping[str, Any]) -> None:
        keys = ("host", "user", "port", "root", "key_file", "known_hosts")
        if all(saved.get(k) == context.options.get(k) for k in keys):
            context.done[CONNECT] = f"✓ {where(saved)} (as saved)"

    @staticmethod
    def describe(remote: str, options: Mapping[str, Any], store: Secrets) -> tuple[str, str]:
        return "", where(options)
