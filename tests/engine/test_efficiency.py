"""What a transfer costs: one request per downloaded file, connections reused, each byte
hashed once, and verification still catching bad bytes (TLS Graph emulator, real files)."""

from __future__ import annotations

import collections
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from core.backends.onedrive.backend import OneDriveBackend
from core.backends.onedrive.http import make_http_client
from core.backends.onedrive.pacer import Pacer
from core.emulator import Emulator, RunningServer
from core.hashing import QuickXorHasher
from core.paths import Location
from core.transfer import ItemState, JobKind, JobState
from tests.engine.conftest import leftovers
from tests.engine.od import StaticTokens, od_backend, od_options, token_for
from tests.onedrive.helpers import count_connections
from tests.onedrive.world import RecordingTransport


@pytest.fixture
def hashed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Bytes fed to every QuickXorHash in the process."""
    fed: list[int] = []
    real = QuickXorHasher.update

    def counting(self: QuickXorHasher, data: Any) -> None:
        fed.append(len(data))
        real(self, data)

    monkeypatch.setattr(QuickXorHasher, "update", counting)
    return fed


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every TCP connection the HTTP stack opens."""
    return count_connections(monkeypatch)


def seed(em: Emulator, count: int, size: int) -> dict[str, bytes]:
    made = {f"f{i:02}.bin": os.urandom(size) for i in range(count)}
    for name, data in made.items():
        em.put_file(f"src/{name}", data)
    return made


def recording_backend(server: RunningServer) -> tuple[OneDriveBackend, RecordingTransport]:
    transport = RecordingTransport(server)
    backend = OneDriveBackend(
        "od",
        od_options(server),
        StaticTokens(token_for(server)),
        http=make_http_client(transport=transport),
        pacer=Pacer(min_sleep=0.0, max_sleep=0.05),
    )
    return backend, transport


async def test_download_costs_one_request_per_file_on_reused_connections(
    server: RunningServer, engine_for: Any, tmp_path: Path, connections: list[str]
) -> None:
    em = server.emulator
    made = seed(em, 20, 3000)
    eng = engine_for(od_backend(od_options(server), token_for(server)))
    em.requests.clear()
    job = await eng.submit(JobKind.COPY, [Location("od", "/src")], Location(None, str(tmp_path)))
    await eng.wait(job.id)
    assert job.state is JobState.DONE, [i.error for i in job.failed_items()]
    assert {p.name: p.read_bytes() for p in (tmp_path / "src").iterdir()} == made
    paths = [r.path for r in em.requests]
    assert sum("/dl/" in p for p in paths) == 20
    assert not [p for p in paths if p.endswith("/content")]
    assert len(paths) <= 20 + 3  # + stat and listing of the source folder
    # Kept alive per origin: at most one per worker to Graph and to the files host each.
    per_origin = collections.Counter(connections)
    assert set(per_origin) == {f"127.0.0.1:{server.port}", f"127.0.0.1:{server.files_port}"}
    assert max(per_origin.values()) <= eng.workers


async def test_downloaded_bytes_are_hashed_once(
    server: RunningServer, engine_for: Any, tmp_path: Path, hashed: list[int]
) -> None:
    em = server.emulator
    made = seed(em, 3, 3 * 1024 * 1024 + 5)
    eng = engine_for(od_backend(od_options(server), token_for(server)))
    job = await eng.submit(JobKind.COPY, [Location("od", "/src")], Location(None, str(tmp_path)))
    await eng.wait(job.id)
    assert job.state is JobState.DONE, [i.error for i in job.failed_items()]
    assert sum(hashed) == sum(len(d) for d in made.values())


async def test_bytes_corrupted_on_the_wire_are_caught_and_fetched_again(
    server: RunningServer, engine_for: Any, tmp_path: Path, hashed: list[int]
) -> None:
    em = server.emulator
    data = seed(em, 1, 2 * 1024 * 1024)["f00.bin"]
    backend, transport = recording_backend(server)
    eng = engine_for(backend)
    transport.corrupt_download = True  # one flipped byte in the first download
    job = await eng.submit(
        JobKind.COPY, [Location("od", "/src/f00.bin")], Location(None, str(tmp_path / "f.bin"))
    )
    await eng.wait(job.id)
    assert job.state is JobState.DONE, [i.error for i in job.failed_items()]
    assert (tmp_path / "f.bin").read_bytes() == data
    assert len(transport.sent("GET", "/dl/")) == 2
    assert sum(hashed) == 2 * len(data)  # once per attempt


async def test_bytes_corrupted_every_time_fail_the_item_and_leave_nothing(
    server: RunningServer, engine_for: Any, tmp_path: Path
) -> None:
    em = server.emulator
    seed(em, 1, 100_000)

    class AlwaysCorrupt(RecordingTransport):
        async def handle_async_request(self, request: Any) -> Any:
            self.corrupt_download = True
            return await super().handle_async_request(request)

    transport = AlwaysCorrupt(server)
    backend = OneDriveBackend(
        "od",
        od_options(server),
        StaticTokens(token_for(server)),
        http=make_http_client(transport=transport),
        pacer=Pacer(min_sleep=0.0),
    )
    eng = engine_for(backend)
    target = tmp_path / "f.bin"
    job = await eng.submit(
        JobKind.COPY, [Location("od", "/src/f00.bin")], Location(None, str(target))
    )
    await eng.wait(job.id)
    [item] = job.items
    assert item.state is ItemState.FAILED and "QuickXorHash" in (item.error or "")
    assert not target.exists() and leftovers(tmp_path) == []


class ForwardingWrapper:
    """Forwards every attribute (``open_read_unchecked`` included) but counts ``open_read``."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.read_bytes = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def open_read(self, path: str, offset: int = 0) -> AsyncIterator[bytes]:
        async for chunk in self._inner.open_read(path, offset):
            self.read_bytes += len(chunk)
            yield chunk


async def test_a_wrapper_that_forwards_attributes_still_sees_the_reads(
    server: RunningServer, engine_for: Any, tmp_path: Path
) -> None:
    data = seed(server.emulator, 1, 50_000)["f00.bin"]
    wrapper = ForwardingWrapper(od_backend(od_options(server), token_for(server)))
    eng = engine_for(wrapper)
    job = await eng.submit(
        JobKind.COPY, [Location("od", "/src/f00.bin")], Location(None, str(tmp_path / "f"))
    )
    await eng.wait(job.id)
    assert job.state is JobState.DONE
    assert wrapper.read_bytes == len(data)
