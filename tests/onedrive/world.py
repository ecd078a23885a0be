"""OneDrive backends against the TLS Graph emulator, for tests/onedrive and the conformance suite.

One emulator + TLS server per flavour is shared by a whole test session (starting one costs
~0.25 s); every backend gets a fresh scratch folder, its own HTTP client and pacer, and
faults are switched off again when it closes.
"""

from __future__ import annotations

import contextlib
import ssl
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from core.backends.onedrive.backend import OneDriveBackend
from core.backends.onedrive.http import make_http_client
from core.backends.onedrive.pacer import Pacer
from core.emulator import Emulator, EmulatorConfig, RunningServer, start_server

FLAVOURS = ("personal", "business")
CLIENT_ID = "00000000-0000-0000-0000-00000000c0de"
_SHARED: dict[str, RunningServer] = {}


def shared_server(flavour: str, config: pytest.Config) -> RunningServer:
    """The session's TLS emulator of ``flavour`` (started on first use, stopped at the end)."""
    if flavour not in _SHARED:
        emulator = Emulator(EmulatorConfig(flavour=flavour, device_code_interval=0))  # type: ignore[arg-type]
        server = start_server(emulator)
        _SHARED[flavour] = server

        def stop() -> None:
            _SHARED.pop(flavour, None)
            server.stop()
            emulator.close()

        config.add_cleanup(stop)
    return _SHARED[flavour]


class RecordingTransport(httpx.AsyncBaseTransport):
    """Real TLS to the emulator, keeping every request (headers too) and able to corrupt bytes.

    ``corrupt_upload`` flips a byte in the next fragment sent to an upload URL;
    ``corrupt_download`` flips one in the next body read from a download URL.
    """

    def __init__(self, server: RunningServer) -> None:
        ctx = ssl.create_default_context(cafile=str(server.ca_bundle))
        self.inner = httpx.AsyncHTTPTransport(verify=ctx)
        self.requests: list[httpx.Request] = []
        self.corrupt_upload = False
        self.corrupt_download = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.corrupt_upload and request.method == "PUT" and "/up/" in request.url.path:
            self.corrupt_upload = False
            body = bytearray(await request.aread())
            body[len(body) // 2] ^= 0xFF
            request = httpx.Request(
                request.method, request.url, headers=request.headers, content=bytes(body)
            )
        self.requests.append(request)
        response = await self.inner.handle_async_request(request)
        if self.corrupt_download and request.method == "GET" and "/dl/" in request.url.path:
            self.corrupt_download = False
            return httpx.Response(
                response.status_code,
                headers=response.headers,
                stream=_Flipped(response.stream),
                extensions=response.extensions,
            )
        return response

    def sent(self, method: str, fragment: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.method == method and fragment in str(r.url)]

    async def aclose(self) -> None:
        await self.inner.aclose()


class _Flipped(httpx.AsyncByteStream):
    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.done = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self.inner:
            if chunk and not self.done:
                self.done = True
                chunk = bytes([chunk[0] ^ 0xFF]) + chunk[1:]
            yield chunk

    async def aclose(self) -> None:
        await self.inner.aclose()


class EmulatorTokens:
    """A ``TokenProvider``: tokens minted by the emulator, refreshed over TLS with the
    refresh-token grant at its token endpoint (as msal would)."""

    def __init__(self, server: RunningServer) -> None:
        self.server = server
        body = server.emulator.issue_tokens(client_id=CLIENT_ID, base_url=server.base_url)
        self.access = str(body["access_token"])
        self.refresh = str(body["refresh_token"])
        self.refreshes = 0
        self.handed_out = 0

    async def access_token(self, *, force_refresh: bool = False) -> str:
        if force_refresh:
            ctx = ssl.create_default_context(cafile=str(self.server.ca_bundle))
            async with httpx.AsyncClient(verify=ctx) as client:
                response = await client.post(
                    f"{self.server.authority}/oauth2/v2.0/token",
                    data={
                        "grant_type": "refresh_token",
                        "client_id": CLIENT_ID,
                        "refresh_token": self.refresh,
                        "scope": "Files.ReadWrite.All offline_access openid profile",
                    },
                )
            response.raise_for_status()
            body = response.json()
            self.access = body["access_token"]
            self.refresh = body.get("refresh_token", self.refresh)
            self.refreshes += 1
        self.handed_out += 1
        return self.access


@dataclass
class World:
    """A backend on the emulator, with the scratch folder its test may fill."""

    server: RunningServer
    backend: OneDriveBackend
    tokens: EmulatorTokens
    root: str
    flavour: str
    transport: Any
    extra: list[OneDriveBackend] = field(default_factory=list)

    @property
    def emulator(self) -> Emulator:
        return self.server.emulator

    async def reopen(self, **options: Any) -> OneDriveBackend:
        """Another backend on the same drive (a new process, say); closed with the world.

        It shares the world's recording transport unless ``transport`` is given."""
        options.setdefault("transport", self.transport)
        backend = make_backend(self.server, self.flavour, tokens=self.tokens, **options)
        self.extra.append(backend)
        return backend


def make_backend(
    server: RunningServer,
    flavour: str,
    *,
    tokens: EmulatorTokens | None = None,
    pacer: Pacer | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    **options: Any,
) -> OneDriveBackend:
    emulator = server.emulator
    opts: dict[str, Any] = {
        "client_id": CLIENT_ID,
        "graph_url": server.graph_url,
        "authority": server.authority,
        "ca_bundle": str(server.ca_bundle),
        "drive_id": emulator.drive_id,
        "drive_type": emulator.drive.drive_type,
    }
    opts.update(options)
    return OneDriveBackend(
        f"od-{flavour}",
        opts,
        tokens or EmulatorTokens(server),
        pacer=pacer or Pacer(min_sleep=0.0),
        http=make_http_client(transport=transport) if transport is not None else None,
    )


@contextlib.asynccontextmanager
async def world(
    config: pytest.Config,
    flavour: str,
    *,
    pacer: Pacer | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    **options: Any,
) -> AsyncIterator[World]:
    server = shared_server(flavour, config)
    tokens = EmulatorTokens(server)
    transport = transport or RecordingTransport(server)
    backend = make_backend(
        server, flavour, tokens=tokens, pacer=pacer, transport=transport, **options
    )
    root = f"/t-{uuid.uuid4().hex[:12]}"
    await backend.mkdir(root)
    try:
        w = World(server, backend, tokens, root, flavour, transport)
        yield w
    finally:
        server.emulator.faults.reset()
        await backend.close()
        for other in w.extra:
            await other.close()


def conformance_factory(flavour: str) -> Any:
    """A ``tests/conformance`` factory: (backend, scratch folder) on the shared emulator."""

    @contextlib.asynccontextmanager
    async def factory(tmp_path: Any, request: Any) -> AsyncIterator[tuple[OneDriveBackend, str]]:
        async with world(request.config, flavour) as w:
            yield w.backend, w.root

    return factory
