"""The Graph endpoint: authenticate, parse the URL, dispatch to a handler, render errors."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from . import copying, items, recycle, search, search_api, sharing, sites, uploads, versions
from .auth import authenticate
from .context import Ctx, Handler, json_response
from .errors import GraphError, bad_request, error_response
from .identity_routes import base_url
from .origins import files_base
from .render import Renderer
from .routing import Target, parse, resolve_children_literal

if TYPE_CHECKING:
    from .emulator import Emulator


async def _permissions(ctx: Ctx) -> Response:
    depth = len(ctx.target.action)
    if depth == 1 and ctx.method == "GET":
        return await sharing.list_permissions(ctx)
    if depth == 2 and ctx.method == "GET":
        return await sharing.get_permission(ctx)
    if depth == 2 and ctx.method == "DELETE":
        return await sharing.delete_permission(ctx)
    raise GraphError(405, "invalidRequest", f"{ctx.method} is not supported here")


async def _empty_list(ctx: Ctx) -> Response:
    return json_response({"value": []})


#: (method, first action segment) → handler, for targets that are items.
ITEM_ROUTES: dict[tuple[str, str], Handler] = {
    ("GET", ""): items.get_item,
    ("PATCH", ""): items.update_item,
    ("DELETE", ""): items.delete_item,
    ("GET", "children"): items.list_children,
    ("POST", "children"): items.create_child,
    ("GET", "content"): items.download,
    ("PUT", "content"): items.upload_simple,
    ("POST", "permanentDelete"): items.permanent_delete,
    ("PUT", ""): uploads.commit_from_source,
    ("POST", "createUploadSession"): uploads.create_upload_session,
    ("POST", "copy"): copying.copy_item,
    ("POST", "createLink"): sharing.create_link,
    ("GET", "permissions"): _permissions,
    ("DELETE", "permissions"): _permissions,
    ("GET", "versions"): versions.versions_dispatch,
    ("POST", "versions"): versions.versions_dispatch,
    ("DELETE", "versions"): versions.versions_dispatch,
    ("GET", "search"): search.search,
    ("GET", "delta"): search.delta,
    ("GET", "thumbnails"): _empty_list,
    ("POST", "restore"): recycle.restore_item,
}

#: (method, first action segment) → handler, for targets that are drives.
DRIVE_ROUTES: dict[tuple[str, str], Handler] = {}

#: (method, target kind) → handler, for the other targets (me, drives, sites…).
OTHER_ROUTES: dict[tuple[str, str], Handler] = {}

_MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


async def get_drive(ctx: Ctx) -> Response:
    assert ctx.target.drive is not None
    with ctx.emulator.lock:
        return json_response(ctx.render.drive(ctx.target.drive))


async def get_me(ctx: Ctx) -> Response:
    return json_response(ctx.render.user(ctx.user))


async def list_drives(ctx: Ctx) -> Response:
    store = ctx.store
    with ctx.emulator.lock:
        if ctx.target.site_id is not None:
            ids = store.sites[ctx.target.site_id].drive_ids
            drives = [store.drives[i] for i in ids]
        else:
            owner_id = ctx.target.name or ctx.user.id
            drives = [
                d for d in store.drives.values() if d.owner.id == owner_id and d.site_id is None
            ]
        return json_response({"value": [ctx.render.drive(d) for d in drives]})


DRIVE_ROUTES[("GET", "")] = get_drive
DRIVE_ROUTES[("GET", "sharedWithMe")] = sharing.shared_with_me
DRIVE_ROUTES[("GET", "search")] = search.search
DRIVE_ROUTES[("GET", "recent")] = _empty_list
OTHER_ROUTES[("GET", "me")] = get_me
OTHER_ROUTES[("GET", "drives")] = list_drives
OTHER_ROUTES[("GET", "sites")] = sites.search_sites
OTHER_ROUTES[("GET", "site")] = sites.get_site
OTHER_ROUTES[("GET", "recyclebin")] = recycle.site_recycle_bin
OTHER_ROUTES[("POST", "searchquery")] = search_api.search_query
OTHER_ROUTES[("POST", "recyclebin")] = recycle.site_recycle_bin


def _choose(target: Target, method: str) -> Handler:
    key = target.action[0] if target.action else ""
    if target.search is not None:
        key = "search"
    if target.kind == "item":
        table = ITEM_ROUTES
    elif target.kind == "drive":
        table = DRIVE_ROUTES
    else:
        handler = OTHER_ROUTES.get((method, target.kind))
        if handler is None:
            raise GraphError(405, "invalidRequest", f"{method} is not supported here")
        return handler
    handler = table.get((method, key))
    if handler is None:
        if any(k == key for _, k in table):
            raise GraphError(405, "invalidRequest", f"{method} is not supported here")
        raise bad_request(f"Unsupported segment '{key}'")
    return handler


async def graph_endpoint(request: Request) -> Response:
    emulator: Emulator = request.app.state.emulator
    client_request_id = request.headers.get("client-request-id")
    raw_path = request.scope.get("raw_path", b"").decode("latin-1") or request.url.path
    version_prefix = "/v1.0" if raw_path.startswith("/v1.0") else "/beta"
    try:
        user = authenticate(emulator, request)
        with emulator.lock:
            my_drive = emulator.drive_of(user)
            target = parse(emulator.store, user, my_drive, raw_path[len(version_prefix) :])
            resolve_children_literal(target, request.query_params)
        handler = _choose(target, request.method)
        base = base_url(request)
        files = files_base(request)
        ctx = Ctx(
            emulator=emulator,
            request=request,
            user=user,
            target=target,
            render=Renderer(
                emulator.store, files, my_drive, emulator, emulator.config.download_url_lifetime
            ),
            base=base,
            raw_path=raw_path,
            files=files,
        )
        response = await handler(ctx)
    except GraphError as error:
        response = error_response(error, client_request_id)
    except ClientDisconnect:
        # The client went away mid-body; nobody reads this answer (499 as nginx logs it).
        return Response(status_code=499)
    if request.method in _MUTATING:
        emulator.after_change()
    response.headers.setdefault("request-id", str(uuid.uuid4()))
    if client_request_id:
        response.headers["client-request-id"] = client_request_id
    return response
