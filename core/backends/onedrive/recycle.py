"""The recycle bin of a drive, as far as Graph reaches it (GRAPH-second-wave.md §3).

* SharePoint document libraries: the site's bin, ``GET /sites/{id}/recycleBin/items`` (v1.0).
  Restore and empty use ``POST …/recycleBin/items/restore`` and ``…/delete`` with
  ``{"ids": […]}``: the shape Graph documents for SharePoint Embedded containers; for sites
  these are in Graph's beta metadata without a page of their own.
* OneDrive Personal: no listing at all; ``POST /items/{id}/restore`` brings back an item
  whose id is known (skypane prints it when it deletes).
* OneDrive for Business: no documented API; the web page is the way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from core import errors
from core.backends.onedrive.items import parse_time
from core.model import RecycledItem, RecycleSupport, RestoreResult

if TYPE_CHECKING:
    from core.backends.onedrive.graph import GraphClient
    from core.backends.onedrive.items import Addressing

PERSONAL_WEB = "https://onedrive.live.com (choose Recycle bin on the left)"
PERSONAL_REASON = (
    "OneDrive Personal's recycle bin cannot be listed through Microsoft Graph; an item "
    "skypane deleted can be restored by the id it printed"
)
BUSINESS_REASON = (
    "Microsoft Graph offers no recycle bin for OneDrive for Business (only for SharePoint "
    "document libraries)"
)


class RecycleMixin:
    """``RecycleBin`` for ``OneDriveBackend``."""

    if TYPE_CHECKING:
        graph: GraphClient
        addressing: Addressing
        remote: str

    _drive_json: dict[str, Any] | None = None

    async def _drive_facts(self) -> dict[str, Any]:
        if self._drive_json is None:
            self._drive_json = await self.graph.get_json(self.addressing.drive)
        return self._drive_json

    async def _site_id(self) -> str | None:
        drive = await self._drive_facts()
        ids = drive.get("sharePointIds") or {}
        site = ids.get("siteId") if isinstance(ids, dict) else None
        if drive.get("driveType") == "documentLibrary" and isinstance(site, str) and site:
            return site
        return None

    async def recycle_support(self) -> RecycleSupport:
        drive = await self._drive_facts()
        kind = drive.get("driveType")
        web = str(drive.get("webUrl") or "")
        if kind == "personal":
            return RecycleSupport(False, True, False, PERSONAL_REASON, PERSONAL_WEB)
        site_web = web.rsplit("/", 1)[0] if web else ""
        page = f"{site_web}/_layouts/15/RecycleBin.aspx" if site_web else None
        if await self._site_id() is None:
            return RecycleSupport(False, False, False, BUSINESS_REASON, page)
        return RecycleSupport(True, True, True, None, page)

    async def _bin_url(self) -> str:
        site = await self._site_id()
        if site is None:
            support = await self.recycle_support()
            where = f"; use {support.web_url}" if support.web_url else ""
            raise errors.Unsupported(f"{support.reason}{where}")
        return f"sites/{quote(site, safe=',')}/recycleBin/items"

    async def list_recycled(self) -> list[RecycledItem]:
        """What the site's recycle bin holds (SharePoint libraries only)."""
        url = await self._bin_url()
        found: list[RecycledItem] = []
        async for values in self.graph.pages(url):
            found.extend(_recycled(v) for v in values)
        found.sort(key=lambda r: (r.deleted is None, r.deleted), reverse=True)
        return found

    async def restore_recycled(self, ids: Sequence[str]) -> list[RestoreResult]:
        """Put items back where they were deleted from; a result per id."""
        drive = await self._drive_facts()
        if drive.get("driveType") == "personal":
            return [await self._restore_personal(i) for i in ids]
        url = await self._bin_url()
        response = await self.graph.request(
            "POST", f"{url}/restore", json={"ids": list(ids)}, accept=(207,)
        )
        body = response.json() if response.content else {}
        results: dict[str, RestoreResult] = {}
        for v in body.get("value") or ():
            rid = str(v.get("id"))
            error = v.get("error")
            message = error.get("message") if isinstance(error, dict) else None
            results[rid] = RestoreResult(rid, error is None, message)
        return [results.get(i, RestoreResult(i, False, "not in the recycle bin")) for i in ids]

    async def _restore_personal(self, item_id: str) -> RestoreResult:
        try:
            await self.graph.request("POST", self.addressing.by_id(item_id, "restore").url)
        except errors.SkypaneError as exc:
            return RestoreResult(item_id, False, exc.message)
        return RestoreResult(item_id, True)

    async def empty_recycled(self, ids: Sequence[str] | None = None) -> None:
        """Delete for good the given items of the bin (all of them without ``ids``)."""
        url = await self._bin_url()
        if ids is None:
            ids = [r.id for r in await self.list_recycled()]
        if ids:
            await self.graph.request("POST", f"{url}/delete", json={"ids": list(ids)})

    async def trash_hint(self, item_id: str) -> str:
        """Where a deleted item went and how to get it back, for the user."""
        support = await self.recycle_support()
        if support.can_list:
            return f"moved to the recycle bin (skypane recycle {self.remote}: lists it)"
        if support.can_restore:
            return (
                f"moved to the recycle bin; restore with "
                f"`skypane recycle {self.remote}: --restore {item_id}` or at {support.web_url}"
            )
        return f"moved to the recycle bin; restore it at {support.web_url}"


def _recycled(v: dict[str, Any]) -> RecycledItem:
    by = v.get("deletedBy") or {}
    user = by.get("user") if isinstance(by, dict) else None
    who = user.get("displayName") if isinstance(user, dict) else None
    return RecycledItem(
        id=str(v.get("id")),
        name=str(v.get("name") or v.get("title") or ""),
        size=int(v.get("size") or 0),
        deleted=parse_time(v.get("deletedDateTime")),
        original=v.get("deletedFromLocation")
        if isinstance(v.get("deletedFromLocation"), str)
        else None,
        deleted_by=who if isinstance(who, str) else None,
    )
