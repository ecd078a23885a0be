"""Share links, versions and search for ``OneDriveBackend`` (the optional capabilities).

What a drive accepts differs by kind (GRAPH.md §9–10): OneDrive Personal has no
"organization" scope and refuses to delete versions; embed links and link passwords exist
only there. ``link_support``/``version_support`` say so up front, and the operations refuse
with the same reason before any request.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote

from core import errors
from core.backends.onedrive.download import read_stream
from core.backends.onedrive.items import format_time, parse_time, version_of
from core.model import (
    Entry,
    Link,
    LinkRequest,
    LinkScope,
    LinkSupport,
    LinkType,
    Version,
    VersionSupport,
)
from core.paths import normalize

if TYPE_CHECKING:
    from core.backends.onedrive.dlcache import DownloadUrls
    from core.backends.onedrive.graph import GraphClient
    from core.backends.onedrive.items import Addressing, Converter
    from core.backends.onedrive.settings import Settings

PERSONAL_NO_DELETE = "OneDrive Personal does not allow deleting versions"
PERSONAL_REASONS = {
    "organization": "OneDrive Personal has no organization scope",
    "password": "link passwords need a paid OneDrive Personal (Microsoft 365) plan",
}
BUSINESS_REASONS = {
    "embed": "embed links exist only on OneDrive Personal",
    "password": "link passwords can be set only on OneDrive Personal",
}


def link_of(permission: dict[str, Any]) -> Link | None:
    """A ``permission`` with a ``link`` facet as a ``Link`` (None for other permissions)."""
    facet = permission.get("link")
    if not isinstance(facet, dict):
        return None
    return Link(
        id=str(permission.get("id")),
        url=str(facet.get("webUrl") or ""),
        type=str(facet.get("type") or ""),
        scope=str(facet.get("scope") or ""),
        expires=parse_time(permission.get("expirationDateTime")),
        has_password=bool(permission.get("hasPassword")),
        roles=tuple(str(r) for r in permission.get("roles") or ()),
    )


class FeaturesMixin:
    """Links, Versions, Search and the ``no_versions`` clean-up."""

    if TYPE_CHECKING:
        graph: GraphClient
        addressing: Addressing
        convert: Converter
        settings: Settings
        _drive_type: str | None
        _drive_id: str | None
        download_urls: DownloadUrls

        def _stored(self, path: str) -> str: ...

        async def _get(self, path: str) -> dict[str, Any]: ...

        async def _drive_info(self) -> None: ...

        async def _root_prefix(self) -> str: ...

        def open_read(self, path: str, offset: int = 0) -> AsyncIterator[bytes]: ...

    def _address(self, path: str, suffix: str = "") -> tuple[str, str, dict[str, str]]:
        p = normalize(path)
        address = self.addressing.by_path(self._stored(p), suffix)
        return p, address.url, address.params

    # ------------------------------------------------------------------ links
    def link_support(self) -> LinkSupport:
        if self._drive_type == "personal":
            return LinkSupport(
                types=(LinkType.VIEW, LinkType.EDIT, LinkType.EMBED),
                scopes=(LinkScope.ANONYMOUS, LinkScope.USERS),
                password=True,
                expiry=True,
                reasons=PERSONAL_REASONS,
            )
        return LinkSupport(
            types=(LinkType.VIEW, LinkType.EDIT),
            scopes=(LinkScope.ANONYMOUS, LinkScope.ORGANIZATION, LinkScope.USERS),
            password=False,
            expiry=True,
            reasons=BUSINESS_REASONS,
        )

    async def create_link(self, path: str, request: LinkRequest) -> Link:
        await self._drive_info()
        support = self.link_support()
        p, url, params = self._address(path, "createLink")
        for wanted, offered in (
            (request.type, request.type in support.types),
            (request.scope, request.scope in support.scopes),
            ("password", request.password is None or support.password),
            ("expiry", request.expires is None or support.expiry),
        ):
            if not offered:
                reason = support.reasons.get(str(wanted), f"{wanted} links are not available")
                raise errors.Unsupported(reason, path=p)
        body: dict[str, Any] = {"type": str(request.type), "scope": str(request.scope)}
        if request.password:
            body["password"] = request.password
        if request.expires is not None:
            body["expirationDateTime"] = format_time(request.expires.replace(microsecond=0))
        if request.recipients:
            body["recipients"] = [{"email": r} for r in request.recipients]
        answer = await self.graph.send_json("POST", url, body, params=params, path=p)
        link = link_of(answer)
        if link is None:
            raise errors.TransientError("OneDrive answered without a link", path=p)
        return link

    async def list_links(self, path: str) -> list[Link]:
        p, url, params = self._address(path, "permissions")
        links: list[Link] = []
        async for values in self.graph.pages(url, params=params, path=p):
            links.extend(link for v in values if (link := link_of(v)) is not None)
        return links

    async def revoke_link(self, path: str, link_id: str) -> None:
        p, url, params = self._address(path, f"permissions/{quote(link_id, safe='')}")
        await self.graph.request("DELETE", url, params=params, path=p)

    # ------------------------------------------------------------------ versions
    def version_support(self) -> VersionSupport:
        if self._drive_type == "personal":
            return VersionSupport(can_delete=False, delete_refusal=PERSONAL_NO_DELETE)
        return VersionSupport(can_delete=True)

    async def _versions(self, path: str) -> list[dict[str, Any]]:
        p, url, params = self._address(path, "versions")
        found: list[dict[str, Any]] = []
        async for values in self.graph.pages(url, params=params, path=p):
            found.extend(values)
        return found

    async def list_versions(self, path: str) -> list[Version]:
        """Newest first; the first is the current version."""
        return [version_of(v, i == 0) for i, v in enumerate(await self._versions(path))]

    async def open_version(
        self, path: str, version_id: str, offset: int = 0
    ) -> AsyncIterator[bytes]:
        versions = await self._versions(path)
        if versions and str(versions[0].get("id")) == version_id:
            # Graph refuses the current version's content through /versions.
            stream = self.open_read(path, offset)
        else:
            match = next((v for v in versions if str(v.get("id")) == version_id), None)
            if match is None:
                raise errors.NotFound("no such version", path=path, detail=version_id)
            p = normalize(path)
            suffix = f"versions/{quote(version_id, safe='')}/content"
            stream = read_stream(
                self.graph,
                self.addressing.by_path(self._stored(p), suffix),
                path=p,
                size=int(match.get("size") or 0),
                offset=offset,
                expected=None,
                hash_type=self.settings.hash_type,
            )
        async with contextlib.aclosing(stream):  # type: ignore[type-var]
            async for chunk in stream:
                yield chunk

    async def restore_version(self, path: str, version_id: str) -> None:
        suffix = f"versions/{quote(version_id, safe='')}/restoreVersion"
        p, url, params = self._address(path, suffix)
        self.download_urls.forget(p)  # the content changes
        await self.graph.request("POST", url, params=params, path=p)

    async def delete_version(self, path: str, version_id: str) -> None:
        await self._drive_info()
        support = self.version_support()
        p, url, params = self._address(path, f"versions/{quote(version_id, safe='')}")
        if not support.can_delete:
            raise errors.Unsupported(support.delete_refusal or "cannot delete versions", path=p)
        await self.graph.request("DELETE", url, params=params, path=p)

    async def _trim_versions(self, item_id: str) -> None:
        """``no_versions``: keep only the current version (Business only)."""
        url = self.addressing.by_id(item_id, "versions").url
        values: list[dict[str, Any]] = []
        async for page in self.graph.pages(url):
            values.extend(page)
        for old in values[1:]:
            vid = quote(str(old.get("id")), safe="")
            with contextlib.suppress(errors.NotFound):
                await self.graph.request(
                    "DELETE", self.addressing.by_id(item_id, f"versions/{vid}").url
                )

    # ------------------------------------------------------------------ search
    async def search(self, query: str, path: str = "/") -> AsyncIterator[list[Entry]]:
        """Items below ``path`` whose name or content matches ``query`` (Graph's index).

        Graph leaves ``parentReference.path`` out of search results, so each hit's folder is
        found from its parent's id (one ``GET`` per distinct folder, remembered).
        """
        # q is an OData string literal: quotes doubled; Graph refuses "/" even as %2F.
        text = " ".join(query.replace("/", " ").split())
        literal = quote(text.replace("'", "''"), safe="")
        p, url, params = self._address(path, f"search(q='{literal}')")
        prefix = await self._root_prefix()
        await self._drive_info()
        folders: dict[str, str | None] = {}
        async for values in self.graph.pages(url, params=params, path=p):
            hits = [v for v in values if "deleted" not in v and "remoteItem" not in v]
            wanted = {pid for v in hits if (pid := _parent_id(v)) and pid not in folders}
            found = await asyncio.gather(*(self._folder_of(pid, prefix) for pid in wanted))
            folders.update(zip(wanted, found, strict=True))
            page = []
            for item in hits:
                where = folders.get(_parent_id(item) or "")
                if where is not None and _inside(where, p):
                    page.append(self.convert.entry(item, where))
            if page:
                yield page

    async def _folder_of(self, item_id: str, prefix: str) -> str | None:
        """The path (in this remote's terms) of the folder ``item_id``; None if outside."""
        try:
            folder = await self.graph.get_json(self.addressing.by_id(item_id).url)
        except errors.NotFound:
            return None
        ref = folder.get("parentReference") or {}
        if self._drive_id and ref.get("driveId") not in (None, self._drive_id):
            return None
        if "root" in folder:
            parts: list[str] = []
        else:
            raw = ref.get("path")
            if not isinstance(raw, str) or ":" not in raw:
                return None
            above = [unquote(s) for s in raw.partition(":")[2].split("/") if s]
            parts = [*above, str(folder.get("name", ""))]
        names = [self.convert.name(s) for s in parts]
        if prefix:
            root = [self.convert.name(s) for s in prefix.split("/")]
            if names[: len(root)] != root:
                return None
            names = names[len(root) :]
        return "/" + "/".join(names)


def _parent_id(item: dict[str, Any]) -> str | None:
    ref = item.get("parentReference")
    value = ref.get("id") if isinstance(ref, dict) else None
    return value if isinstance(value, str) and value else None


def _inside(folder: str, top: str) -> bool:
    return top == "/" or folder == top or folder.startswith(top.rstrip("/") + "/")
