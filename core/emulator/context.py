"""What every Graph handler gets: the emulator, the request, the caller and the target."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote, urlencode

from starlette.requests import Request
from starlette.responses import Response

from .errors import GraphError, bad_request, precondition_failed
from .model import Item, User
from .render import DOWNLOAD_URL, Renderer
from .routing import Target
from .store import Store

if TYPE_CHECKING:
    from .emulator import Emulator

Handler = Callable[["Ctx"], Awaitable[Response]]

_CONFLICT_KEYS = ("@microsoft.graph.conflictBehavior", "@name.conflictBehavior")


def entity_tags(header: str) -> set[str]:
    """The tags of an If-Match / If-None-Match header (tags themselves contain commas)."""
    found = {t.removeprefix("W/") for t in re.findall(r'(?:W/)?"[^"]*"|\*', header)}
    return found or {header.strip()}


def json_response(
    body: object, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        json.dumps(body, separators=(",", ":")),
        status_code=status,
        headers=headers,
        media_type="application/json",
    )


@dataclass
class Ctx:
    emulator: Emulator
    request: Request
    user: User
    target: Target
    render: Renderer
    #: Scheme and authority of Graph as this client reached it.
    base: str
    raw_path: str
    #: Scheme and authority of the files origin (pre-authenticated URLs).
    files: str

    @property
    def store(self) -> Store:
        return self.emulator.store

    @property
    def method(self) -> str:
        return self.request.method

    def query(self, name: str) -> str | None:
        """An OData option, with or without its ``$``."""
        params = self.request.query_params
        value = params.get(f"${name}")
        return value if value is not None else params.get(name)

    def select(self, *, download_url: bool = True) -> list[str] | None:
        """The properties ``$select`` (or ``select``) names, None when it is absent.

        The download URL annotation, being no property, survives only the ``select=``
        spelling; with ``$select=`` Graph drops it, and Business gives it for
        ``content.downloadUrl`` (GRAPH-second-wave §5). ``download_url=False`` never keeps it.
        """
        params = self.request.query_params
        dollar = params.get("$select")
        value = dollar if dollar is not None else params.get("select")
        if not value:
            return None
        fields = [f.strip() for f in value.split(",") if f.strip()]
        wanted = download_url and (
            (dollar is None and DOWNLOAD_URL in fields)
            or (self.store.flavour == "business" and "content.downloadUrl" in fields)
        )
        return [f for f in fields if f != DOWNLOAD_URL] + ([DOWNLOAD_URL] if wanted else [])

    async def json(self) -> dict[str, Any]:
        raw = await self.request.body()
        if not raw.strip():
            return {}
        try:
            body = json.loads(raw)
        except ValueError:
            raise bad_request("The request body is not valid JSON") from None
        if not isinstance(body, dict):
            raise bad_request("The request body must be a JSON object")
        return body

    def conflict_behaviour(self, body: dict[str, Any] | None, default: str) -> str:
        """fail | replace | rename from the body annotation (either spelling) or the query."""
        value: object = None
        for key in _CONFLICT_KEYS:
            if body and key in body:
                value = body[key]
            if value is None:
                value = self.request.query_params.get(key)
        if value is None:
            return default
        text = str(value).lower()
        if text not in ("fail", "replace", "rename"):
            raise bad_request(f"Invalid conflictBehavior '{value}'")
        return text

    def top(self, default: int = 200, maximum: int = 1000) -> int:
        value = self.query("top")
        if value is None:
            return default
        try:
            top = int(value)
        except ValueError:
            raise bad_request("$top must be a number") from None
        if top < 1:
            raise bad_request("$top must be positive")
        return min(top, maximum)

    def next_link(self, **changes: str) -> str:
        """This request's URL with the given query options replaced (``$`` spelling)."""
        params = [
            (k, v)
            for k, v in parse_qsl(self.request.url.query, keep_blank_values=True)
            if k.lstrip("$") not in changes
        ]
        params += [(f"${k}" if k != "token" else k, v) for k, v in changes.items()]
        query = urlencode(params, quote_via=quote, safe="$'(),")
        return f"{self.base}{self.raw_path}?{query}"

    def check_if_match(self, item: Item) -> None:
        """412 when If-Match names neither the eTag nor the cTag of ``item``."""
        wanted = self.request.headers.get("if-match")
        if wanted is None or wanted.strip() == "*":
            return
        if not entity_tags(wanted) & {self.render.etag(item), self.render.ctag(item)}:
            raise precondition_failed()

    def not_modified(self, item: Item) -> bool:
        wanted = self.request.headers.get("if-none-match")
        if wanted is None:
            return False
        return bool(entity_tags(wanted) & {self.render.etag(item), self.render.ctag(item), "*"})

    def require_container(self, item: Item) -> None:
        if item.children is None:
            raise GraphError(400, "invalidRequest", "The item is not a folder")
