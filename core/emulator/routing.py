"""Parse Graph URLs: drive prefixes, ``root:/a/b:`` and ``items/{id}:/rel:`` addressing.

Parsing works on the raw (still percent-encoded) path so that an encoded ``:`` inside a
name can't be mistaken for the end of a path address. An encoded ``/`` inside one is a
separator, as on Graph (no OneDrive name holds a ``/``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import unquote

from .errors import GraphError, bad_request, not_found
from .model import Drive, Item, Site, User
from .names import check_path_length, fold
from .store import Store

_SEARCH = re.compile(r"^search\(q=(.*)\)$", re.DOTALL)
_CHILDREN = re.compile(r"^children\((.*)\)$", re.DOTALL)


@dataclass
class Target:
    """What a Graph URL addresses."""

    kind: str  # me | drives | drive | item | sites | site | user
    drive: Drive | None = None
    item: Item | None = None
    #: For a path that names a missing last segment: its parent and the name.
    parent: Item | None = None
    name: str | None = None
    #: The segments after the item/drive, decoded: ["children"], ["versions", "2.0"]…
    action: list[str] = field(default_factory=list)
    #: Whether the drive was addressed as /me/drive (affects parentReference.path).
    via_me: bool = False
    #: Whether the item was named by a path (``…:/name:``) rather than by id.
    by_path: bool = False
    site_id: str | None = None
    search: str | None = None

    def existing(self) -> Item:
        if self.item is None:
            raise not_found()
        return self.item


def odata_string(literal: str, where: str) -> str:
    """The value of an OData string literal: ``'…'`` with every ``'`` inside doubled.

    A lone ``'`` ends the literal early, so what follows is a syntax error (400), as on
    Graph; the position counts in ``where`` (the segment the literal came in).
    """
    if len(literal) >= 2 and literal[0] == literal[-1] == "'":
        inner, index = literal[1:-1], 0
        while index < len(inner):
            if inner[index] != "'":
                index += 1
            elif inner[index + 1 : index + 2] == "'":
                index += 2
            else:
                offset = where.find(literal) + 1 + index + 1
                character = where[offset] if 0 < offset < len(where) else "'"
                raise _syntax_error(character, offset, where)
        return inner.replace("''", "'")
    raise _syntax_error(literal[:1] or ")", max(0, where.find(literal)), where)


def _syntax_error(character: str, position: int, where: str) -> GraphError:
    return GraphError(
        400,
        "BadRequest",
        f"Syntax error: character '{character}' is not valid at position {position} in '{where}'.",
    )


def parse_search(segment: str) -> str | None:
    """The text of ``search(q='…')`` (None for another segment); 400 for a bad literal."""
    match = _SEARCH.match(segment)
    if match is None:
        return None
    text = odata_string(match.group(1), segment)
    if "/" in text:
        # Graph refuses a "/" in the query, even sent as %2F (GRAPH-second-wave §1.1).
        raise GraphError(400, "BadRequest", "The search text may not contain '/'.")
    return text


def _segments(raw: str) -> list[str]:
    return [unquote(s) for s in raw.split("/") if s]


def parse(store: Store, user: User, me_drive: Drive, raw_path: str) -> Target:
    """Resolve ``raw_path`` (the part after ``/v1.0``) against the store."""
    rest = raw_path.lstrip("/")
    head, _, tail = rest.partition("/")
    if head == "me":
        second, _, after = tail.partition("/")
        if second == "":
            return Target("me")
        if second == "drives" and not after:
            return Target("drives")
        if second == "drive":
            return _drive_rest(store, me_drive, after, via_me=True)
        raise bad_request(f"Unsupported segment '{second}' after /me")
    if head == "drives":
        drive_id, _, after = tail.partition("/")
        if not drive_id:
            raise bad_request("A drive id is required")
        drive = store.drive(unquote(drive_id))
        return _drive_rest(store, drive, after, via_me=drive is me_drive)
    if head == "users":
        user_id, _, after = tail.partition("/")
        owner = store.users.get(unquote(user_id)) or next(
            (u for u in store.users.values() if u.email.lower() == unquote(user_id).lower()), None
        )
        if owner is None:
            raise GraphError(404, "itemNotFound", "The user does not exist")
        drives = [d for d in store.drives.values() if d.owner is owner and d.site_id is None]
        second, _, after = after.partition("/")
        if second == "drives" and not after:
            return Target("drives", site_id=None, name=owner.id)
        if second == "drive" and drives:
            return _drive_rest(store, drives[0], after, via_me=drives[0] is me_drive)
        raise not_found()
    if head == "sites":
        return _site_rest(store, tail)
    if head == "search" and tail.strip("/") == "query":
        return Target("searchquery")
    raise bad_request(f"Resource not found for the segment '{unquote(head)}'")


def _site_rest(store: Store, tail: str) -> Target:
    if not tail:
        return Target("sites")
    # sites/{host}:/sites/{name}[:]/... addresses a site by its server-relative path.
    if ":" in tail.split("/", 1)[0]:
        host, _, rel = tail.partition(":")
        rel_path, colon, after = rel.partition(":")
        site = _site_by_path(store, unquote(host), unquote(rel_path))
        return _site_after(store, site.id, after if colon else "")
    site_ref, _, after = tail.partition("/")
    site_ref = unquote(site_ref)
    if site_ref == "root":
        site_ref = next(iter(store.sites), "")
    elif site_ref not in store.sites and "," not in site_ref:
        site_ref = _root_site_of(store, site_ref)  # /sites/{hostname}: that host's root site
    if site_ref not in store.sites:
        raise GraphError(404, "itemNotFound", "The site does not exist")
    return _site_after(store, site_ref, after)


def _root_site_of(store: Store, host: str) -> str:
    """The id of the root site of ``host`` ("" when there is none)."""
    wanted = f"https://{host}".lower()
    return next((s.id for s in store.sites.values() if s.web_url.rstrip("/").lower() == wanted), "")


def _site_by_path(store: Store, host: str, path: str) -> Site:
    wanted = f"https://{host}{path}".rstrip("/").lower()
    for site in store.sites.values():
        if site.web_url.rstrip("/").lower() == wanted:
            return site
    raise GraphError(404, "itemNotFound", "The site does not exist")


def _site_after(store: Store, site_id: str, after: str) -> Target:
    after = after.strip("/")
    site = store.sites[site_id]
    if not after:
        return Target("site", site_id=site_id)
    second, _, more = after.partition("/")
    if second == "drives" and not more:
        return Target("drives", site_id=site_id)
    if second == "drive":
        return _drive_rest(store, store.drive(site.drive_ids[0]), more, via_me=False)
    if second == "recycleBin":
        segments = _segments(more)
        if segments[:1] != ["items"]:
            raise bad_request("Expected recycleBin/items")
        return Target("recyclebin", site_id=site_id, action=segments[1:])
    raise bad_request(f"Unsupported segment '{second}' after a site")


def _drive_rest(store: Store, drive: Drive, rest: str, *, via_me: bool) -> Target:
    rest = rest.strip("/") if not rest.startswith("root:") else rest
    if not rest:
        return Target("drive", drive=drive, via_me=via_me)
    if rest.startswith("root"):
        return _item_rest(store, drive, drive.root, rest[4:], via_me)
    head, _, tail = rest.partition("/")
    if head == "items":
        item_id, _, after = _split_id(tail)
        if not item_id:
            raise bad_request("An item id is required")
        item_id = unquote(item_id)
        binned = drive.items.get(item_id)
        if after.strip("/") == "restore" and binned is not None and binned.trashed:
            item = binned  # only restore reaches an item in the recycle bin
        else:
            item = drive.root if item_id == "root" else store.item(drive, item_id)
        return _item_rest(store, drive, item, after, via_me)
    if head == "special":
        name, _, after = tail.partition("/")
        return _item_rest(store, drive, _special(store, drive, unquote(name)), "/" + after, via_me)
    target = Target("drive", drive=drive, action=_segments(rest), via_me=via_me)
    if target.action:
        target.search = parse_search(target.action[0])
    return target


def _split_id(tail: str) -> tuple[str, str, str]:
    """``{id}:/rel:/x`` or ``{id}/x`` → (id, separator, rest-with-separator)."""
    slash, colon = tail.find("/"), tail.find(":")
    if colon != -1 and (slash == -1 or colon < slash):
        return tail[:colon], ":", tail[colon:]
    if slash != -1:
        return tail[:slash], "/", tail[slash:]
    return tail, "", ""


def _special(store: Store, drive: Drive, name: str) -> Item:
    if name.lower() == "documents":
        return drive.root
    if name.lower() in ("approot", "photos", "cameraroll", "music"):
        folder_name = {
            "approot": "Apps",
            "photos": "Pictures",
            "cameraroll": "Camera Roll",
            "music": "Music",
        }[name.lower()]
        assert drive.root.children is not None
        found = drive.root.children.get(fold(folder_name))
        if found is None:
            found = store.create_folder(drive.root, folder_name, "fail", drive.owner.id)
        return found
    raise GraphError(404, "itemNotFound", f"Special folder '{name}' does not exist")


def _item_rest(store: Store, drive: Drive, base: Item, rest: str, via_me: bool) -> Target:
    target = Target("item", drive=drive, item=base, via_me=via_me)
    if rest.startswith(":"):
        end = rest.find(":", 1)
        raw_rel, after = (rest[1:], "") if end == -1 else (rest[1:end], rest[end + 1 :])
        # Inside the colons a %2F is a separator like "/" (names cannot hold one), and a
        # trailing "/" (``root:/a/b:/``, ``root:/a/b/``) names the same item.
        _walk(target, base, unquote(raw_rel))
        rest = after
    target.action = _segments(rest)
    if target.action:
        target.search = parse_search(target.action[0])
    return target


def _walk(target: Target, base: Item, relative_path: str) -> None:
    """Point ``target`` at ``relative_path`` below ``base`` (or at its missing last name)."""
    relative = [s for s in relative_path.split("/") if s]
    target.by_path = bool(relative)
    if relative:
        base_path = base.path()
        check_path_length("/".join([base_path, *relative]) if base_path else "/".join(relative))
    node: Item | None = base
    for index, segment in enumerate(relative):
        assert node is not None
        child = node.children.get(fold(segment)) if node.children is not None else None
        if child is None:
            if index == len(relative) - 1 and node.children is not None:
                target.item, target.parent, target.name = None, node, segment
                return
            raise not_found()
        node = child
    target.item = node


def resolve_children_literal(target: Target, query: Mapping[str, str]) -> None:
    """``…/children('name')/x`` or ``…/children('@a1')/x?@a1='a/b'``: the item by that path.

    The form rclone uses where ``items/{id}:/path:`` is refused (China); the parameter
    alias holds a whole relative path.
    """
    if target.kind != "item" or not target.action or target.item is None:
        return
    segment = target.action[0]
    match = _CHILDREN.match(segment)
    if match is None:
        return
    value = odata_string(match.group(1), segment)
    if value.startswith("@"):
        aliased = query.get(value)
        if aliased is None:
            raise GraphError(400, "BadRequest", f"The parameter alias '{value}' has no value.")
        value = odata_string(aliased, aliased)
    _walk(target, target.item, value)
    target.action = target.action[1:]
    target.search = parse_search(target.action[0]) if target.action else None
