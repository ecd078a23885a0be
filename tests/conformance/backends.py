"""The backends the conformance suite runs against.

Each factory is an async context manager yielding ``(backend, scratch_folder)``: an empty
folder in that backend the tests may fill. A new backend joins the suite by adding a
factory to ``FACTORIES``.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from core.backend import Backend
from core.backends.local import LocalBackend
from tests.onedrive.world import conformance_factory
from tests.sftp.servers import asyncssh_server

Factory = Callable[[Path, Any], contextlib.AbstractAsyncContextManager[tuple[Backend, str]]]


@contextlib.asynccontextmanager
async def local_factory(tmp_path: Path, request: Any) -> AsyncIterator[tuple[Backend, str]]:
    root = tmp_path / "scratch"
    root.mkdir()
    backend = LocalBackend()
    try:
        yield backend, str(root)
    finally:
        await backend.close()


@contextlib.asynccontextmanager
async def sftp_asyncssh_factory(tmp_path: Path, request: Any) -> AsyncIterator[tuple[Backend, str]]:
    from core.backends.sftp.backend import SftpBackend

    async with asyncssh_server(tmp_path) as server:
        backend = SftpBackend.from_config("sftp", server.options())
        try:
            yield backend, "/"
        finally:
            await backend.close()


@contextlib.asynccontextmanager
async def sftp_openssh_factory(tmp_path: Path, request: Any) -> AsyncIterator[tuple[Backend, str]]:
    from core.backends.sftp.backend import SftpBackend

    server = request.getfixturevalue("openssh")  # skips where sshd is not installed
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    backend = SftpBackend.from_config("sftp", server.options(root=str(scratch)))
    try:
        yield backend, "/"
    finally:
        await backend.close()


FACTORIES: dict[str, Factory] = {
    "local": local_factory,
    "sftp-asyncssh": sftp_asyncssh_factory,
    "sftp-openssh": sftp_openssh_factory,
}
FACTORIES.update({f"onedrive-{f}": conformance_factory(f) for f in ("personal", "business")})
