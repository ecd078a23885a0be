"""``/@shared``: items other people shared with the user, as a read-only virtual folder.

``sharedWithMe`` is deprecated (degraded to one item since November 2025, data ending in
2026 or 2027; GRAPH-second-wave.md §2), so on work and school accounts the list comes from
the Microsoft Search API (``POST /search/query``, entity type ``driveItem``), keeping hits in
other people's drives and dropping those whose parent is a hit too (only the top of each
share). The Search API does not serve personal Microsoft accounts, and Microsoft names no
replacement there: OneDrive Personal still asks ``sharedWithMe`` while it answers.

A shared item lives in another drive: ``/@shared/<name>/rest`` is addressed as
``drives/{driveId}/items/{itemId}:/rest:``. Nothing is ever written there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core import errors
from core.backends.onedrive.items import Addressing
from core.model import Entry
from core.paths import join

if TYPE_CHECKING:
    from core.backends.onedrive.graph import GraphClient
    from core.backends.onedrive.items import Converter

#: The virtual folder's path in every OneDrive remote.
SHARED = "/@shared"
#: Hits asked per Search API page (Microsoft suggests about 200; abraunegg uses 100).
PAGE = 100
#: Pages read at most (25,000 hits), so a tenant-wide result cannot run forever.
MAX_PAGES = 250
FIELDS = [
    "id", "name", "size", "file", "folder", "package", "webUrl", "parentReference",
    "fileSystemInfo", "lastModifiedDateTime", "createdBy",
]  # fmt: skip
#: Every document and folder the user can reach (abraunegg's KQL, without the name filters).
QUERY = "(IsDocument:true OR IsDocument:false)"


def in_shared(path: str) -> bool:
    return path == SHARED or path.startswith(SHARED + "/")


class SharedMixin:
    """The ``/@shared`` folder of ``OneDriveBackend``."""

    if TYPE_CHECKING:
        graph: GraphClient
        addressing: Addressing
        convert: Converter
        _drive_id: str | None
        _drive_type: str | None

        async def _drive_info(self) -> None: ...

    #: name shown → (drive id, item id, raw item), from the last listing of ``/@shared``.
    _shares: dict[str, tuple[str, str, dict[str, Any]]] | None = None

    def read_only(self, path: str) -> None:
        """Refuse a change inside ``/@shared``."""
        if in_shared(path):
            raise errors.PermissionDenied(
                "items shared with you are read-only in skypane (copy them out instead)",
                path=path,
            )

    async def _shared_items(self) -> list[dict[str, Any]]:
        await self._drive_info()
        if self._drive_type == "personal":
            url = f"{self.addressing.drive}/sharedWithMe"
            items: list[dict[str, Any]] = []
            async for values in self.graph.pages(url, params={"allowexternal": "true"}):
                for v in values:
                    remote = v.get("remoteItem")
                    if isinstance(remote, dict) and remote.get("id"):
                        items.append(remote)
            return items
        return await self._search_shared()

    async def _search_shared(self) -> list[dict[str, Any]]:
        hits: list[dict[str, Any]] = []
        start = 0
        for _ in range(MAX_PAGES):
            body = {
                "requests": [
                    {
                        "entityTypes": ["driveItem"],
                        "query": {"queryString": QUERY},
                        "from": start,
                        "size": PAGE,
                        "fields": FIELDS,
                    }
                ]
            }
            answer = await self.graph.send_json("POST", "search/query", body)
            more = False
            for result in answer.get("value") or ():
                for container in result.get("hitsContainers") or ():
                    for hit in container.get("hits") or ():
                        resource = hit.get("resource")
                        if isinstance(resource, dict):
                            hits.append(resource)
                    more = more or bool(container.get("moreResultsAvailable"))
            if not more:
                break
            start += PAGE
        mine = self._drive_id
        keys = set()
        kept: list[dict[str, Any]] = []
        for r in hits:
            ref = r.get("parentReference") or {}
            drive = ref.get("driveId") if isinstance(ref, dict) else None
            if not drive or drive == mine or not r.get("id"):
                continue
            key = (drive, r["id"])
            if key not in keys:
                keys.add(key)
                kept.append(r)
        # Only the top of each share: a hit whose parent is a hit is inside it.
        return [
            r
            for r in kept
            if ((r["parentReference"]["driveId"], r["parentReference"].get("id")) not in keys)
        ]

    async def list_shared(self) -> list[Entry]:
        """The items shared with the user (the top of each share), as entries of ``/@shared``."""
        shares: dict[str, tuple[str, str, dict[str, Any]]] = {}
        entries: list[Entry] = []
        for item in await self._shared_items():
            ref = item.get("parentReference") or {}
            drive_id = ref.get("driveId") if isinstance(ref, dict) else None
            if not isinstance(drive_id, str):
                continue
            base = self.convert.name(str(item.get("name") or item["id"]))
            name, n = base, 1
            while name.casefold() in (k.casefold() for k in shares):
                n += 1
                name = f"{base} ({n})"  # two shares of one name stay apart
            shares[name] = (drive_id, str(item["id"]), item)
            entries.append(self.convert.entry(item, SHARED, path=join(SHARED, name)))
        self._shares = shares
        return entries

    async def _share(self, name: str) -> tuple[str, str, dict[str, Any]]:
        if self._shares is None or name not in self._shares:
            await self.list_shared()
        assert self._shares is not None
        found = self._shares.get(name)
        if found is None:
            raise errors.NotFound(
                "no longer shared with you (or never was)", path=join(SHARED, name)
            )
        return found

    async def shared_address(self, path: str) -> tuple[Addressing, str]:
        """The other drive's addressing and the stored path inside the share for ``path``."""
        rest = path[len(SHARED) + 1 :]
        name, _, inner = rest.partition("/")
        drive_id, item_id, _ = await self._share(name)
        stored = "/".join(self.convert.stored(p) for p in inner.split("/") if p)
        return Addressing(f"drives/{drive_id}", item_id, china=self.addressing.china), stored

    def shared_root(self) -> Entry:
        return Entry(name="@shared", path=SHARED, is_dir=True)
