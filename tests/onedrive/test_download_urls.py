"""Reads use the download URL a listing or stat handed out: one request per file, counted in
the emulator's request log; stale URLs fall back to ``/content``; connections are reused."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator

import pytest

from core import errors
from core.backends.onedrive.backend import OneDriveBackend
from core.backends.onedrive.dlcache import DownloadUrls
from core.emulator import Emulator, RunningServer
from core.model import Entry
from core.paths import join
from tests.emulator_fixtures import emulator, emulator_flavour, emulator_server  # noqa: F401
from tests.onedrive.helpers import count_connections, listing, read_all
from tests.onedrive.world import make_backend, shared_server


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every TCP connection the HTTP stack opens."""
    return count_connections(monkeypatch)


@pytest.fixture(params=("personal", "business"))
async def direct(request: pytest.FixtureRequest) -> AsyncIterator[tuple[OneDriveBackend, Emulator]]:
    """A backend on the shared TLS emulator with its own (asyncio) connection pool."""
    server = shared_server(request.param, request.config)
    backend = make_backend(server, request.param)
    try:
        yield backend, server.emulator
    finally:
        server.emulator.faults.reset()
        await backend.close()


def files(em: Emulator, count: int, size: int = 5000) -> tuple[str, dict[str, bytes]]:
    folder = f"u-{os.urandom(4).hex()}"
    made = {}
    for i in range(count):
        data = os.urandom(size)
        em.put_file(f"{folder}/f{i}.bin", data)
        made[f"f{i}.bin"] = data
    return "/" + folder, made


def graph_and_downloads(em: Emulator) -> list[str]:
    """``METHOD kind status`` of each logged request (kind: dl, content, item, up, other)."""
    out = []
    for r in em.requests:
        if "/dl/" in r.path:
            kind = "dl"
        elif r.path.endswith("/content"):
            kind = "content"
        elif r.path.startswith("/v1.0/"):
            kind = "item"
        else:
            continue  # sign-in
        out.append(f"{r.method} {kind} {r.status}" + (" bearer" if r.authorized else ""))
    return out


async def test_listed_files_are_read_with_one_request_each(direct) -> None:
    backend, em = direct
    folder, made = files(em, 4)
    await listing(backend, folder)
    em.requests.clear()
    for name, data in made.items():
        assert await read_all(backend, join(folder, name)) == data
    assert graph_and_downloads(em) == ["GET dl 200"] * 4


async def test_a_stat_gives_the_read_its_url(direct) -> None:
    backend, em = direct
    folder, made = files(em, 1)
    await backend.stat(join(folder, "f0.bin"))
    em.requests.clear()
    assert await read_all(backend, join(folder, "f0.bin")) == made["f0.bin"]
    assert graph_and_downloads(em) == ["GET dl 200"]


async def test_unlisted_file_costs_the_item_and_its_url(direct) -> None:
    backend, em = direct
    folder, made = files(em, 1)
    em.requests.clear()
    assert await read_all(backend, join(folder, "f0.bin")) == made["f0.bin"]
    assert graph_and_downloads(em) == ["GET item 200 bearer", "GET dl 200"]


async def test_an_expired_listing_url_is_not_used(direct) -> None:
    backend, em = direct
    clock = Clock()
    backend.download_urls = DownloadUrls(ttl=300, clock=clock)
    folder, made = files(em, 1)
    await listing(backend, folder)
    clock.now += 301
    em.requests.clear()
    assert await read_all(backend, join(folder, "f0.bin")) == made["f0.bin"]
    assert graph_and_downloads(em) == ["GET item 200 bearer", "GET dl 200"]


async def test_file_deleted_after_the_listing_is_not_found(direct) -> None:
    backend, em = direct
    folder, _ = files(em, 1)
    await listing(backend, folder)
    with em.lock:
        em.store.permanent_delete(em.item(f"{folder.strip('/')}/f0.bin"))
    with pytest.raises(errors.NotFound):
        await read_all(backend, join(folder, "f0.bin"))


