"""The asyncio network backend under the Graph client: real TLS to the emulator, keep-alive,
large reads, drops, timeouts and refused connections map onto httpx's errors."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from core.backends.onedrive import aionet
from core.backends.onedrive.graph import make_http_client
from core.emulator import Emulator, RunningServer
from tests.emulator_fixtures import emulator, emulator_flavour, emulator_server  # noqa: F401


@pytest.fixture
async def client(emulator_server: RunningServer) -> AsyncIterator[httpx.AsyncClient]:  # noqa: F811
    http = make_http_client(ca_bundle=str(emulator_server.ca_bundle))
    try:
        yield http
    finally:
        await http.aclose()


def test_graph_client_runs_on_the_asyncio_backend() -> None:
    assert aionet.uses_asyncio_backend(make_http_client())
    mocked = make_http_client(transport=httpx.MockTransport(lambda r: httpx.Response(200)))
    assert not aionet.uses_asyncio_backend(mocked)


async def test_download_over_tls_in_large_reads_on_one_connection(
    emulator: Emulator,  # noqa: F811
    emulator_server: RunningServer,  # noqa: F811
    client: httpx.AsyncClient,
) -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)
    emulator.put_file("big.bin", data)
    headers = emulator.auth_headers()
    meta = await client.get(f"{emulator_server.graph_url}/me/drive/root:/big.bin", headers=headers)
    url = meta.json()["@microsoft.graph.downloadUrl"]
    streams = set()
    for _ in range(2):
        async with client.stream("GET", url) as response:
            pieces = [p async for p in response.aiter_raw()]
            streams.add(id(response.extensions["network_stream"]))
        assert b"".join(pieces) == data
        assert len(pieces) < len(data) // (32 * 1024)  # far fewer than one per TLS record
    assert len(streams) == 1  # the second request reused the first one's connection


async def test_large_upload_waits_for_the_socket(
    emulator: Emulator,  # noqa: F811
    emulator_server: RunningServer,  # noqa: F811
    client: httpx.AsyncClient,
) -> None:
    data = os.urandom(3 * 1024 * 1024)
    response = await client.put(
        f"{emulator_server.graph_url}/me/drive/root:/up.bin:/content",
        content=data,
        headers=emulator.auth_headers(),
    )
    assert response.status_code in (200, 201)
    assert emulator.read("up.bin") == data


async def test_dropped_body_is_a_transport_error(
    emulator: Emulator,  # noqa: F811
    emulator_server: RunningServer,  # noqa: F811
    client: httpx.AsyncClient,
) -> None:
    emulator.put_file("d.bin", os.urandom(1_000_000))
    headers = emulator.auth_headers()
    meta = await client.get(f"{emulator_server.graph_url}/me/drive/root:/d.bin", headers=headers)
    emulator.faults.drop_next(1, path="/dl/")
    with pytest.raises(httpx.TransportError):
        await client.get(meta.json()["@microsoft.graph.downloadUrl"])


async def test_silent_server_is_a_read_timeout() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1)
        await asyncio.sleep(5)
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    http = make_http_client()
    try:
        with pytest.raises(httpx.ReadTimeout):
            await http.get(f"http://127.0.0.1:{port}/", timeout=0.2)
    finally:
        await http.aclose()
        server.close()


async def test_refused_connection_is_a_connect_error() -> None:
    probe = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = probe.sockets[0].getsockname()[1]
    probe.close()
    await probe.wait_closed()
    http = make_http_client()
    try:
        with pytest.raises(httpx.ConnectError):
            await http.get(f"http://127.0.0.1:{port}/")
    finally:
        await http.aclose()


class _SpyTransport:
    """Forwards to a transport and tells when reading is paused."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.paused = asyncio.Event()
        self.resumed = 0

    def pause_reading(self) -> None:
        self.inner.pause_reading()
        self.paused.set()

    def resume_reading(self) -> None:
        self.resumed += 1
        self.inner.resume_reading()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


async def test_a_slow_reader_keeps_memory_bounded(
    emulator: Emulator,  # noqa: F811
    emulator_server: RunningServer,  # noqa: F811
    client: httpx.AsyncClient,
) -> None:
    data = os.urandom(24 * 1024 * 1024)
    emulator.put_file("slow.bin", data)
    meta = await client.get(
        f"{emulator_server.graph_url}/me/drive/root:/slow.bin", headers=emulator.auth_headers()
    )
    async with client.stream("GET", meta.json()["@microsoft.graph.downloadUrl"]) as response:
        protocol = response.extensions["network_stream"]._protocol
        spy = _SpyTransport(protocol.transport)
        protocol.transport = spy
        pieces = []
        body = response.aiter_raw()
        pieces.append(await anext(body))
        await asyncio.wait_for(spy.paused.wait(), 10)  # the server keeps sending; we don't read
        assert protocol.buffered <= aionet.HIGH_WATER + aionet.READ_SIZE
        pieces += [p async for p in body]
    assert b"".join(pieces) == data
    assert spy.resumed >= 1
