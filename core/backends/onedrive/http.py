"""The OneDrive backend's one HTTP stack: every client it uses is made here.

Graph calls, the upload and download hosts, the drive finder and msal's sign-in all get
their client from this module, so they share

* one TLS configuration: ``core.tls.tls_context`` (the OS store, ``SSL_CERT_FILE``/
  ``SSL_CERT_DIR`` and the remote's ``ca_bundle``; never unverified);
* one proxy policy: ``ProxyPolicy`` (``HTTPS_PROXY``/``HTTP_PROXY``/``ALL_PROXY`` and
  ``NO_PROXY``, read from the environment as curl, requests and aiohttp read them, or from
  the system settings where the OS has them), decided per host and kept;
* one pacer where Graph is called (``graph.GraphClient``; the drive finder uses that client).

The asynchronous clients speak HTTP/1.1 through aiohttp (its C parser, connection pool and
CONNECT tunnels) under httpx's API (``AiohttpStack``). A proxied request runs the same
code as a direct one: the same aiohttp session and parser, with a ``proxy=`` argument. msal
is synchronous, so sign-in gets an ``httpx.Client`` with the same TLS context and the same
policy choosing, per request, between a direct and a proxied httpx transport.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
import urllib.request
from collections.abc import AsyncIterable, AsyncIterator, Callable
from typing import Any

import aiohttp
import httpx
import yarl

from core.tls import tls_context

TIMEOUT = httpx.Timeout(120.0, connect=30.0)
LIMITS = httpx.Limits(max_connections=32, max_keepalive_connections=16, keepalive_expiry=60.0)


class ProxyPolicy:
    """Which proxy, if any, a request to a host goes through.

    Read once, from ``urllib.request.getproxies()`` (the environment, or the OS settings
    where it has them) unless ``proxies`` is given in the same form: the proxy for the URL's
    scheme (``https_proxy``, ``http_proxy``, else ``all_proxy``) unless ``no_proxy`` names
    the host, as curl reads it: comma-separated names matching the host or a domain above
    it (``example.com`` and ``.example.com`` both cover ``a.example.com``), ``name:port``
    for that port only, ``*`` for every host.
    """

    def __init__(self, proxies: dict[str, str] | None = None) -> None:
        found = urllib.request.getproxies() if proxies is None else proxies
        self._proxies = {k.lower(): v.strip() for k, v in found.items() if v and v.strip()}
        self._bypass = [
            entry.strip().lower().lstrip("*").lstrip(".")
            for entry in self._proxies.pop("no", "").split(",")
            if entry.strip()
        ]
        self._decided: dict[tuple[str, str, int | None], str | None] = {}

    @classmethod
    def from_env(cls) -> ProxyPolicy:
        return cls()

    def proxy_for(self, url: httpx.URL) -> str | None:
        key = (url.scheme, url.host, url.port)
        if key not in self._decided:
            self._decided[key] = self._decide(url)
        return self._decided[key]

    def _decide(self, url: httpx.URL) -> str | None:
        proxy = self._proxies.get(url.scheme) or self._proxies.get("all")
        if not proxy or self._bypassed(url):
            return None
        return proxy if "://" in proxy else f"http://{proxy}"

    def _bypassed(self, url: httpx.URL) -> bool:
        host = url.host.lower().strip("[]")
        port = url.port or (443 if url.scheme == "https" else 80)
        for entry in self._bypass:
            if entry == "":  # "*"
                return True
            name, _, only = entry.rpartition(":") if _has_port(entry) else (entry, "", "")
            name = name.strip("[]")
            if only and only != str(port):
                continue
            if host == name or host.endswith("." + name):
                return True
        return False


def _has_port(entry: str) -> bool:
    """Whether a no_proxy entry ends in ``:port`` (an IPv6 address alone does not)."""
    head, colon, tail = entry.rpartition(":")
    return bool(colon) and tail.isdigit() and (head.endswith("]") or ":" not in head)


#: Most bytes handed up per read of a response body: aiohttp keeps what the TLS layer
#: decrypted in one wake-up (up to 256 KiB), and each piece is a trip through httpx.
READ_SIZE = 256 * 1024
#: aiohttp's errors as httpx's, the most specific match first.
_ERRORS: tuple[tuple[type[BaseException], type[httpx.TransportError]], ...] = (
    (aiohttp.ClientProxyConnectionError, httpx.ProxyError),
    (aiohttp.ClientHttpProxyError, httpx.ProxyError),
    (aiohttp.ClientConnectorError, httpx.ConnectError),
    (aiohttp.ConnectionTimeoutError, httpx.ConnectTimeout),
    (aiohttp.SocketTimeoutError, httpx.ReadTimeout),
    (aiohttp.ServerTimeoutError, httpx.ReadTimeout),
    (aiohttp.ServerDisconnectedError, httpx.RemoteProtocolError),
    (aiohttp.ClientPayloadError, httpx.RemoteProtocolError),
    (aiohttp.ClientResponseError, httpx.RemoteProtocolError),
    (aiohttp.InvalidURL, httpx.UnsupportedProtocol),
    (aiohttp.ClientOSError, httpx.ReadError),
    (aiohttp.ClientError, httpx.TransportError),
    (TimeoutError, httpx.TimeoutException),
)


def _transport_error(exc: BaseException) -> httpx.TransportError | None:
    for kind, ours in _ERRORS:
        if isinstance(exc, kind):
            text = str(exc) or type(exc).__name__
            if isinstance(exc, aiohttp.ServerDisconnectedError):
                text = "the server closed the connection before its answer was complete"
            return ours(text)
    return None


class _Body(httpx.AsyncByteStream):
    """A response body read from aiohttp as it arrives; closing it frees the connection."""

    __slots__ = ("_response",)

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response = response

    async def __aiter__(self) -> AsyncIterator[bytes]:
        content = self._response.content
        try:
            while data := await content.readany():
                yield data
        except Exception as exc:
            if (error := _transport_error(exc)) is None:
                raise
            raise error from exc

    async def aclose(self) -> None:
        self._response.release()


@functools.lru_cache(maxsize=64)  # a handful of distinct timeouts, asked for per request
def _timeout(
    pool: float | None, connect: float | None, read: float | None
) -> aiohttp.ClientTimeout:
    return aiohttp.ClientTimeout(connect=pool, sock_connect=connect, sock_read=read)


def _large(body: bytes | AsyncIterable[bytes] | None) -> bool:
    return body is not None and (not isinstance(body, bytes) or len(body) > READ_SIZE)


async def _watched(
    body: bytes | AsyncIterable[bytes], deadline: asyncio.Timeout, seconds: float
) -> AsyncIterator[bytes | memoryview]:
    """``body`` in pieces, ``deadline`` moved ``seconds`` ahead as each is taken, and
    stopped once the last one has been written."""
    loop = asyncio.get_running_loop()
    if isinstance(body, bytes):
        view = memoryview(body)
        for start in range(0, len(body), READ_SIZE):
            deadline.reschedule(loop.time() + seconds)
            yield view[start : start + READ_SIZE]
    else:
        async for piece in body:
            deadline.reschedule(loop.time() + seconds)
            yield piece
    deadline.reschedule(None)


class AiohttpStack(httpx.AsyncBaseTransport):
    """httpx requests on one ``aiohttp.ClientSession``, direct or through the policy's proxy.

    aiohttp parses HTTP/1.1 (llhttp, in C), pools connections per origin and proxy, and
    opens CONNECT tunnels; this class only translates: an ``httpx.Request`` becomes one
    ``session.request`` with the policy's ``proxy=``, aiohttp's answer an ``httpx.Response``
    streaming its body, and aiohttp's errors httpx's ``TransportError`` types, so callers
    retry them as they would httpx's own. The session is made on first use, on the running
    loop.
    """

    def __init__(
        self,
        context: ssl.SSLContext,
        *,
        limits: httpx.Limits = LIMITS,
        proxies: ProxyPolicy | None = None,
    ) -> None:
        self._context = context
        self._limits = limits
        self.proxies = proxies or ProxyPolicy.from_env()
        self._session: aiohttp.ClientSession | None = None

    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                ssl=self._context,
                limit=self._limits.max_connections or 0,
                keepalive_timeout=self._limits.keepalive_expiry or 0,
            )
            # trust_env=False: the proxy is chosen by the one policy (aiohttp's own look-up
            # would also read the environment and ~/.netrc, on a thread, for every request).
            self._session = aiohttp.ClientSession(
                connector=connector,
                cookie_jar=aiohttp.DummyCookieJar(),  # httpx keeps the cookies, if any
                trust_env=False,
                auto_decompress=False,  # httpx decodes, as with its own transport
                skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding"),
                read_bufsize=READ_SIZE,
            )
        return self._session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeouts = request.extensions.get("timeout") or {}
        headers = request.headers
        body: Any
        try:
            body = request.content or None
        except httpx.RequestNotRead:  # a streamed body: aiohttp frames it (length or chunks)
            body = request.stream
            headers = headers.copy()
            headers.pop("Transfer-Encoding", None)
        # aiohttp has no write timeout: a server that stops taking a body would hold the
        # request for ever. A body larger than the socket buffers take at once is handed
        # over in pieces, each to be taken within the write timeout (the read timeout runs
        # from the body's end).
        write_timeout = timeouts.get("write")
        if write_timeout is None or not _large(body):
            response = await self._send(request, headers, body, timeouts)
        else:
            try:
                async with asyncio.timeout(None) as stalled:
                    body = _watched(body, stalled, write_timeout)
                    response = await self._send(request, headers, body, timeouts)
            except TimeoutError as exc:
                if stalled.expired():
                    raise httpx.WriteTimeout("the server stopped taking the request body") from exc
                raise
        return httpx.Response(
            status_code=response.status,
            headers=response.raw_headers,
            stream=_Body(response),
            extensions={
                "http_version": _version(response.version),
                "reason_phrase": (response.reason or "").encode(),
            },
        )

    async def _send(
        self, request: httpx.Request, headers: httpx.Headers, body: Any, timeouts: Any
    ) -> aiohttp.ClientResponse:
        try:
            return await self.session().request(
                request.method,
                # httpx has already percent-encoded the URL: sent exactly as it built it
                yarl.URL(str(request.url), encoded=True),
                headers=headers.multi_items(),
                data=body,
                allow_redirects=False,
                compress=None,
                proxy=self.proxies.proxy_for(request.url),
                timeout=_timeout(
                    timeouts.get("pool"), timeouts.get("connect"), timeouts.get("read")
                ),
            )
        except Exception as exc:
            if (error := _transport_error(exc)) is None:
                raise
            raise error from exc

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def _version(version: aiohttp.HttpVersion | None) -> bytes:
    return b"HTTP/%d.%d" % (version.major, version.minor) if version else b"HTTP/1.1"


class StackClient(httpx.AsyncClient):
    """An ``httpx.AsyncClient`` that keeps its transport in sight (``stack``).

    ``send_direct`` hands a request straight to that transport: what ``AsyncClient.send``
    adds on top — its auth flow, redirect loop, cookie jar (each response parsed through
    ``http.cookiejar``), event hooks and timing — is nothing the Graph client uses (it
    sets its own ``Authorization``, never follows redirects, keeps no cookies), and cost
    ~145 µs of CPU per request, over half of what the stack itself costs (measured with
    ``tests/bench/bench_http.py``: ``skypane`` vs ``skypane-direct``).
    """

    def __init__(self, *, transport: httpx.AsyncBaseTransport, **kwargs: Any) -> None:
        super().__init__(transport=transport, **kwargs)
        self.stack = transport

    def direct_request(
        self,
        method: str,
        url: str,
        *,
        params: Any = None,
        headers: dict[str, str] | None = None,
        content: Any = None,
        timeout: httpx.Timeout | None = None,
    ) -> httpx.Request:
        """The request ``build_request`` would make: the client's default headers under
        ``headers``, its timeouts unless ``timeout`` is given."""
        merged = self.headers.copy()
        if headers:
            merged.update(headers)
        return httpx.Request(
            method,
            url,
            params=params,
            headers=merged,
            content=content,
            extensions={"timeout": (timeout or self.timeout).as_dict()},
        )

    async def send_direct(self, request: httpx.Request, *, stream: bool = False) -> httpx.Response:
        """``request`` through the transport; the body read unless ``stream``."""
        if self.is_closed:  # as send: the stack would open a new session nobody closes
            raise RuntimeError("Cannot send a request, as the client has been closed.")
        response = await self.stack.handle_async_request(request)
        response.request = request
        if not stream:
            try:
                await response.aread()
            except BaseException:
                await response.aclose()
                raise
        return response


def make_http_client(
    *,
    ca_bundle: str | None = None,
    context: ssl.SSLContext | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    proxies: ProxyPolicy | None = None,
    timeout: httpx.Timeout = TIMEOUT,
    headers: dict[str, str] | None = None,
) -> StackClient:
    """An ``httpx.AsyncClient`` on the backend's stack (``AiohttpStack``).

    One client serves Graph and the pre-authenticated URLs alike; aiohttp keeps connections
    per origin, so the files host that download and upload URLs point to has its own
    kept-alive ones. ``transport`` replaces the stack (tests' in-process transports).
    """
    verify = context if context is not None else tls_context(ca_bundle)
    return StackClient(
        verify=verify,
        timeout=timeout,
        follow_redirects=False,
        headers=headers,
        # The proxy is the stack's business (ProxyPolicy); httpx's own look-up would put
        # proxied requests on another transport.
        trust_env=False,
        transport=transport if transport is not None else AiohttpStack(verify, proxies=proxies),
    )


class _SyncRouter(httpx.BaseTransport):
    """A synchronous httpx transport per proxy (or none), chosen by the policy."""

    def __init__(self, make: Callable[[str | None], httpx.BaseTransport], proxies: ProxyPolicy):
        self._make = make
        self._proxies = proxies
        self._by_proxy: dict[str | None, httpx.BaseTransport] = {}

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        proxy = self._proxies.proxy_for(request.url)
        transport = self._by_proxy.get(proxy)
        if transport is None:
            transport = self._by_proxy[proxy] = self._make(proxy)
        return transport.handle_request(request)

    def close(self) -> None:
        for transport in self._by_proxy.values():
            transport.close()


def make_sync_client(
    *,
    ca_bundle: str | None = None,
    context: ssl.SSLContext | None = None,
    transport: httpx.BaseTransport | None = None,
    proxies: ProxyPolicy | None = None,
    timeout: float = 30.0,
) -> httpx.Client:
    """An ``httpx.Client`` for msal's sign-in: the same TLS trust and proxy policy."""
    verify = context if context is not None else tls_context(ca_bundle)
    policy = proxies or ProxyPolicy.from_env()

    def make(proxy: str | None) -> httpx.BaseTransport:
        return httpx.HTTPTransport(verify=verify, trust_env=False, proxy=proxy)

    return httpx.Client(
        verify=verify,
        timeout=timeout,
        trust_env=False,
        transport=transport if transport is not None else _SyncRouter(make, policy),
    )
