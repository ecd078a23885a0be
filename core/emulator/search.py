"""search(q=) and delta (GRAPH.md §12)."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from starlette.responses import Response

from .context import Ctx, json_response
from .errors import GraphError, bad_request
from .model import Item
from .render import parse_iso
from .sharing import shared_items

#: Delta cursors kept for paging (oldest are forgotten first).
MAX_CURSORS = 32
#: A delta page ends after this many deletions whatever $top says, as on OneDrive ("a known
#: limitation of paging with deleted items"; GRAPH-second-wave §4): clients must page on.
DELETIONS_PER_PAGE = 7
#: Only contents up to this size are searched for the query text.
_CONTENT_SEARCH_LIMIT = 64 * 1024


@dataclass
class DeltaCursor:
    entries: list[tuple[bool, Item]]  # (deleted, item)
    end_seq: int


def _matches(item: Item, query: str) -> bool:
    """Every word of ``query`` is in the name, the description or (small) text content."""
    return all(_matches_word(item, word) for word in query.split())


def _matches_word(item: Item, query: str) -> bool:
    if query in item.name.casefold():
        return True
    if item.description and query in item.description.casefold():
        return True
    current = item.current
    if current is not None and 0 < current.blob.size <= _CONTENT_SEARCH_LIMIT:
        try:
            return query in current.blob.read().decode("utf-8").casefold()
        except UnicodeDecodeError:
            return False
    return False


async def search(ctx: Ctx) -> Response:
    """Items below the target (or in the whole drive, plus shared items) matching ``q``."""
    query = (ctx.target.search or "").casefold().strip()
    top = ctx.top()
    token = ctx.query("skiptoken")
    offset = int(token) if token and token.isdigit() else 0
    select = ctx.select(download_url=False)
    with ctx.emulator.lock:
        base = ctx.target.item or (ctx.target.drive.root if ctx.target.drive else None)
        if base is None:
            raise bad_request("Search needs a drive or a folder")
        found = [
            i for i in ctx.store.walk(base) if i is not base and (not query or _matches(i, query))
        ]
        found.sort(key=lambda i: (i.name.casefold(), i.id))
        remote: list[Item] = []
        if ctx.target.item is None and ctx.target.drive is not None:
            remote = [
                i
                for i in shared_items(ctx.store, ctx.target.drive.id)
                if not query or _matches(i, query)
            ]
        everything = found + remote
        page = everything[offset : offset + top]
        values = []
        for item in page:
            if item in remote:
                body = ctx.render.remote_item(item)
            else:
                # As on Graph: no parentReference.path and no download URL in search results
                # (GRAPH-second-wave.md §1.1); a client finds the folder by the parent's id.
                body = ctx.render.item(item, select, delta=True)
                body.pop("@microsoft.graph.downloadUrl", None)
            body["searchResult"] = {}
            values.append(body)
    result: dict[str, object] = {"value": values}
    if offset + top < len(everything):
        result["@odata.nextLink"] = ctx.next_link(skiptoken=str(offset + top))
    return json_response(result)


def _token(ctx: Ctx, seq: int) -> str:
    raw = f"{ctx.emulator.delta_epoch}:{seq}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _parse_token(ctx: Ctx, token: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        epoch, _, seq = raw.partition(":")
        if epoch == ctx.emulator.delta_epoch:
            return int(seq)
    except (ValueError, UnicodeDecodeError):
        pass
    raise GraphError(
        410,
        "resyncRequired",
        "The delta token is no longer valid; start again without a token",
        inner="resyncChangesApplyDifferences",
        headers={"Location": f"{ctx.base}{ctx.raw_path}"},
    )


def _since(ctx: Ctx, token: str) -> int:
    """The change sequence a token stands for. Business also takes a timestamp
    (``?token=2021-09-29T20%3A00%3A00Z``: changes since then; driveitem-delta.md)."""
    if ctx.store.flavour == "business" and "T" in token and token[:4].isdigit():
        try:
            return ctx.store.seq_at(parse_iso(token))
        except ValueError:
            pass
    return _parse_token(ctx, token)


def _snapshot(ctx: Ctx, base: Item) -> list[tuple[bool, Item]]:
    """Every live item below ``base``, parents before children (breadth first)."""
    entries: list[tuple[bool, Item]] = []
    level = [base]
    while level:
        entries.extend((False, i) for i in level)
        following: list[Item] = []
        for item in level:
            if item.children:
                following.extend(item.children[k] for k, _ in item.child_keys())
        level = following
    return entries


def _changes(ctx: Ctx, base: Item, since: int) -> list[tuple[bool, Item]]:
    drive = base.drive
    live = [i for i in ctx.store.walk(base) if i.seq > since]
    live.sort(key=lambda i: (i.depth(), i.seq))
    gone = [
        item
        for seq, item in drive.tombstones.values()
        if seq > since and (base.parent is None or base in item.ancestors())
    ]
    gone.sort(key=lambda i: -i.depth())
    return [(False, i) for i in live] + [(True, i) for i in gone]


async def delta(ctx: Ctx) -> Response:
    """Changes below the target item: all of them, or those since a token; paged."""
    emulator = ctx.emulator
    base = ctx.target.existing()
    top = ctx.top()
    select = ctx.select()
    skiptoken = ctx.query("skiptoken")
    token = ctx.request.query_params.get("token")
    with emulator.lock:
        offset = 0
        if skiptoken:
            cursor_id, _, position = skiptoken.partition(".")
            cursor = emulator.delta_cursors.get(cursor_id)
            if cursor is None or not position.isdigit():
                raise GraphError(
                    410,
                    "resyncRequired",
                    "The delta page is no longer available",
                    inner="resyncChangesApplyDifferences",
                )
            offset = int(position)
        else:
            if token == "latest":
                latest = _delta_link(ctx, token=_token(ctx, ctx.store.seq))
                return json_response({"value": [], "@odata.deltaLink": latest})
            end_seq = ctx.store.seq
            entries = _changes(ctx, base, _since(ctx, token)) if token else (_snapshot(ctx, base))
            cursor = DeltaCursor(entries, end_seq)
            cursor_id = secrets.token_urlsafe(9)
            emulator.delta_cursors[cursor_id] = cursor
            while len(emulator.delta_cursors) > MAX_CURSORS:
                emulator.delta_cursors.pop(next(iter(emulator.delta_cursors)))
        page = cursor.entries[offset : offset + top]
        deletions = [n for n, (deleted, _) in enumerate(page) if deleted]
        if len(deletions) > DELETIONS_PER_PAGE:
            page = page[: deletions[DELETIONS_PER_PAGE - 1] + 1]
        values = [
            ctx.render.deleted_item(i) if deleted else ctx.render.item(i, select, delta=True)
            for deleted, i in page
        ]
        offset += len(page)
        body: dict[str, object] = {"value": values}
        if offset < len(cursor.entries):
            body["@odata.nextLink"] = _delta_link(ctx, skiptoken=f"{cursor_id}.{offset}")
        else:
            body["@odata.deltaLink"] = _delta_link(ctx, token=_token(ctx, cursor.end_seq))
    return json_response(body)


def _delta_link(ctx: Ctx, **params: str) -> str:
    """The delta URL with only ``params`` (and the caller's $select/$top) in its query."""
    kept = [
        (k, v) for k, v in ctx.request.query_params.items() if k.lstrip("$") in ("select", "top")
    ]
    kept += [(f"${k}" if k == "skiptoken" else k, v) for k, v in params.items()]
    return f"{ctx.base}{ctx.raw_path}?{urlencode(kept, quote_via=quote, safe='$,')}"
