"""Two origins, as Graph has: the API itself, and a files host for pre-authenticated URLs.

Real OneDrive hands out download, upload-session and copy-monitor URLs on another host than
``graph.microsoft.com`` (the SharePoint tenant for Business, a files host for Personal). An
HTTP client keeps the ``Authorization`` header when it follows a redirect to the same origin
and drops it for another one, so serving those URLs from Graph's own origin would hide a
client that leaks its token there, and make a client that follows redirects the ordinary
way send its token to a URL that refuses it.

Over TLS the files origin is a second listener on the same address (same certificate, same
throwaway CA); in-process (``httpx.ASGITransport``) it is the same host name on
:data:`IN_PROCESS_FILES_PORT`. A request belongs to whichever origin its port says.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

#: Port of the files origin when the app is used in-process (no listener behind it: any
#: port other than Graph's makes it another origin to a client).
IN_PROCESS_FILES_PORT = 8444


def request_port(scope: Scope) -> int:
    """The port a request came to (the scheme's default when the URL named none)."""
    server = scope.get("server")
    port = server[1] if server else None
    if port is None:
        return 443 if scope.get("scheme") == "https" else 80
    return int(port)


def files_base(request: Request) -> str:
    """Scheme and authority of the files origin, for the host name this client used."""
    host = request.url.hostname or "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"{request.url.scheme}://{host}:{request.app.state.files_port}"


class Origins:
    """Hands each request to the Graph app or the files app by the port it came to."""

    def __init__(self, graph: ASGIApp, files: ASGIApp, files_port: int) -> None:
        self.graph = graph
        self.files = files
        self.files_port = files_port

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and request_port(scope) == self.files_port:
            await self.files(scope, receive, send)
        else:
            await self.graph(scope, receive, send)
