from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from core.backend import Backend
from tests.conformance.backends import FACTORIES
from tests.sftp.servers import openssh  # noqa: F401 - a fixture the sftp factory asks for


@pytest.fixture(params=sorted(FACTORIES))
async def env(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[tuple[Backend, str]]:
    async with FACTORIES[request.param](tmp_path, request) as pair:
        yield pair
