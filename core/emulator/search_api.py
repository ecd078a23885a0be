"""The Microsoft Search API for drive items, ``POST /search/query`` (GRAPH-second-wave.md §1.4).

Work and school accounts only. The emulator answers every query with the drive items the
user can reach: their own drive and what others shared with them (with everything inside
shared folders), filtered by the words of ``queryString`` that are not KQL property terms.
Hits are partial driveItems (no ``parentReference.path``), paged by ``from``/``size``.
"""

from __future__ import annotations

import re

from starlette.responses import Response

from .context import Ctx, json_response
from .errors import bad_request
from .model import Item
from .render import iso
from .sharing import shared_items

#: KQL property restrictions and operators: not matched against names here.
_KQL = re.compile(r"\w+:(\"[^\"]*\"|\S+)|\b(AND|OR|NOT)\b|[()]")
MAX_SIZE = 500


def _resource(ctx: Ctx, item: Item) -> dict[str, object]:
    ref: dict[str, object] = {
        "driveId": item.drive.id,
        "id": item.parent.id if item.parent else None,
    }
    if item.drive.site_id is not None:
        ref["siteId"] = item.drive.site_id
    body: dict[str, object] = {
        "@odata.type": "#microsoft.graph.driveItem",
        "id": item.id,
        "name": item.name,
        "size": item.size,
        "webUrl": ctx.render.web_url(item),
        "createdBy": ctx.render.identity(item.created_by),
        "lastModifiedDateTime": iso(item.modified_ms),
        "fileSystemInfo": {"lastModifiedDateTime": iso(item.fs_modified_ms)},
        "parentReference": ref,
    }
    if item.kind == "file":
        body["file"] = {"mimeType": item.mime or "application/octet-stream"}
    elif item.children is not None:
        body["folder"] = {"childCount": len(item.children)}
    return body


async def search_query(ctx: Ctx) -> Response:
    if ctx.store.flavour != "business":
        raise bad_request("The Search API is not available for personal Microsoft accounts")
    body = await ctx.json()
    requests = body.get("requests")
    if not isinstance(requests, list) or len(requests) != 1 or not isinstance(requests[0], dict):
        raise bad_request("Exactly one search request is supported")
    request = requests[0]
    if request.get("entityTypes") != ["driveItem"]:
        raise bad_request("Only the driveItem entity type is emulated")
    query = request.get("query") or {}
    text = str(query.get("queryString") or "") if isinstance(query, dict) else ""
    words = [w.casefold() for w in _KQL.sub(" ", text).split()]
    start = int(request.get("from") or 0)
    size = min(int(request.get("size") or 25), MAX_SIZE)
    if start < 0 or size <= 0:
        raise bad_request("from and size must be positive")
    with ctx.emulator.lock:
        mine = ctx.emulator.drive_of(ctx.user)
        reachable: list[Item] = [i for i in ctx.store.walk(mine.root) if i is not mine.root]
        for shared in shared_items(ctx.store, mine.id):
            reachable.extend(ctx.store.walk(shared))
        found = [i for i in reachable if all(w in i.name.casefold() for w in words)]
        page = found[start : start + size]
        hits = [
            {"hitId": i.id, "rank": start + n + 1, "summary": "", "resource": _resource(ctx, i)}
            for n, i in enumerate(page)
        ]
    container = {
        "hits": hits,
        "total": len(found),
        "moreResultsAvailable": start + size < len(found),
    }
    return json_response({"value": [{"searchTerms": words, "hitsContainers": [container]}]})
