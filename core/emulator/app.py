"""The ASGI application: identity and Graph routes on one origin, pre-authenticated URLs on
another (see ``origins.py``)."""

from __future__ import annotations

import asyncio
import threading
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from .downloads import download_content
from .faults import FaultMiddleware
from .graph import graph_endpoint
from .identity_routes import base_url, identity_routes
from .origins import IN_PROCESS_FILES_PORT, Origins, files_base

if TYPE_CHECKING:
    from .emulator import Emulator

_ALL = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]


async def home(request: Request) -> Response:
    base = base_url(request)
    return HTMLResponse(
        "<!doctype html><title>skypane emulator</title><h1>skypane Graph emulator</h1>"
        f"<ul><li>Graph: {base}/v1.0</li><li>Authority: {base}/common</li>"
        f"<li>Pre-authenticated URLs: {files_base(request)}</li>"
        f"<li><a href='/devicelogin'>Sign in a device</a></li></ul>"
    )


def create_app(emulator: Emulator, *, files_port: int | None = None) -> ASGIApp:
    """The emulator as an ASGI app (wrapped in fault injection and the request log).

    ``files_port`` is the port of the files origin (a second listener over TLS); in-process
    it defaults to :data:`~core.emulator.origins.IN_PROCESS_FILES_PORT`.
    """
    from .copying import monitor
    from .uploads import upload_session_endpoint

    port = IN_PROCESS_FILES_PORT if files_port is None else files_port
    graph = Starlette(
        routes=[
            Route("/", home),
            Route("/v1.0/{rest:path}", graph_endpoint, methods=_ALL),
            Route("/beta/{rest:path}", graph_endpoint, methods=_ALL),
            *identity_routes(emulator),
        ]
    )
    files = Starlette(
        routes=[
            Route("/dl/{drive}/{item}/{blob}", download_content, methods=["GET", "HEAD"]),
            Route(
                "/up/{session}", upload_session_endpoint, methods=["GET", "PUT", "POST", "DELETE"]
            ),
            Route("/monitor/{job}", monitor, methods=["GET"]),
        ]
    )
    for app in (graph, files):
        app.state.emulator = emulator
        app.state.files_port = port
    served = FaultMiddleware(
        Origins(graph, files, port),
        faults=emulator.faults,
        log=emulator.requests,
        clock=emulator.clock,
    )
    return served if emulator.loaded.is_set() else AfterLoading(served, emulator.loaded)


#: Paths that need the drives (Graph, and every pre-authenticated URL); sign-in does not.
DRIVE_PATHS = ("/v1.0/", "/beta/", "/dl/", "/up/", "/monitor/")


class AfterLoading:
    """Requests for a drive wait until the emulator's drives are loaded; sign-in is served
    at once (an emulator made with ``load_later``)."""

    def __init__(self, app: ASGIApp, loaded: threading.Event) -> None:
        self.app = app
        self.loaded = loaded

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and str(scope["path"]).startswith(DRIVE_PATHS):
            while not self.loaded.is_set():
                await asyncio.sleep(0.01)
        await self.app(scope, receive, send)
