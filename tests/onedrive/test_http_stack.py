"""The OneDrive backend's HTTP stack (aiohttp under httpx, ``core.backends.onedrive.http``)
against scripted servers on real sockets: HTTP/1.1 framing (lengths, chunks with extensions
and trailers, bodies ended by the connection, interim 1xx answers), keep-alive, connections
dropped mid-head and mid-body (a retryable transport error, never a hang or a short body),
timeouts; and the proxy policy's decisions."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest

from core import errors
from core.backends.onedrive.graph import GraphClient
from core.backends.onedrive.http import ProxyPolicy, make_http_client
from core.backends.onedrive.pacer import Pacer
from tests.engine.od import StaticTokens

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
#: However busy the machine, no exchange here should take this long: a hang fails the test.
PATIENCE = 60.0
OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


class Server:
    """A local HTTP server on a real socket whose every connection runs ``handler``."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.connections = 0
        self.heads: list[bytes] = []
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
        """The next request's head; its body (by Content-Length) is read and dropped."""
        head = await reader.readuntil(b"\r\n\r\n")
        self.heads.append(head)
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                await reader.readexactly(int(line.split(b":")[1]))
        return head


def answering(*responses: bytes, close: bool = False) -> Server:
    """A server answering the requests on a connection with ``responses`` in turn (all of
    them when ``close``, each in pieces, then closing the connection)."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for response in responses:
            await server.head(reader)
            for start in range(0, len(response), 7):  # the parser must join pieces
                writer.write(response[start : start + 7])
                await writer.drain()
        if not close:
            await reader.read()  # keep the connection until the client goes

    server = Server(handler)
    return server


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    client = make_http_client(proxies=ProxyPolicy({}))
    try:
        yield client
    finally:
        await client.aclose()


async def get(http: httpx.AsyncClient, url: str, **kw: float) -> httpx.Response:
    async with asyncio.timeout(PATIENCE):
        return await http.get(url, **kw)


async def test_keep_alive_reuses_one_connection(http: httpx.AsyncClient) -> None:
    srv = answering(OK, OK, OK)
    async with srv as base:
        for _ in range(3):
            assert (await get(http, base)).text == "ok"
    assert srv.connections == 1


async def test_chunked_body_with_extensions_and_trailers(http: httpx.AsyncClient) -> None:
    chunked = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"3;name=value\r\nabc\r\n"
        b'2;quoted="a;b"\r\nde\r\n'
        b"0\r\nX-Checksum: 1\r\nX-Other: 2\r\n\r\n"
    )
    srv = answering(chunked, OK)
    async with srv as base:
        assert (await get(http, base)).content == b"abcde"
        assert (await get(http, base)).text == "ok"  # the trailers were all consumed
    assert srv.connections == 1


@pytest.mark.parametrize(
    "head",
    [b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n", b"HTTP/1.0 200 OK\r\n\r\n"],
    ids=["close", "http10"],
)
async def test_a_body_without_length_ends_with_the_connection(
    http: httpx.AsyncClient, head: bytes
) -> None:
    body = bytes(range(256)) * 1000
    srv = answering(head + body, close=True)
    async with srv as base:
        assert (await get(http, base)).content == body
        assert (await get(http, base)).content == body  # a new connection for the next
    assert srv.connections == 2


async def test_interim_1xx_answers_are_skipped(http: httpx.AsyncClient) -> None:
    interim = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
    srv = answering(interim + OK, OK)
    async with srv as base:
        response = await get(http, base)
        assert (response.status_code, response.text) == (200, "ok")
        assert (await get(http, base)).text == "ok"
    assert srv.connections == 1


async def test_head_and_no_content_have_no_body(http: httpx.AsyncClient) -> None:
    srv = answering(
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", b"HTTP/1.1 204 No Content\r\n\r\n", OK
    )
    async with srv as base:
        assert (await http.head(base)).content == b""
        assert (await get(http, base)).status_code == 204
        assert (await get(http, base)).text == "ok"
    assert srv.connections == 1


async def test_request_bodies_are_framed_by_length_or_chunks(http: httpx.AsyncClient) -> None:
    bodies: list[bytes] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            if b"content-length: 6" in head.lower():
                bodies.append(await reader.readexactly(6))
            else:
                assert b"transfer-encoding: chunked" in head.lower()
                body = b""
                while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
                    body += await reader.readexactly(size)
                    await reader.readexactly(2)
                await reader.readuntil(b"\r\n")
                bodies.append(body)
            writer.write(OK)

    async def pieces() -> AsyncIterator[bytes]:
        yield b"one"
        yield b"two"

    async with Server(handler) as base, asyncio.timeout(PATIENCE):
        await http.put(base, content=b"abcdef")
        await http.put(base, content=pieces(), headers={"Content-Length": "6"})
        await http.put(base, content=pieces())
    assert bodies == [b"abcdef", b"onetwo", b"onetwo"]


async def test_connection_dropped_mid_head_is_a_retryable_error(http: httpx.AsyncClient) -> None:
    srv = answering(b"HTTP/1.1 200 OK\r\nContent-Len", close=True)
    async with srv as base:
        with pytest.raises(httpx.TransportError) as caught:
            await get(http, base)
    assert "closed the connection" in str(caught.value)


async def test_the_graph_client_retries_a_dropped_head_then_says_so() -> None:
    srv = answering(b"HTTP/1.1 200 OK\r\nContent-Len", close=True)
    async with srv as base:
        graph = GraphClient(
            base,
            StaticTokens("t"),
            http=make_http_client(proxies=ProxyPolicy({})),
            pacer=Pacer(min_sleep=0.0, max_sleep=0.01, max_attempts=3),
        )
        try:
            with pytest.raises(errors.TransientError, match="connection to OneDrive failed"):
                async with asyncio.timeout(PATIENCE):
                    await graph.get_json("me/drive")
        finally:
            await graph.aclose()
    # Each of the pacer's 3 attempts: aiohttp sends an idempotent request once more on a
    # fresh connection when the server drops it unanswered (RFC 9112 §9.3.1).
    assert srv.connections == 6


@pytest.mark.parametrize(
    "cut",
    [
        b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + b"x" * 50000,
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10000\r\n" + b"x" * 3000,
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nxxxxx\r\n",
    ],
    ids=["length", "mid-chunk", "between-chunks"],
)
async def test_connection_dropped_mid_body_is_an_error_not_a_short_body(
    http: httpx.AsyncClient, cut: bytes
) -> None:
    srv = answering(cut, close=True)
    got = bytearray()
    async with srv as base:
        with pytest.raises(httpx.TransportError):
            async with asyncio.timeout(PATIENCE), http.stream("GET", base) as response:
                async for data in response.aiter_bytes():
                    got += data
    assert len(got) < 100000


async def test_idle_connection_closed_by_the_server_is_replaced(http: httpx.AsyncClient) -> None:
    served = asyncio.Event()

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(OK)  # keep-alive promised, then the server drops the idle connection
        await writer.drain()
        served.set()

    async with Server(handler) as base:
        assert (await get(http, base)).text == "ok"
        await served.wait()
        assert (await get(http, base)).text == "ok"


async def test_malformed_answer_is_a_protocol_error(http: httpx.AsyncClient) -> None:
    srv = answering(b"HTTP/1.1 2x0 Hm\r\n\r\n", close=True)
    async with srv as base:
        with pytest.raises(httpx.RemoteProtocolError):
            await get(http, base)


async def test_silent_server_times_out_and_the_client_recovers(http: httpx.AsyncClient) -> None:
    gate = asyncio.Event()

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        await gate.wait()

    async with Server(handler) as base:
        with pytest.raises(httpx.ReadTimeout):
            await get(http, base, timeout=0.2)
        gate.set()
    srv = answering(OK)
    async with srv as base:
        assert (await get(http, base)).text == "ok"


async def test_refused_connection_is_a_connect_error(http: httpx.AsyncClient) -> None:
    srv = Server(lambda r, w: asyncio.sleep(0))
    async with srv as base:
        pass  # closed: nothing listens there now
    with pytest.raises(httpx.ConnectError):
        await get(http, base)


async def test_streamed_response_left_early_does_not_block_the_next(
    http: httpx.AsyncClient,
) -> None:
    big = b"HTTP/1.1 200 OK\r\nContent-Length: 2000000\r\n\r\n" + b"x" * 2_000_000
    first = answering(big)
    async with first as base, asyncio.timeout(PATIENCE), http.stream("GET", base) as response:
        async for _ in response.aiter_raw():
            break
    second = answering(OK)
    async with second as base:
        assert (await get(http, base)).text == "ok"


def url(text: str) -> httpx.URL:
    return httpx.URL(text)


def test_the_proxy_policy_reads_the_usual_variables() -> None:
    policy = ProxyPolicy(
        {
            "https": "http://proxy:3128",
            "http": "proxy:8080",
            "no": "localhost,.corp.example,10.1.2.3:8443",
        }
    )
    assert policy.proxy_for(url("https://graph.microsoft.com/v1.0")) == "http://proxy:3128"
    assert policy.proxy_for(url("http://example.com/")) == "http://proxy:8080"
    assert policy.proxy_for(url("https://localhost:9/")) is None
    assert policy.proxy_for(url("https://files.corp.example/x")) is None
    assert policy.proxy_for(url("https://10.1.2.3:8443/")) is None
    assert policy.proxy_for(url("https://10.1.2.3:443/")) == "http://proxy:3128"
    assert ProxyPolicy({"all": "http://p:1"}).proxy_for(url("https://a/")) == "http://p:1"
    assert ProxyPolicy({"https": "http://p:1", "no": "*"}).proxy_for(url("https://a/")) is None
    assert ProxyPolicy({}).proxy_for(url("https://a/")) is None
    wild = ProxyPolicy(
        {"https": "http://p:1", "no": " *.corp.example , ::1,[fe80::2]:443,Upper.Case"}
    )
    assert wild.proxy_for(url("https://a.corp.example/")) is None
    assert wild.proxy_for(url("https://corp.example.org/")) == "http://p:1"
    assert wild.proxy_for(url("https://notcorp.example/")) == "http://p:1"
    assert wild.proxy_for(url("https://[::1]:8443/")) is None
    assert wild.proxy_for(url("https://[fe80::2]/")) is None
    assert wild.proxy_for(url("https://[fe80::2]:8443/")) == "http://p:1"
    assert wild.proxy_for(url("https://upper.case/")) is None


def test_the_policy_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:3128")
    monkeypatch.setenv("NO_PROXY", "login.example")
    policy = ProxyPolicy.from_env()
    assert policy.proxy_for(url("https://graph.example/")) == "http://127.0.0.1:3128"
    assert policy.proxy_for(url("https://login.example/")) is None


@pytest.mark.parametrize("streamed", [False, True], ids=["bytes", "streamed"])
async def test_a_server_that_stops_taking_the_body_is_a_write_timeout(
    http: httpx.AsyncClient, streamed: bool
) -> None:
    stop = asyncio.Event()

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        await stop.wait()  # never reads the body

    body = b"x" * (64 * 1024 * 1024)

    async def pieces() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 1024 * 1024):
            yield body[start : start + 1024 * 1024]

    content = pieces() if streamed else body
    headers = {"Content-Length": str(len(body))}
    async with Server(handler) as base:
        with pytest.raises(httpx.WriteTimeout):
            async with asyncio.timeout(PATIENCE):
                await http.put(
                    base, content=content, headers=headers, timeout=httpx.Timeout(60, write=0.5)
                )
        stop.set()


async def test_a_slow_reader_holds_back_the_server(http: httpx.AsyncClient) -> None:
    """Flow control: a body read slowly is not buffered whole in memory; the server waits."""
    total, block = 128 * 1024 * 1024, b"x" * (256 * 1024)
    sent = 0

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal sent
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % total)
        while sent < total:
            writer.write(block)
            await writer.drain()
            sent += len(block)

    async with (
        Server(handler) as base,
        asyncio.timeout(PATIENCE),
        http.stream("GET", base) as response,
    ):
        pieces = response.aiter_raw()
        await anext(pieces)  # one piece read, then the reader dawdles
        last = -1
        while sent != last and sent < total:  # until the server is held back
            last = sent
            await asyncio.sleep(1.0)
        # Socket buffers and aiohttp's own hold a few MiB; never the whole body.
        assert sent < total // 4