async def test_one_connection_per_origin_serves_listing_reads_and_redirects(
    direct, connections
) -> None:
    backend, em = direct
    folder, made = files(em, 3, size=300_000)
    await listing(backend, folder)
    em.faults.fail_next(1, 410, retry_after=None, path="/dl/")  # one read goes via /content
    for name, data in made.items():
        assert await read_all(backend, join(folder, name)) == data
    # Graph and the files host (where download URLs point) are two origins: one connection each.
    dl_ports = {r.port for r in em.requests if "/dl/" in r.path}
    graph_ports = {r.port for r in em.requests if r.path.startswith("/v1.0/")}
    assert len(dl_ports) == len(graph_ports) == 1 and dl_ports != graph_ports
    assert sorted(int(c.rpartition(":")[2]) for c in connections) == sorted(dl_ports | graph_ports)
    assert graph_and_downloads(em)[-5:] == [
        "GET dl 410",
        "GET content 302 bearer",
        "GET dl 200",
        "GET dl 200",
        "GET dl 200",
    ]


# -- a private emulator whose clock can move without disturbing other tests -------------


@pytest.fixture
def server_alone(emulator_server: RunningServer) -> Iterator[RunningServer]:  # noqa: F811
    yield emulator_server


async def test_url_expired_at_the_service_falls_back_to_content(server_alone) -> None:
    em = server_alone.emulator
    backend = make_backend(server_alone, "personal")
    try:
        folder, made = files(em, 1)
        await listing(backend, folder)
        # The service's URLs die after an hour; ours is still "fresh" by the local clock.
        em.clock.advance(em.config.download_url_lifetime + 1)
        em.requests.clear()
        assert await read_all(backend, join(folder, "f0.bin")) == made["f0.bin"]
        kinds = [k for k in graph_and_downloads(em) if "item 401" not in k]
        assert kinds[0] == "GET dl 401"
        assert kinds[-2:] == ["GET content 302 bearer", "GET dl 200"]
        assert backend.download_urls.get(join(folder, "f0.bin")) is None
    finally:
        await backend.close()


# -- the cache alone ---------------------------------------------------------------------


def entry(path: str) -> Entry:
    return Entry(name=path.rsplit("/", 1)[1], path=path, is_dir=False, size=1, modified=None)


def test_cache_is_bounded_and_forgets_the_oldest() -> None:
    cache = DownloadUrls(capacity=3, clock=Clock())
    for i in range(5):
        cache.remember(entry(f"/d/f{i}"), f"https://dl/{i}")
    assert len(cache) == 3
    assert cache.get("/d/f0") is None and cache.get("/d/f1") is None
    known = cache.get("/D/F4")  # OneDrive names are case-insensitive
    assert known is not None and known.url == "https://dl/4"


def test_cache_entries_expire() -> None:
    clock = Clock()
    cache = DownloadUrls(ttl=10, clock=clock)
    cache.remember(entry("/a"), "https://dl/a")
    clock.now += 9.9
    assert cache.get("/a") is not None
    clock.now += 0.2
    assert cache.get("/a") is None and len(cache) == 0


def test_forgetting_a_folder_forgets_what_is_below_it() -> None:
    cache = DownloadUrls(clock=Clock())
    for p in ("/a/x", "/a/b/y", "/ab/z", "/c"):
        cache.remember(entry(p), "https://dl/" + p)
    cache.forget_tree("/A")
    assert [p for p in ("/a/x", "/a/b/y", "/ab/z", "/c") if cache.get(p)] == ["/ab/z", "/c"]


async def test_writing_a_listed_file_forgets_its_url(direct) -> None:
    from core.backend import WriteRequest
    from tests.onedrive.helpers import source_of

    backend, em = direct
    folder, _ = files(em, 1)
    await listing(backend, folder)
    path = join(folder, "f0.bin")
    await backend.write(path, source_of(b"new"), WriteRequest(3))
    assert await read_all(backend, path) == b"new"


def test_cache_is_bounded_by_the_memory_it_takes() -> None:
    from core.backends.onedrive.dlcache import OVERHEAD

    url = "https://dl/" + "u" * 400
    cache = DownloadUrls(clock=Clock(), budget=10 * (OVERHEAD + 400))
    for i in range(50):
        cache.remember(entry(f"/d/f{i:02d}"), url)
    assert 5 <= len(cache) < 10 and cache.used <= cache.budget
    assert cache.get("/d/f49") is not None and cache.get("/d/f00") is None  # oldest went first
    cache.remember(entry("/d/f49"), url)  # stored again: counted once
    cache.forget_tree("/d")
    assert len(cache) == 0 and cache.used == 0
