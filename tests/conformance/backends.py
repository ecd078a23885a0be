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


FACTORIES: dict[str, Factory] = {"local": local_factory}
FACTORIES.update({f"onedrive-{f}": conformance_factory(f) for f in ("personal", "business")})
