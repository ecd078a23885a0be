"""skypane's client against an emulator that, like Graph, hands out download, upload and
copy-monitor URLs on another origin: the bearer goes to Graph and nowhere else."""

from __future__ import annotations

import os

from core.backend import WriteRequest
from core.paths import join
from tests.onedrive.helpers import read_all, source_of
from tests.onedrive.world import World


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
