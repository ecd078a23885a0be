"""The lean HTTP/1.1 pool under the Graph client, against scripted local servers: framing
(length, chunked, close), keep-alive reuse, a dropped idle connection, broken bodies,
timeouts; and real TLS to the emulator through the Graph client."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest

from core.backends.onedrive.graph import make_http_client

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


class Server:
    """A local HTTP server whose every connection runs ``handler``; counts connections."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.connections = 0
        self.requests: list[bytes] = []
        self.server: asyncio.Server | None = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            await self.handler(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def __aenter__(self) -> str:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()

    async def head(self, reader: asyncio.StreamReader) -> bytes:
        head = await reader.readuntil(b"\r\n\r\n")
        self.requests.append(head)
        return head


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    client = make_http_client()
    try:
        yield client
    finally:
        await client.aclose()


def answers(*responses: bytes, then_close: bool = False, server: list[Server]) -> Handler:
    """Answer each request on a connection with the next response in turn."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for response in responses:
            head = await server[0].head(reader)
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            if length:
                await reader.readexactly(length)
            writer.write(response)
            await writer.drain()
        if not then_close:
            await reader.read()  # keep the connection until the client goes

    return handler


async def serve(*responses: bytes, **kw: bool) -> Server:
    box: list[Server] = []
    srv = Server(answers(*responses, server=box, **kw))
    box.append(srv)
    return srv


async def test_keep_alive_reuses_one_connection(http: httpx.AsyncClient) -> None:
    ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    srv = await serve(ok, ok, ok)
    async with srv as base:
        for _ in range(3):
            assert (await http.get(base)).text == "ok"
    assert srv.connections == 1


async def test_chunked_body_with_trailers(http: httpx.AsyncClient) -> None:
    body = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n2\r\nde\r\n0\r\nT: 1\r\n\r\n"
    ok = b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nz"
    srv = await serve(body, ok)
    async with srv as base:
        assert (await http.get(base)).content == b"abcde"
        assert (await http.get(base)).content == b"z"  # same connection, framing kept
    assert srv.connections == 1


async def test_body_to_the_end_of_the_connection(http: httpx.AsyncClient) -> None:
    srv = await serve(b"HTTP/1.1 200 OK\r\n\r\nuntil the end", then_close=True)
    async with srv as base:
        assert (await http.get(base)).content == b"until the end"


async def test_connection_close_is_honoured(http: httpx.AsyncClient) -> None:
    once = b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\na"
    srv = Server(lambda r, w: None)  # replaced below

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await srv.head(reader)
        writer.write(once)
        await writer.drain()

    srv.handler = handler
    async with srv as base:
        for _ in range(2):
            assert (await http.get(base)).content == b"a"
    assert srv.connections == 2


async def test_head_and_no_content_have_no_body(http: httpx.AsyncClient) -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n"
    empty = b"HTTP/1.1 204 No Content\r\n\r\n"
    ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    srv = await serve(head, empty, ok)
    async with srv as base:
        assert (await http.head(base)).headers["content-length"] == "5000"
        assert (await http.delete(base)).status_code == 204
        assert (await http.get(base)).text == "ok"
    assert srv.connections == 1


async def test_request_body_and_head_leave_together(http: httpx.AsyncClient) -> None:
    ok = b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"
    seen: list[bytes] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(await reader.readuntil(b"\r\n\r\n"))
        seen.append(await reader.readexactly(5))
        writer.write(ok)
        await writer.drain()
        await reader.read()

    async def chunks() -> AsyncIterator[bytes]:
        yield b"ab"
        yield b"cde"

    async with Server(handler) as base:
        assert (await http.put(base, content=b"hello")).status_code == 201
    assert seen[0].startswith(b"PUT / HTTP/1.1\r\n") and b"Content-Length: 5" in seen[0]
    assert seen[1] == b"hello"

    body: list[bytes] = []

    async def chunked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        body.append(await reader.readuntil(b"0\r\n\r\n"))
        writer.write(ok)
        await writer.drain()

    async with Server(chunked) as base:
        assert (await http.post(base, content=chunks())).status_code == 201
    assert body == [b"2\r\nab\r\n3\r\ncde\r\n0\r\n\r\n"]


async def test_idle_connection_closed_by_the_server_is_replaced_for_a_get(
    http: httpx.AsyncClient,
) -> None:
    ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    served = asyncio.Event()

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(ok)  # promises keep-alive...
        await writer.drain()
        served.set()
        # ...and closes (the client may not have noticed when it sends the next request)

    async with Server(handler) as base:
        assert (await http.get(base)).text == "ok"
        await served.wait()
        assert (await http.get(base)).text == "ok"


async def test_body_cut_short_is_a_transport_error(http: httpx.AsyncClient) -> None:
    srv = await serve(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", then_close=True)
    async with srv as base:
        with pytest.raises(httpx.RemoteProtocolError):
            await http.get(base)


async def test_malformed_answer_is_a_protocol_error(http: httpx.AsyncClient) -> None:
    srv = await serve(b"HTTP/1.1 2x0 Hm\r\n\r\n", then_close=True)
    async with srv as base:
        with pytest.raises(httpx.RemoteProtocolError):
            await http.get(base)


async def test_silent_server_times_out_and_the_pool_recovers(http: httpx.AsyncClient) -> None:
    gate = asyncio.Event()

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        await gate.wait()

    async with Server(handler) as base:
        with pytest.raises(httpx.ReadTimeout):
            await http.get(base, timeout=0.2)
        gate.set()
    ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    srv = await serve(ok)
    async with srv as base:
        assert (await http.get(base)).text == "ok"


async def test_streamed_response_left_early_closes_its_connection(
    http: httpx.AsyncClient,
) -> None:
    big = b"HTTP/1.1 200 OK\r\nContent-Length: 2000000\r\n\r\n" + b"x" * 2_000_000
    ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    first = await serve(big)
    async with first as base, http.stream("GET", base) as response:
        async for _ in response.aiter_raw():
            break
    second = await serve(ok)
    async with second as base:
        assert (await http.get(base)).text == "ok"
    assert first.connections == 1 and second.connections == 1
