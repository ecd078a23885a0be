"""driveItem handlers: get, children (paged), create folder, update, delete, download, PUT."""

from __future__ import annotations

import base64
import bisect
from typing import Any

from starlette.requests import ClientDisconnect
from starlette.responses import RedirectResponse, Response

from .blobs import Blob
from .context import Ctx, json_response
from .errors import GraphError, bad_request, not_found
from .model import Item
from .render import parse_iso
from .rewrite import library_blob
from .routing import Target

#: Simple uploads (PUT /content) are limited to 250 MiB.
SIMPLE_UPLOAD_LIMIT = 250 * 1024 * 1024


def _encode_token(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _decode_token(token: str) -> str:
    try:
        return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        raise bad_request("The skip token is not valid") from None


async def get_item(ctx: Ctx) -> Response:
    item = ctx.target.existing()
    if ctx.not_modified(item):
        return Response(status_code=304)
    children = None
    expand = ctx.query("expand") or ""
    if "children" in expand and item.children is not None:
        with ctx.emulator.lock:
            keys = item.child_keys()[:200]
            children = [ctx.render.item(item.children[k]) for k, _ in keys]
    return json_response(ctx.render.item(item, ctx.select(), children=children))


def _ordered_children(ctx: Ctx, folder: Item) -> tuple[list[Item], int, str | None]:
    """One page of children and the skip token of the next page (None on the last)."""
    assert folder.children is not None
    top = ctx.top()
    token = ctx.query("skiptoken")
    orderby = (ctx.query("orderby") or "name").strip().split()
    field = orderby[0] if orderby else "name"
    descending = len(orderby) > 1 and orderby[1].lower() == "desc"
    if ctx.store.flavour == "business" and field != "name":
        field = "name"  # Business honours only name
    if field == "name" and not descending:
        keys = folder.child_keys()
        start = 0
        if token:
            decoded = _decode_token(token)
            if not decoded.startswith("k:"):
                raise bad_request("The skip token is not valid")
            key, _, item_id = decoded[2:].partition("\x00")
            start = bisect.bisect_right(keys, (key, item_id))
        page = [folder.children[k] for k, _ in keys[start : start + top]]
        more = start + top < len(keys)
        next_token = (
            _encode_token(f"k:{keys[start + top - 1][0]}\x00{keys[start + top - 1][1]}")
            if more
            else None
        )
        return page, len(keys), next_token
    if field not in ("name", "size", "lastModifiedDateTime"):
        raise bad_request(f"Ordering by '{field}' is not supported")
    sort_keys: dict[str, Any] = {
        "name": lambda i: i.name.casefold(),
        "size": lambda i: i.size,
        "lastModifiedDateTime": lambda i: i.modified_ms,
    }
    everything = sorted(folder.children.values(), key=sort_keys[field], reverse=descending)
    offset = 0
    if token:
        decoded = _decode_token(token)
        if not decoded.startswith("o:"):
            raise bad_request("The skip token is not valid")
        offset = int(decoded[2:])
    page = everything[offset : offset + top]
    more = offset + top < len(everything)
    return page, len(everything), _encode_token(f"o:{offset + top}") if more else None


async def list_children(ctx: Ctx) -> Response:
    folder = ctx.target.existing()
    ctx.require_container(folder)
    select = ctx.select()
    with ctx.emulator.lock:
        page, _, next_token = _ordered_children(ctx, folder)
        body: dict[str, object] = {"value": [ctx.render.item(i, select) for i in page]}
    if next_token is not None:
        body["@odata.nextLink"] = ctx.next_link(skiptoken=next_token)
    return json_response(body)


async def create_child(ctx: Ctx) -> Response:
    folder = ctx.target.existing()
    body = await ctx.json()
    name = body.get("name")
    if not isinstance(name, str) or not name:
        raise bad_request("A name is required")
    if "folder" not in body:
        raise bad_request("Only folders can be created this way: send a 'folder' facet")
    behaviour = ctx.conflict_behaviour(body, "fail")
    with ctx.emulator.lock:
        ctx.require_container(folder)
        created = ctx.store.create_folder(folder, name, behaviour, ctx.user.id)
        return json_response(ctx.render.item(created), 201)


def _resolve_parent_reference(ctx: Ctx, item: Item, reference: object) -> Item:
    if not isinstance(reference, dict):
        raise bad_request("parentReference must be an object")
    drive = item.drive
    drive_id = reference.get("driveId")
    if drive_id is not None and str(drive_id).lower() != drive.id.lower():
        raise bad_request("Moving items between drives is not supported")
    if "id" in reference:
        parent_id = str(reference["id"])
        if parent_id == "root":
            raise bad_request("parentReference.id must be an item id ('root' is not one)")
        parent = drive.items.get(parent_id)
        if parent is None or parent.trashed:
            raise not_found("The destination folder does not exist")
    elif "path" in reference:
        path = str(reference["path"])
        relative = path.split(":", 1)[1] if ":" in path else path
        from urllib.parse import unquote

        parent = ctx.store.resolve(drive.root, unquote(relative))
    else:
        raise bad_request("parentReference needs an id or a path")
    if parent.children is None:
        raise bad_request("The destination is not a folder")
    return parent


def _times(info: object) -> tuple[int | None, int | None]:
    if info is None:
        return None, None
    if not isinstance(info, dict):
        raise bad_request("fileSystemInfo must be an object")
    try:
        created = info.get("createdDateTime")
        modified = info.get("lastModifiedDateTime")
        return (
            parse_iso(str(created)) if created else None,
            parse_iso(str(modified)) if modified else None,
        )
    except ValueError:
        raise bad_request("fileSystemInfo holds an invalid timestamp") from None


async def update_item(ctx: Ctx) -> Response:
    item = ctx.target.existing()
    body = await ctx.json()
    behaviour = ctx.conflict_behaviour(body, "fail")
    created, modified = _times(body.get("fileSystemInfo"))
    with ctx.emulator.lock:
        ctx.check_if_match(item)
        name = body.get("name", item.name)
        if not isinstance(name, str):
            raise bad_request("name must be a string")
        parent = item.parent
        if "parentReference" in body:
            parent = _resolve_parent_reference(ctx, item, body["parentReference"])
        if parent is not None and (parent is not item.parent or name != item.name):
            ctx.store.move(item, parent, name, behaviour, ctx.user.id)
        elif item.parent is None and ("name" in body or "parentReference" in body):
            raise bad_request("The root can't be renamed or moved")
        if created is not None or modified is not None:
            ctx.store.set_file_times(item, created, modified, ctx.user.id)
        if "description" in body:
            item.description = None if body["description"] is None else str(body["description"])
            ctx.store._changed(item)
        return json_response(ctx.render.item(item))


async def delete_item(ctx: Ctx) -> Response:
    item = ctx.target.existing()
    with ctx.emulator.lock:
        ctx.check_if_match(item)
        ctx.store.trash(item)
    return Response(status_code=204)


async def permanent_delete(ctx: Ctx) -> Response:
    item = ctx.target.existing()
    with ctx.emulator.lock:
        ctx.check_if_match(item)
        if item.parent is None:
            raise GraphError(403, "accessDenied", "The root can't be deleted")
        ctx.store.permanent_delete(item)
    return Response(status_code=204)


async def download(ctx: Ctx) -> Response:
    item = ctx.target.existing()
    if ctx.not_modified(item):
        return Response(status_code=304)
    if item.kind != "file" or item.current is None:
        raise bad_request("Only files have content")
    return RedirectResponse(ctx.render.download_url(item, item.current), status_code=302)


async def upload_simple(ctx: Ctx) -> Response:
    target = ctx.target
    declared = ctx.request.headers.get("content-length")
    if declared is not None and int(declared) > SIMPLE_UPLOAD_LIMIT:
        raise GraphError(
            413,
            "invalidRequest",
            "Simple uploads are limited to 250 MiB; use an upload session",
            inner="maxFileSizeExceeded",
        )
    behaviour = ctx.conflict_behaviour(None, "replace")
    with ctx.emulator.lock:
        if target.item is not None:
            ctx.check_if_match(target.item)
            if target.item.kind != "file":
                raise GraphError(409, "nameAlreadyExists", "A folder has that name")
        _check_new_file_target(ctx, target)
    writer = ctx.emulator.blobs.writer(ctx.store.flavour == "personal")
    try:
        async for chunk in ctx.request.stream():
            writer.write(chunk)
            if writer.size > SIMPLE_UPLOAD_LIMIT:
                raise GraphError(
                    413,
                    "invalidRequest",
                    "Simple uploads are limited to 250 MiB",
                    inner="maxFileSizeExceeded",
                )
        blob = writer.finish()
    except (ClientDisconnect, GraphError):
        writer.discard()
        raise
    home = target.item or target.parent
    if home is not None:
        name = target.item.name if target.item is not None else target.name or ""
        blob = library_blob(
            ctx.emulator.blobs, home.drive, name, blob, ctx.store.flavour == "personal"
        )
    with ctx.emulator.lock:
        try:
            item, created = _store_content(ctx, target, blob, behaviour)
        finally:
            ctx.emulator.blobs.drop_if_unused(blob)
        return json_response(ctx.render.item(item), 201 if created else 200)


def _check_new_file_target(ctx: Ctx, target: Target) -> None:
    if target.item is None and target.parent is None:
        raise not_found()
    if target.item is not None and target.item.parent is None:
        raise bad_request("The root has no content")


def _store_content(
    ctx: Ctx,
    target: Target,
    blob: Blob,
    behaviour: str,
    *,
    fs_created: int | None = None,
    fs_modified: int | None = None,
    description: str | None = None,
) -> tuple[Item, bool]:
    """Write ``blob`` where ``target`` points: a new file, or a new version of one.

    An item addressed by id gets a new version; a path goes through the conflict rules.
    """
    store = ctx.store
    item = target.item
    if item is not None and item.parent is None:
        raise bad_request("The root has no content")
    if item is not None and not target.by_path:
        if item.kind != "file":
            raise bad_request("Only files have content")
        store.new_version(item, blob, ctx.user.id, fs_created, fs_modified)
        if description is not None:
            item.description = description
        return item, False
    parent = item.parent if item is not None else target.parent
    name = item.name if item is not None else target.name
    if parent is None or name is None or parent.trashed:
        raise not_found()
    return store.write_file(
        parent,
        name,
        blob,
        behaviour,
        ctx.user.id,
        fs_created_ms=fs_created,
        fs_modified_ms=fs_modified,
        description=description,
    )
