"""An httpcore network backend on plain asyncio transports, for cheaper transfers.

httpcore's default backend goes through anyio: each read of a TLS connection returns at most
one TLS record (16 KiB) and costs a cancel scope and a timeout scope, about 8 CPU seconds per
GiB downloaded. asyncio's own SSL transport decrypts everything the socket holds (up to
256 KiB per wake-up) at once; here a read takes what is buffered, without a timer unless it
has to wait, which brings a download to about 3 CPU seconds per GiB on the same machine.

``install(client)`` puts ``h1pool.LeanPool`` (HTTP/1.1 on these connections) under an
``httpx.AsyncClient``'s default transport, keeping httpx's proxy handling (mounts) as they
are: proxied requests still go through httpcore.
"""

from __future__ import annotations

import asyncio
import ssl
from collections import deque
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

#: Most bytes one read hands to httpcore. httpcore asks for 64 KiB; h11 accepts any amount,
#: and every read is a trip through httpcore, h11 and httpx, so fewer, larger reads are cheaper.
READ_SIZE = 256 * 1024
#: Buffered bytes at which the transport stops reading the socket (memory stays bounded
#: however slowly the body is consumed), and below which it reads again.
HIGH_WATER = 4 * READ_SIZE
LOW_WATER = READ_SIZE


class _Buffered(asyncio.Protocol):
    """Keeps what arrives until the stream reads it; follows the transport's flow control."""

    def __init__(self) -> None:
        self.transport: asyncio.BaseTransport | None = None
        self.chunks: deque[bytes] = deque()
        self.offset = 0  # bytes of chunks[0] already handed out
        self.buffered = 0  # bytes in chunks not yet handed out
        self.reading_paused = False
        self.eof = False
        self.error: BaseException | None = None
        self.readable: asyncio.Future[None] | None = None
        self.writable: asyncio.Future[None] | None = None
        self.paused = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.chunks.append(data)
        self.buffered += len(data)
        if self.buffered > HIGH_WATER and not self.reading_paused and self.transport is not None:
            self.reading_paused = True
            self.transport.pause_reading()  # type: ignore[attr-defined]
        _wake(self.readable)

    def eof_received(self) -> bool:
        self.eof = True
        _wake(self.readable)
        return False  # let the transport close itself

    def connection_lost(self, exc: Exception | None) -> None:
        self.eof = True
        self.error = exc
        _wake(self.readable)
        self.resume_writing()

    def pause_writing(self) -> None:
        self.paused = True

    def resume_writing(self) -> None:
        self.paused = False
        _wake(self.writable)

    def take(self, limit: int) -> bytes:
        """Up to ``limit`` buffered bytes; reading resumes once the buffer has drained."""
        data = self._take(limit)
        self.buffered -= len(data)
        if self.reading_paused and self.buffered <= LOW_WATER and self.transport is not None:
            self.reading_paused = False
            if not self.transport.is_closing():
                self.transport.resume_reading()  # type: ignore[attr-defined]
        return data

    def _take(self, limit: int) -> bytes:
        """Whole pieces are handed out as they are, or joined (each byte copied once)."""
        first = self.chunks[0]
        start = self.offset
        if len(first) - start > limit:
            self.offset = start + limit
            return first[start : start + limit]
        self.chunks.popleft()
        self.offset = 0
        piece = first[start:] if start else first
        if not self.chunks or len(piece) + len(self.chunks[0]) > limit:
            return piece
        parts = [piece]
        size = len(piece)
        while self.chunks and size + len(self.chunks[0]) <= limit:
            nxt = self.chunks.popleft()
            parts.append(nxt)
            size += len(nxt)
        return b"".join(parts)


def _wake(waiter: asyncio.Future[None] | None) -> None:
    if waiter is not None and not waiter.done():
        waiter.set_result(None)


