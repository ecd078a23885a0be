"""Recycle bins (GRAPH-second-wave.md §3).

* SharePoint sites: ``GET /sites/{id}/recycleBin/items`` lists ``recycleBinItem``s (v1.0);
  ``POST …/items/restore`` (``207`` + a result per id) and ``POST …/items/delete`` (``204``)
  take ``{"ids": […]}``, the shape Graph documents for SharePoint Embedded containers.
* OneDrive Personal: ``POST /drives/{d}/items/{id}/restore`` only (no listing);
  work/school accounts get ``400`` there.
"""

from __future__ import annotations

from starlette.responses import Response

from .context import Ctx, json_response
from .errors import GraphError, bad_request
from .model import Drive, Item
from .names import fold
from .render import iso


def _bin_id(item: Item) -> str:
    h = item.guid
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def _site_drives(ctx: Ctx) -> list[Drive]:
    if ctx.store.flavour != "business":
        raise bad_request("Sites are not available for personal Microsoft accounts")
    assert ctx.target.site_id is not None
    site = ctx.store.sites[ctx.target.site_id]
    return [ctx.store.drives[d] for d in site.drive_ids]


def _binned(drives: list[Drive]) -> dict[str, Item]:
    return {
        _bin_id(i): i
        for d in drives
        for i in d.items.values()
        if i.trashed and i.deleted_ms and i.parent is not None
    }


def _location(item: Item) -> str:
    """The original folder as a relative URL: ``Shared Documents/folder1``."""
    assert item.parent is not None
    library = item.drive.web_url.rstrip("/").rsplit("/", 1)[-1].replace("%20", " ")
    above = item.parent.path()
    return f"{library}/{above}" if above else library


async def _ids(ctx: Ctx) -> list[str]:
    body = await ctx.json()
    ids = body.get("ids")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        raise bad_request("ids must be a non-empty list of recycle bin item ids")
    return ids


async def site_recycle_bin(ctx: Ctx) -> Response:
    action = ctx.target.action
    if ctx.method == "GET" and not action:
        with ctx.emulator.lock:
            items = sorted(_binned(_site_drives(ctx)).items(), key=lambda kv: -kv[1].deleted_ms)
            values = [
                {
                    "id": bin_id,
                    "name": item.name,
                    "size": ctx.store.stored_bytes(item),
                    "deletedDateTime": iso(item.deleted_ms),
                    "deletedFromLocation": _location(item),
                }
                for bin_id, item in items
            ]
        return json_response({"value": values})
    if ctx.method == "POST" and action == ["restore"]:
        ids = await _ids(ctx)
        results: list[dict[str, object]] = []
        with ctx.emulator.lock:
            binned = _binned(_site_drives(ctx))
            for bin_id in ids:
                item = binned.get(bin_id)
                try:
                    if item is None:
                        raise GraphError(404, "itemNotFound", "Not in the recycle bin")
                    ctx.store.restore(item)
                    results.append({"id": bin_id})
                except GraphError as error:
                    results.append(
                        {"id": bin_id, "error": {"code": error.code, "message": error.message}}
                    )
        return json_response({"value": results}, 207)
    if ctx.method == "POST" and action == ["delete"]:
        ids = await _ids(ctx)
        with ctx.emulator.lock:
            binned = _binned(_site_drives(ctx))
            for bin_id in ids:
                item = binned.get(bin_id)
                if item is not None and item.id in item.drive.items:
                    ctx.store.permanent_delete(item)
        return Response(status_code=204)
    raise GraphError(405, "invalidRequest", f"{ctx.method} is not supported here")


async def restore_item(ctx: Ctx) -> Response:
    """POST …/items/{id}/restore: OneDrive Personal only."""
    if ctx.store.flavour != "personal":
        raise GraphError(
            400, "invalidRequest", "Restore is supported only on OneDrive Personal drives"
        )
    item = ctx.target.existing()
    body = await ctx.json()
    with ctx.emulator.lock:
        parent = None
        ref = body.get("parentReference")
        if isinstance(ref, dict) and ref.get("id"):
            parent = item.drive.items.get(str(ref["id"]))
            if parent is None or parent.trashed:
                raise GraphError(404, "itemNotFound", "The target folder does not exist")
        name = body.get("name")
        if name is not None and (not isinstance(name, str) or not fold(name)):
            raise bad_request("name must be a non-empty string")
        ctx.store.restore(item, parent, name)
        return json_response(ctx.render.item(item))
