"""File versions (GRAPH.md §10): list, get, content, restore, delete."""

from __future__ import annotations

from starlette.responses import RedirectResponse, Response

from .context import Ctx, json_response
from .errors import GraphError, bad_request
from .model import Item, Version


def _file(ctx: Ctx) -> Item:
    item = ctx.target.existing()
    if item.kind != "file" or not item.versions:
        raise bad_request("Only files have versions")
    return item


def _version(item: Item, version_id: str) -> Version:
    assert item.versions is not None
    for version in item.versions:
        if version.id == version_id or (version_id == "current" and version is item.versions[-1]):
            return version
    raise GraphError(404, "itemNotFound", "The version does not exist")


async def list_versions(ctx: Ctx) -> Response:
    """Newest first; the current version is the first entry."""
    item = _file(ctx)
    with ctx.emulator.lock:
        assert item.versions is not None
        return json_response({"value": [ctx.render.version(v) for v in reversed(item.versions)]})


async def get_version(ctx: Ctx) -> Response:
    item = _file(ctx)
    with ctx.emulator.lock:
        return json_response(ctx.render.version(_version(item, ctx.target.action[1])))


async def version_content(ctx: Ctx) -> Response:
    item = _file(ctx)
    with ctx.emulator.lock:
        version = _version(item, ctx.target.action[1])
        if item.versions and version is item.versions[-1]:
            raise bad_request("You cannot get the content of the current version")
        return RedirectResponse(ctx.render.download_url(item, version), status_code=302)


async def restore_version(ctx: Ctx) -> Response:
    """A new current version with the old content (204)."""
    item = _file(ctx)
    with ctx.emulator.lock:
        version = _version(item, ctx.target.action[1])
        ctx.store.new_version(item, version.blob, ctx.user.id)
    return Response(status_code=204)


async def delete_version(ctx: Ctx) -> Response:
    """Business deletes old versions; Personal has no such API (rclone docs)."""
    item = _file(ctx)
    if ctx.store.flavour == "personal":
        raise GraphError(405, "notSupported", "API not found")
    with ctx.emulator.lock:
        version = _version(item, ctx.target.action[1])
        if item.versions and version is item.versions[-1]:
            raise GraphError(403, "accessDenied", "The current version can't be deleted")
        ctx.store.delete_version(item, version)
    return Response(status_code=204)


async def versions_dispatch(ctx: Ctx) -> Response:
    """Routes …/versions[/{id}[/content|/restoreVersion]] by method and depth."""
    action, method = ctx.target.action, ctx.method
    if len(action) == 1 and method == "GET":
        return await list_versions(ctx)
    if len(action) == 2 and method == "GET":
        return await get_version(ctx)
    if len(action) == 2 and method == "DELETE":
        return await delete_version(ctx)
    if len(action) == 3 and action[2] == "content" and method == "GET":
        return await version_content(ctx)
    if len(action) == 3 and action[2] in ("restoreVersion", "restore") and method == "POST":
        return await restore_version(ctx)
    raise GraphError(405, "invalidRequest", f"{method} is not supported here")
