"""Choosing a drive after sign-in: my drives, SharePoint sites and their libraries, a drive id.

A small Graph client of its own (httpx + a bearer from a ``TokenProvider``): the sign-in
commands and the config wizard need only these few GETs, and they run before a remote
(and so a backend) exists.
"""

from __future__ import annotations

import contextlib
import ssl
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from core import __version__
from core.backends.onedrive.tokens import TokenProvider
from core.errors import (
    AuthenticationRequired,
    ConfigError,
    NotFound,
    PermissionDenied,
    SkypaneError,
    Throttled,
    TransientError,
)
from core.model import Quota
from core.tls import tls_context

USER_AGENT = f"ISV|skypane|skypane/{__version__}"
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


def _graph_error(response: httpx.Response) -> tuple[str, str]:
    try:
        error = response.json().get("error") or {}
    except ValueError:
        return "", response.text[:200]
    return str(error.get("code") or ""), str(error.get("message") or "")


class DriveFinder:
    """The few Graph calls behind the drive picker. Use as ``async with``."""

    def __init__(
        self,
        graph_base: str,
        tokens: TokenProvider,
        *,
        verify: ssl.SSLContext | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._base = graph_base.rstrip("/")
        self._tokens = tokens
        self._client = httpx.AsyncClient(
            verify=verify if verify is not None else tls_context(),
            transport=transport,
            timeout=30.0,
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
        )

    async def __aenter__(self) -> DriveFinder:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    # -- plumbing ------------------------------------------------------------------------

    async def _get(self, path_or_url: str, params: dict[str, str] | None = None) -> dict[str, Any]:
        url = path_or_url if "://" in path_or_url else self._base + path_or_url
        for attempt in (0, 1):
            token = await self._tokens.access_token(force_refresh=attempt > 0)
            try:
                response = await self._client.get(
                    url, params=params, headers={"Authorization": f"Bearer {token}"}
                )
            except httpx.TransportError as exc:
                raise TransientError(
                    f"cannot reach Microsoft Graph ({type(exc).__name__})"
                ) from exc
            if response.status_code == 401 and attempt == 0:
                continue  # an access token that expired early: refresh once
            if response.is_success:
                data: dict[str, Any] = response.json()
                return data
            self._raise(response, url)
        raise AssertionError("unreachable")

    def _raise(self, response: httpx.Response, url: str) -> None:
        code, message = _graph_error(response)
        detail = f"{code}: {message}" if code else message or None
        what = httpx.URL(url).path
        status = response.status_code
        if status == 401:
            raise AuthenticationRequired("Graph refused the sign-in", path=what, detail=detail)
        if status == 403:
            raise PermissionDenied("access denied", path=what, detail=detail)
        if status == 404:
            raise NotFound("not found", path=what, detail=detail)
        if status in (429, 503) and "retry-after" in response.headers:
            try:
                after: float | None = float(response.headers["retry-after"])
            except ValueError:
                after = None
            raise Throttled("Graph asked to slow down", retry_after=after, detail=detail)
        if status >= 500:
            raise TransientError(f"Graph failed (HTTP {status})", path=what, detail=detail)
        raise SkypaneError(f"Graph refused the request (HTTP {status})", path=what, detail=detail)

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
