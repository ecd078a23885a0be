"""skypane's client against an emulator that addresses and hands out URLs as Graph does:
download, upload and copy-monitor URLs on another origin (the bearer goes to Graph and
nowhere else), and the ``children('@a1')`` path form used for China."""

from __future__ import annotations

import os
from urllib.parse import unquote

import pytest

from core.backend import WriteRequest
from core.paths import join
from tests.onedrive.helpers import read_all, source_of
from tests.onedrive.world import FLAVOURS, World, world


async def test_the_bearer_goes_to_graph_only_never_to_the_files_origin(od: World) -> None:
    em, server = od.emulator, od.server
    before = len(em.requests)
    data = os.urandom(5 * 1024 * 1024)  # above the simple-upload limit: an upload session
    path = join(od.root, "big.bin")
    await od.backend.write(path, source_of(data), WriteRequest(len(data)))
    od.backend.download_urls.clear()  # read via /content's redirect, not a listed URL
    assert await read_all(od.backend, path) == data
    await od.backend.copy(path, join(od.root, "copy.bin"))
    records = list(em.requests)[before:]
    on_files = [r for r in records if r.port == server.files_port]
    assert {r.path.split("/")[1] for r in on_files} == {"up", "dl", "monitor"}
    assert not [r for r in on_files if r.authorized]
    on_graph = [r for r in records if r.path.startswith("/v1.0/")]
    assert on_graph and all(r.authorized and r.port == server.port for r in on_graph)


@pytest.mark.parametrize("flavour", FLAVOURS)
async def test_china_addressing_works_against_the_emulator(
    flavour: str, request: pytest.FixtureRequest
) -> None:
    """The ``children('@a1')`` form (quotes doubled in the alias) through the real backend."""
    async with world(request.config, flavour, region="cn") as w:
        assert w.backend.addressing.china
        before = len(w.transport.requests)
        folder = join(w.root, "it's a dir")
        await w.backend.mkdir(folder)
        path = join(folder, "O'Brien's.txt")
        await w.backend.write(path, source_of(b"china"), WriteRequest(5))
        w.backend.download_urls.clear()
        assert await read_all(w.backend, path) == b"china"
        assert (await w.backend.stat(path)).size == 5
        names = [e.name async for page in w.backend.list(folder) for e in page]
        assert names == ["O'Brien's.txt"]
        used = [str(r.url) for r in w.transport.requests[before:]]
        assert any("children('@a1')" in unquote(u) for u in used)
        assert not [u for u in used if "root:/" in unquote(u)]
