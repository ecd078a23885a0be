"""Choosing a drive after sign-in: my drives, SharePoint sites and their libraries, a drive id.

A few GETs through ``GraphClient`` (the backend's one HTTP stack and its pacer, retries and
error mapping) with a bearer from a ``TokenProvider``: the sign-in commands and the config
wizard run them before a remote (and so a backend) exists.
"""

from __future__ import annotations

import contextlib
import ssl
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from core.backends.onedrive.graph import GraphClient
from core.backends.onedrive.http import make_http_client
from core.backends.onedrive.pacer import Pacer
from core.backends.onedrive.tokens import TokenProvider
from core.errors import ConfigError, NotFound
from core.model import Quota

MAX_PAGES = 50


@dataclass(frozen=True, slots=True)
class DriveInfo:
    id: str
    name: str
    drive_type: str  # personal | business | documentLibrary
    web_url: str | None = None
    owner: str | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DriveInfo:
        owner = data.get("owner") or {}
        who = owner.get("user") or owner.get("group") or owner.get("application") or {}
        return cls(
            id=str(data["id"]),
            name=str(data.get("name") or ""),
            drive_type=str(data.get("driveType") or ""),
            web_url=data.get("webUrl"),
            owner=who.get("displayName") or who.get("email"),
        )


@dataclass(frozen=True, slots=True)
class SiteInfo:
    id: str
    name: str
    web_url: str | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SiteInfo:
        return cls(
            id=str(data["id"]),
            name=str(data.get("displayName") or data.get("name") or ""),
            web_url=data.get("webUrl"),
        )


def quota_from_json(data: dict[str, Any]) -> Quota:
    """A drive's ``quota`` facet; all-zero figures (some libraries) mean unknown."""
    q = data.get("quota") or {}
    figures = [q.get(k) for k in ("total", "used", "remaining", "deleted")]
    if not any(figures):
        return Quota(total=None, used=None, state=q.get("state"))
    return Quota(
        total=q.get("total"),
        used=q.get("used"),
        remaining=q.get("remaining"),
        deleted=q.get("deleted"),
        state=q.get("state"),
    )


def site_path(url: str) -> str:
    """The Graph address of a SharePoint site URL: ``/sites/{host}:/{server-relative path}``.

    A pasted library or page URL is cut back to its ``/sites/NAME`` or ``/teams/NAME``.
    """
    parts = urlsplit(url.strip() if "://" in url else "https://" + url.strip())
    if not parts.hostname:
        raise ConfigError(f"not a SharePoint site URL: {url!r}")
    segments = [s for s in parts.path.split("/") if s]
    for i, seg in enumerate(segments[:-1]):
        if seg.lower() in ("sites", "teams"):
            segments = segments[: i + 2]
            break
    else:
        segments = []
    if not segments:
        return f"/sites/{parts.hostname}"
    return f"/sites/{parts.hostname}:/" + "/".join(quote(s) for s in segments)


class DriveFinder:
    """The few Graph calls behind the drive picker. Use as ``async with``."""

    def __init__(
        self,
        graph_base: str,
        tokens: TokenProvider,
        *,
        verify: ssl.SSLContext | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        pacer: Pacer | None = None,
    ) -> None:
        self._base = graph_base.rstrip("/")
        http = make_http_client(
            context=verify, transport=transport, headers={"Accept": "application/json"}
        )
        self._graph = GraphClient(self._base, tokens, http=http, pacer=pacer)

    async def __aenter__(self) -> DriveFinder:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._graph.aclose()

    # -- plumbing ------------------------------------------------------------------------

    async def _get(self, path_or_url: str, params: dict[str, str] | None = None) -> dict[str, Any]:
        """One GET through the Graph client: paced, retried, a 401 refreshed, errors mapped."""
        url = path_or_url if "://" in path_or_url else self._base + path_or_url
        return await self._graph.get_json(url, params=params, path=httpx.URL(url).path)

    async def _pages(self, path: str, params: dict[str, str] | None = None) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        data = await self._get(path, params)
        for _ in range(MAX_PAGES):
            items.extend(data.get("value") or [])
            next_link = data.get("@odata.nextLink")
            if not next_link:
                break
            data = await self._get(str(next_link))
        return items

    # -- the picker's questions ------------------------------------------------------------

    async def default_drive(self) -> DriveInfo:
        """The signed-in user's own OneDrive (``/me/drive``)."""
        return DriveInfo.from_json(await self._get("/me/drive"))

    async def my_drives(self) -> list[DriveInfo]:
        """``/me/drive`` first, then the others of ``/me/drives`` (which may omit it)."""
        drives: list[DriveInfo] = []
        # An account without a licence has no default drive.
        with contextlib.suppress(NotFound):
            drives.append(await self.default_drive())
        seen = {d.id for d in drives}
        for data in await self._pages("/me/drives"):
            info = DriveInfo.from_json(data)
            if info.id not in seen:
                drives.append(info)
                seen.add(info.id)
        return drives

    async def search_sites(self, query: str) -> list[SiteInfo]:
        """SharePoint sites matching ``query`` (not available to personal accounts)."""
        return [SiteInfo.from_json(d) for d in await self._pages("/sites", {"search": query})]

    async def site_by_url(self, url: str) -> SiteInfo:
        return SiteInfo.from_json(await self._get(site_path(url)))

    async def site_drives(self, site_id: str) -> list[DriveInfo]:
        """The document libraries of a site."""
        path = f"/sites/{quote(site_id, safe=',')}/drives"
        return [DriveInfo.from_json(d) for d in await self._pages(path)]

    async def drive(self, drive_id: str) -> DriveInfo:
        """A drive by id; ``NotFound`` when it does not exist or is not visible."""
        if not drive_id.strip():
            raise ConfigError("empty drive id")
        return DriveInfo.from_json(await self._get(f"/drives/{quote(drive_id.strip(), safe='!')}"))

    async def quota(self, drive_id: str | None = None) -> Quota:
        """Storage figures of a drive (the default drive when ``drive_id`` is None)."""
        path = f"/drives/{quote(drive_id, safe='!')}" if drive_id else "/me/drive"
        return quota_from_json(await self._get(path))
