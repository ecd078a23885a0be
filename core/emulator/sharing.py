"""Sharing links, permissions and sharedWithMe (GRAPH.md §9, §11.4)."""

from __future__ import annotations

import secrets

from starlette.responses import Response

from .context import Ctx, json_response
from .errors import GraphError, bad_request
from .model import Item, Permission, User
from .render import iso, parse_iso
from .store import Store

_TYPES = ("view", "edit", "embed")
_SCOPES = ("anonymous", "organization", "users")


def _link_url(store: Store, item: Item, kind: str, token: str) -> str:
    letter = "f" if item.children is not None else "u"
    if store.flavour == "personal":
        return f"https://1drv.ms/{letter}/s!{token}"
    login = item.drive.owner.email.replace("@", "_").replace(".", "_")
    return f"https://contoso-my.sharepoint.com/:{letter}:/g/personal/{login}/{token}"


async def create_link(ctx: Ctx) -> Response:
    """POST …/createLink: 201 with a new link, 200 with the existing one of that kind."""
    item = ctx.target.existing()
    body = await ctx.json()
    flavour = ctx.store.flavour
    kind = body.get("type")
    if kind not in _TYPES:
        raise bad_request("type must be view, edit or embed")
    scope = body.get("scope") or ("anonymous" if flavour == "personal" else "organization")
    if scope not in _SCOPES:
        raise bad_request("scope must be anonymous, organization or users")
    if kind == "embed" and flavour == "business":
        raise GraphError(400, "notSupported", "Embed links are only available on OneDrive Personal")
    if scope == "organization" and flavour == "personal":
        raise bad_request("Organization links are not available on OneDrive Personal")
    password = body.get("password")
    if password is not None and flavour == "business":
        raise bad_request("Link passwords are only available on OneDrive Personal")
    expiration = body.get("expirationDateTime")
    if expiration is not None:
        try:
            expires_ms = parse_iso(str(expiration))
        except ValueError:
            raise bad_request("expirationDateTime is not a valid timestamp") from None
        if expires_ms <= ctx.emulator.clock.now_ms():
            raise bad_request("expirationDateTime must be in the future")
        expiration = iso(expires_ms)
    with ctx.emulator.lock:
        links = item.permissions or []
        if password is None and expiration is None:
            for existing in links:
                if (existing.link_type, existing.scope) == (kind, scope) and (
                    existing.password is None and existing.expiration is None
                ):
                    return json_response(ctx.render.permission(existing, item), 200)
        token = secrets.token_urlsafe(12)
        permission = Permission(
            id=secrets.token_hex(8).upper(),
            roles=["write"] if kind == "edit" else ["read"],
            link_type=kind,
            scope=scope,
            web_url=_link_url(ctx.store, item, kind, token),
            password=None if password is None else str(password),
            expiration=expiration,
            application_id=getattr(ctx.request.state, "client_id", ""),
            created_ms=ctx.emulator.clock.now_ms(),
        )
        item.permissions = [*links, permission]
        ctx.store._changed(item)
        return json_response(ctx.render.permission(permission, item), 201)


def _owner_permission(item: Item) -> Permission:
    return Permission(id="owner", roles=["owner"], owner_id=item.drive.owner.id)


def _all_permissions(item: Item) -> list[Permission]:
    return [_owner_permission(item), *(item.permissions or [])]


async def list_permissions(ctx: Ctx) -> Response:
    item = ctx.target.existing()
    with ctx.emulator.lock:
        return json_response(
            {"value": [ctx.render.permission(p, item) for p in _all_permissions(item)]}
        )


def _find(item: Item, permission_id: str) -> Permission:
    for permission in _all_permissions(item):
        if permission.id == permission_id:
            return permission
    raise GraphError(404, "itemNotFound", "The permission does not exist")


async def get_permission(ctx: Ctx) -> Response:
    item = ctx.target.existing()
    with ctx.emulator.lock:
        return json_response(ctx.render.permission(_find(item, ctx.target.action[1]), item))


async def delete_permission(ctx: Ctx) -> Response:
    item = ctx.target.existing()
    with ctx.emulator.lock:
        permission = _find(item, ctx.target.action[1])
        if permission.id == "owner":
            raise GraphError(403, "accessDenied", "The owner's permission can't be removed")
        item.permissions = [p for p in item.permissions or [] if p is not permission]
        ctx.store._changed(item)
    return Response(status_code=204)


def share_with(store: Store, item: Item, user: User) -> Permission:
    """Give ``user`` access to ``item`` (it then appears in their sharedWithMe)."""
    permission = Permission(
        id=secrets.token_hex(8).upper(),
        roles=["write"],
        owner_id=user.id,
        created_ms=store.clock.now_ms(),
    )
    item.permissions = [*(item.permissions or []), permission]
    for drive in store.drives.values():
        if drive.owner is user and drive.site_id is None:
            drive.shared_with_me.append((item.drive.id, item.id))
            break
    store._changed(item)
    return permission


def unshare(store: Store, item: Item, user: User) -> None:
    """Remove ``user``'s access to ``item`` (it leaves their sharedWithMe and search)."""
    item.permissions = [p for p in item.permissions or [] if p.owner_id != user.id]
    for drive in store.drives.values():
        if drive.owner is user and drive.site_id is None:
            drive.shared_with_me = [
                s for s in drive.shared_with_me if s != (item.drive.id, item.id)
            ]
    store._changed(item)


def shared_items(store: Store, user_drive_id: str) -> list[Item]:
    """Items other drives share with the owner of ``user_drive_id`` that still exist."""
    drive = store.drives[user_drive_id]
    found: list[Item] = []
    for drive_id, item_id in drive.shared_with_me:
        other = store.drives.get(drive_id)
        item = other.items.get(item_id) if other else None
        if item is not None and not item.trashed:
            found.append(item)
    return found


async def shared_with_me(ctx: Ctx) -> Response:
    assert ctx.target.drive is not None
    with ctx.emulator.lock:
        items = shared_items(ctx.store, ctx.target.drive.id)
        return json_response({"value": [ctx.render.remote_item(i) for i in items]})
