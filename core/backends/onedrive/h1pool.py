"""A lean HTTP/1.1 connection pool under httpx, on ``aionet``'s asyncio connections.

httpcore's pool and h11 cost about a millisecond of CPU per request here (locks and cancel
scopes through anyio, h11's event machinery, several layers of streams), four times what the
request itself costs; for many small files that is most of the client's work. This pool
speaks the part of HTTP/1.1 that Graph and its download and upload hosts use: one request at
a time per connection, keep-alive, bodies framed by Content-Length, chunked encoding or the
end of the connection. It answers httpx's transport in httpcore's terms
(``handle_async_request(httpcore.Request) -> httpcore.Response`` and httpcore's exceptions),
so httpx, its error mapping and the Graph client above it are unchanged.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import AsyncIterator
from typing import Any

import httpcore

from core.backends.onedrive.aionet import READ_SIZE, AsyncioBackend

#: Longest response head accepted.
MAX_HEAD = 64 * 1024
#: A request's head and a body up to this size leave in one write (one TLS record).
COALESCE = 64 * 1024
#: Methods retried once on a fresh connection when a reused one turns out to be closed.
_REPLAYABLE = (b"GET", b"HEAD", b"OPTIONS")

Origin = tuple[bytes, bytes, int]


class _Connection:
    __slots__ = ("buffer", "idle_since", "origin", "stream")

    def __init__(self, stream: Any, origin: Origin) -> None:
        self.stream = stream
        self.origin = origin
        self.buffer = bytearray()
        self.idle_since = 0.0

    async def read_some(self, limit: int, timeout: float | None) -> bytes:
        """Up to ``limit`` bytes: what is buffered, else one read (b"" at the end)."""
        if self.buffer:
            n = min(len(self.buffer), limit)
            out = bytes(self.buffer[:n])
            del self.buffer[:n]
            return out
        data: bytes = await self.stream.read(READ_SIZE, timeout)
        if len(data) > limit:
            self.buffer += data[limit:]
            data = data[:limit]
        return data

    async def read_line(self, timeout: float | None) -> bytes:
        while (end := self.buffer.find(b"\r\n")) < 0:
            if len(self.buffer) > MAX_HEAD:
                raise httpcore.RemoteProtocolError("line too long in the response")
            data = await self.stream.read(READ_SIZE, timeout)
            if not data:
                raise httpcore.RemoteProtocolError("the server closed the connection mid-body")
            self.buffer += data
        line = bytes(self.buffer[:end])
        del self.buffer[: end + 2]
        return line

    async def read_head(self, timeout: float | None) -> tuple[int, bytes, bytes, list[Any]]:
        """Status, reason, version and headers of the next response."""
        while (end := self.buffer.find(b"\r\n\r\n")) < 0:
            if len(self.buffer) > MAX_HEAD:
                raise httpcore.RemoteProtocolError("response head too large")
            data = await self.stream.read(READ_SIZE, timeout)
            if not data:
                raise httpcore.RemoteProtocolError(
                    "Server disconnected without sending a response."
                    if not self.buffer
                    else "the server closed the connection mid-head"
                )
            self.buffer += data
        lines = bytes(self.buffer[:end]).split(b"\r\n")
        del self.buffer[: end + 4]
        version, _, rest = lines[0].partition(b" ")
        code, _, reason = rest.partition(b" ")
        if not version.startswith(b"HTTP/1.") or len(code) != 3 or not code.isdigit():
            raise httpcore.RemoteProtocolError(f"malformed status line {lines[0][:80]!r}")
        headers = []
        for line in lines[1:]:
            name, colon, value = line.partition(b":")
            if not colon or not name or name != name.strip():
                raise httpcore.RemoteProtocolError(f"malformed header line {line[:80]!r}")
            headers.append((name, value.strip()))
        return int(code), reason, version, headers

    def alive(self, expiry: float | None) -> bool:
        if expiry is not None and time.monotonic() - self.idle_since > expiry:
            return False
        return not self.buffer and not self.stream.get_extra_info("is_readable")

    async def close(self) -> None:
        await self.stream.aclose()


def _header(headers: list[Any], name: bytes) -> bytes | None:
    for key, value in headers:
        if key.lower() == name:
            return bytes(value)
    return None


def _timeouts(request: httpcore.Request) -> dict[str, float | None]:
    found = request.extensions.get("timeout")
    return found if isinstance(found, dict) else {}


class _Body:
    """A response body as httpx iterates it; closing it hands the connection back."""

    def __init__(
        self,
        pool: LeanPool,
        conn: _Connection,
        framing: str,
        length: int,
        keep: bool,
        timeout: float | None,
    ) -> None:
        self._pool = pool
        self._conn = conn
        self._framing = framing
        self._left = length
        self._keep = keep
        self._timeout = timeout
        self._complete = framing == "none" or (framing == "length" and length == 0)
        self._closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        conn, timeout = self._conn, self._timeout
        if self._framing == "length":
            while self._left > 0:
                data = await conn.read_some(min(self._left, 4 * READ_SIZE), timeout)
                if not data:
                    raise httpcore.RemoteProtocolError(
                        "peer closed connection without sending complete message body"
                    )
                self._left -= len(data)
                yield data
        elif self._framing == "chunked":
            while True:
                size_line = (await conn.read_line(timeout)).partition(b";")[0].strip()
                try:
                    size = int(size_line, 16)
                except ValueError:
                    raise httpcore.RemoteProtocolError("malformed chunk size") from None
                if size == 0:
                    while await conn.read_line(timeout):  # trailers, up to the empty line
                        pass
                    break
                while size > 0:
                    data = await conn.read_some(min(size, 4 * READ_SIZE), timeout)
                    if not data:
                        raise httpcore.RemoteProtocolError("the server closed a chunked body")
                    size -= len(data)
                    yield data
                if await conn.read_line(timeout):
                    raise httpcore.RemoteProtocolError("missing CRLF after a chunk")
        elif self._framing == "close":
            while data := await conn.read_some(4 * READ_SIZE, timeout):
                yield data
        self._complete = True

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        await self._pool._finished(self._conn, reusable=self._complete and self._keep)


class LeanPool:
    """Keep-alive HTTP/1.1 connections per origin, at most ``max_connections`` busy at once."""

    def __init__(
        self,
        ssl_context: ssl.SSLContext,
        *,
        max_connections: int | None = 32,
        max_keepalive_connections: int | None = 16,
        keepalive_expiry: float | None = 60.0,
    ) -> None:
        self._ssl_context = ssl_context
        self._network = AsyncioBackend()
        self._slots = asyncio.Semaphore(max_connections or 1_000_000)
        self._max_idle = max_keepalive_connections if max_keepalive_connections is not None else 0
        self._expiry = keepalive_expiry
        self._idle: dict[Origin, list[_Connection]] = {}

    @property
    def idle_connections(self) -> int:
        return sum(len(v) for v in self._idle.values())

    async def __aenter__(self) -> LeanPool:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        idle, self._idle = self._idle, {}
        for conns in idle.values():
            for conn in conns:
                await conn.close()

    async def handle_async_request(self, request: httpcore.Request) -> httpcore.Response:
        url = request.url
        scheme = bytes(url.scheme)
        if scheme not in (b"http", b"https"):
            raise httpcore.UnsupportedProtocol(f"unsupported URL scheme {scheme!r}")
        origin = (scheme, bytes(url.host), url.port or (443 if scheme == b"https" else 80))
        timeouts = _timeouts(request)
        try:
            async with asyncio.timeout(timeouts.get("pool")):
                await self._slots.acquire()
        except TimeoutError as exc:
            raise httpcore.PoolTimeout("no connection became free in time") from exc
        try:
            return await self._exchange(request, origin, timeouts)
        except BaseException:
            self._slots.release()
            raise

    async def _exchange(
        self, request: httpcore.Request, origin: Origin, timeouts: dict[str, float | None]
    ) -> httpcore.Response:
        method = bytes(request.method)
        read_timeout = timeouts.get("read")
        conn = self._take_idle(origin)
        while True:
            reused = conn is not None
            if conn is None:
                conn = await self._connect(origin, timeouts.get("connect"))
            try:
                await self._send(conn, request, timeouts.get("write"))
                status, reason, version, headers = await conn.read_head(read_timeout)
                while 100 <= status < 200 and status != 101:  # interim answers
                    status, reason, version, headers = await conn.read_head(read_timeout)
            except (httpcore.ReadError, httpcore.WriteError, httpcore.RemoteProtocolError):
                await conn.close()
                if reused and method in _REPLAYABLE:
                    conn = None  # the server dropped an idle connection: try a fresh one
                    continue
                raise
            except BaseException:
                await conn.close()
                raise
            break
        framing, length = _framing(method, status, headers)
        keep = version == b"HTTP/1.1" and framing != "close"
        for name in (b"connection",):
            value = _header(headers, name) or b""
            if b"close" in value.lower():
                keep = False
        if b"close" in (_header(request.headers, b"connection") or b"").lower():
            keep = False
        body = _Body(self, conn, framing, length, keep, read_timeout)
        if body._complete:
            await body.aclose()
        return httpcore.Response(
            status,
            headers=headers,
            content=body,
            extensions={
                "http_version": version,
                "reason_phrase": reason,
                "network_stream": conn.stream,
            },
        )

    def _take_idle(self, origin: Origin) -> _Connection | None:
        conns = self._idle.get(origin)
        while conns:
            conn = conns.pop()
            if conn.alive(self._expiry):
                return conn
            conn.stream._transport.close()  # expired or closed by the server
        return None

    async def _connect(self, origin: Origin, timeout: float | None) -> _Connection:
        scheme, host, port = origin
        name = host.decode("ascii")
        stream = await self._network.connect_tcp(name, port, timeout=timeout)
        if scheme == b"https":
            stream = await stream.start_tls(
                self._ssl_context, server_hostname=name, timeout=timeout
            )
        return _Connection(stream, origin)

    async def _send(
        self, conn: _Connection, request: httpcore.Request, timeout: float | None
    ) -> None:
        parts = [bytes(request.method), b" ", bytes(request.url.target), b" HTTP/1.1\r\n"]
        chunked = False
        for name, value in request.headers:
            parts += [name, b": ", value, b"\r\n"]
            if name.lower() == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
        parts.append(b"\r\n")
        pending: bytes | None = b"".join(parts)
        write = conn.stream.write
        async for piece in request.stream:  # type: ignore[union-attr]
            if not piece:
                continue
            if chunked:
                piece = b"%x\r\n%b\r\n" % (len(piece), piece)
            if pending is not None:
                if len(pending) + len(piece) <= COALESCE:
                    pending += piece
                    continue
                await write(pending, timeout)
                pending = None
            await write(piece, timeout)
        tail = b"0\r\n\r\n" if chunked else b""
        if pending is not None:
            await write(pending + tail, timeout)
        elif tail:
            await write(tail, timeout)

    async def _finished(self, conn: _Connection, *, reusable: bool) -> None:
        """A response is done with: keep its connection for the next request, or close it."""
        self._slots.release()
        if reusable and self.idle_connections < self._max_idle:
            conn.idle_since = time.monotonic()
            self._idle.setdefault(conn.origin, []).append(conn)
        else:
            await conn.close()


def _framing(method: bytes, status: int, headers: list[Any]) -> tuple[str, int]:
    """How the body is delimited: ("none"|"length"|"chunked"|"close", length)."""
    if method == b"HEAD" or status in (204, 304) or 100 <= status < 200:
        return "none", 0
    encoding = _header(headers, b"transfer-encoding")
    if encoding is not None and b"chunked" in encoding.lower():
        return "chunked", 0
    length = _header(headers, b"content-length")
    if length is not None:
        text = length.split(b",")[0].strip()
        if not text.isdigit():
            raise httpcore.RemoteProtocolError(f"bad Content-Length {length[:40]!r}")
        return "length", int(text)
    return "close", 0
