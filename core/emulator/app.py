"""The ASGI application: identity routes, Graph routes, pre-authenticated URLs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from .downloads import download_content
from .faults import FaultMiddleware
from .graph import graph_endpoint
from .identity_routes import base_url, identity_routes

if TYPE_CHECKING:
    from .emulator import Emulator

_ALL = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]


async def home(request: Request) -> Response:
    base = base_url(request)
    return HTMLResponse(
        "<!doctype html><title>skypane emulator</title><h1>skypane Graph emulator</h1>"
        f"<ul><li>Graph: {base}/v1.0</li><li>Authority: {base}/common</li>"
        f"<li><a href='/devicelogin'>Sign in a device</a></li></ul>"
    )


def create_app(emulator: Emulator) -> Starlette:
    """The emulator as a Starlette app (wrapped in fault injection and the request log)."""
    from .copying import monitor
    from .uploads import upload_session_endpoint

    routes = [
        Route("/", home),
        Route("/v1.0/{rest:path}", graph_endpoint, methods=_ALL),
        Route("/beta/{rest:path}", graph_endpoint, methods=_ALL),
        Route("/dl/{drive}/{item}/{blob}", download_content, methods=["GET", "HEAD"]),
        Route("/up/{session}", upload_session_endpoint, methods=["GET", "PUT", "POST", "DELETE"]),
        Route("/monitor/{job}", monitor, methods=["GET"]),
        *identity_routes(emulator),
    ]
    app = Starlette(routes=routes)
    app.state.emulator = emulator
    app.add_middleware(
        FaultMiddleware, faults=emulator.faults, log=emulator.requests, clock=emulator.clock
    )
    return app