class AsyncioStream(httpcore.AsyncNetworkStream):
    """One connection (plain or TLS) as httpcore sees it."""

    def __init__(self, transport: asyncio.BaseTransport, protocol: _Buffered) -> None:
        self._transport = transport
        self._protocol = protocol

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        p = self._protocol
        if not p.chunks:
            if not p.eof:
                p.readable = asyncio.get_running_loop().create_future()
                try:
                    async with asyncio.timeout(timeout):
                        await p.readable
                except TimeoutError as exc:
                    raise httpcore.ReadTimeout("timed out reading from the server") from exc
                finally:
                    p.readable = None
            if not p.chunks:
                if p.error is not None:
                    raise httpcore.ReadError(str(p.error)) from p.error
                return b""
        return p.take(max(max_bytes, READ_SIZE))

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        p = self._protocol
        transport = self._transport
        if transport.is_closing() or p.error is not None:
            raise httpcore.WriteError("the connection is closed")
        transport.write(buffer)  # type: ignore[attr-defined]
        if p.paused:
            p.writable = asyncio.get_running_loop().create_future()
            try:
                async with asyncio.timeout(timeout):
                    await p.writable
            except TimeoutError as exc:
                raise httpcore.WriteTimeout("timed out writing to the server") from exc
            finally:
                p.writable = None
            if p.error is not None:
                raise httpcore.WriteError(str(p.error)) from p.error

    async def aclose(self) -> None:
        self._transport.close()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        try:
            transport = await loop.start_tls(
                self._transport,  # type: ignore[arg-type]
                self._protocol,
                ssl_context,
                server_hostname=server_hostname,
                ssl_handshake_timeout=timeout,
            )
        except TimeoutError as exc:
            self._transport.close()
            raise httpcore.ConnectTimeout("timed out during the TLS handshake") from exc
        except (OSError, ssl.SSLError) as exc:
            self._transport.close()
            raise httpcore.ConnectError(str(exc)) from exc
        if transport is None:  # pragma: no cover - only for a closed transport
            raise httpcore.ConnectError("the connection closed before TLS started")
        self._protocol.transport = transport  # flow control now goes through TLS
        return AsyncioStream(transport, self._protocol)

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":  # an idle keep-alive connection with news is a dead one
            return bool(self._protocol.chunks) or self._protocol.eof
        if info == "client_addr":
            return self._transport.get_extra_info("sockname")
        if info == "server_addr":
            return self._transport.get_extra_info("peername")
        if info in ("ssl_object", "socket"):
            return self._transport.get_extra_info(info)
        return None


class AsyncioBackend(httpcore.AsyncNetworkBackend):
    """Opens ``AsyncioStream`` connections on the running loop."""

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        protocol = _Buffered()
        try:
            async with asyncio.timeout(timeout):
                transport, _ = await loop.create_connection(
                    lambda: protocol,
                    host,
                    port,
                    local_addr=(local_address, 0) if local_address else None,
                )
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"timed out connecting to {host}:{port}") from exc
        except OSError as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        sock = transport.get_extra_info("socket")
        for option in socket_options or ():
            sock.setsockopt(*option)
        return AsyncioStream(transport, protocol)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        protocol = _Buffered()
        try:
            async with asyncio.timeout(timeout):
                transport, _ = await loop.create_unix_connection(lambda: protocol, path)
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"timed out connecting to {path}") from exc
        except OSError as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        return AsyncioStream(transport, protocol)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


def install(client: httpx.AsyncClient, ssl_context: ssl.SSLContext, limits: httpx.Limits) -> bool:
    """Serve ``client``'s direct (non-proxied) requests through ``h1pool.LeanPool`` on
    ``AsyncioBackend`` connections.

    httpx has no parameter for its transport's connection pool, so the default transport's
    httpcore pool is replaced. Returns False (and leaves the client as it was) if this httpx
    keeps its pool elsewhere.
    """
    from core.backends.onedrive.h1pool import LeanPool

    transport = getattr(client, "_transport", None)
    if not isinstance(transport, httpx.AsyncHTTPTransport):
        return False
    old = getattr(transport, "_pool", None)
    if type(old) is not httpcore.AsyncConnectionPool:
        return False
    transport._pool = LeanPool(  # type: ignore[assignment]
        ssl_context,
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
    )
    return True


def uses_asyncio_backend(client: httpx.AsyncClient) -> bool:
    """Whether ``install`` took effect on ``client``."""
    from core.backends.onedrive.h1pool import LeanPool

    return isinstance(getattr(getattr(client, "_transport", None), "_pool", None), LeanPool)
