from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.onedrive.world import FLAVOURS, World, world


@pytest.fixture(params=FLAVOURS)
async def od(request: pytest.FixtureRequest) -> AsyncIterator[World]:
    """A OneDrive backend on the TLS emulator, in both flavours."""
    async with world(request.config, request.param) as w:
        yield w
