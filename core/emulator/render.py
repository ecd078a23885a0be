"""JSON shapes of drives, driveItems, permissions and versions (GRAPH.md §1, §9–11)."""

from __future__ import annotations

import functools
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC
from urllib.parse import quote

from .model import Drive, Item, Permission, User, Version
from .store import Store

_SEGMENT_SAFE = "!$&'()*+,;=@"
DOWNLOAD_URL = "@microsoft.graph.downloadUrl"


@functools.lru_cache(maxsize=65536)
def iso(ms: int) -> str:
    """ISO-8601 UTC with ``Z``; milliseconds only when there are some."""
    seconds, millis = divmod(ms, 1000)
    text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
    return f"{text}.{millis:03d}Z" if millis else f"{text}Z"


def parse_iso(value: str) -> int:
    """Milliseconds since the epoch of an ISO-8601 timestamp (``Z`` or an offset)."""
    from datetime import datetime

    text = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return round(moment.timestamp() * 1000)


def encode_path(path: str) -> str:
    return "/".join(quote(part, safe=_SEGMENT_SAFE) for part in path.split("/"))


@dataclass
class Renderer:
    """Renders state for one request (knows the files origin and how the drive was addressed)."""

    store: Store
    #: Scheme and authority of the files origin, where download URLs point.
    files_base: str
    me_drive: Drive
    signer: object  # the Emulator (for download URL signatures)
    url_lifetime: int
    #: Per-request caches: a page of 1,000 children shares one parent and a few users.
    _parents: dict[tuple[int, bool], dict[str, object]] = field(default_factory=dict)
    _folder_urls: dict[int, str] = field(default_factory=dict)
    _identities: dict[str, dict[str, object]] = field(default_factory=dict)

    @property
    def flavour(self) -> str:
        return self.store.flavour

    def _app_name(self, client_id: str) -> str:
        return self.store.config.app_name(client_id)

    def identity(self, user_id: str) -> dict[str, object]:
        found = self._identities.get(user_id)
        if found is None:
            user = self.store.users.get(user_id)
            found = user.identity() if user else {"user": {"displayName": "System Account"}}
            self._identities[user_id] = found
        return found

    def drive(self, drive: Drive) -> dict[str, object]:
        remaining = max(0, drive.quota_total - drive.used)
        ratio = remaining / drive.quota_total if drive.quota_total else 0
        state = (
            "exceeded"
            if remaining <= 0
            else "critical"
            if ratio < 0.01
            else "nearing"
            if ratio < 0.10
            else "normal"
        )
        quota: dict[str, object] = {
            "total": drive.quota_total,
            "used": drive.used,
            "remaining": remaining,
            "deleted": drive.deleted,
            "state": state,
        }
        if self.flavour == "business":
            quota["fileCount"] = drive.file_count
        body: dict[str, object] = {
            "id": drive.id,
            "driveType": drive.drive_type,
            "name": drive.name,
            "webUrl": drive.web_url,
            "createdDateTime": iso(drive.root.created_ms),
            "lastModifiedDateTime": iso(drive.root.modified_ms),
            "owner": drive.owner.identity(),
            "quota": quota,
        }
        if drive.site_id is not None:
            body["sharePointIds"] = {"siteId": drive.site_id}
        return body

    def drive_path_prefix(self, drive: Drive) -> str:
        return "/drive/root:" if drive is self.me_drive else f"/drives/{drive.id}/root:"

    def parent_reference(self, item: Item, *, with_path: bool = True) -> dict[str, object]:
        key = (id(item.parent) if item.parent is not None else -id(item.drive), with_path)
        found = self._parents.get(key)
        if found is None:
            found = self._parents[key] = self._parent_reference(item, with_path=with_path)
        return found

    def _parent_reference(self, item: Item, *, with_path: bool) -> dict[str, object]:
        drive = item.drive
        reference: dict[str, object] = {"driveId": drive.id, "driveType": drive.drive_type}
        parent = item.parent
        if parent is not None:
            reference["id"] = parent.id
            if parent.parent is not None:
                reference["name"] = parent.name
            if with_path:
                parent_path = parent.path()
                prefix = self.drive_path_prefix(drive)
                reference["path"] = (
                    f"{prefix}/{encode_path(parent_path)}" if parent_path else (prefix)
                )
        if drive.site_id is not None:
            reference["siteId"] = drive.site_id
        return reference

    def etag(self, item: Item) -> str:
        return f'"{{{_guid(item.guid)}}},{item.etag_n}"'

    def ctag(self, item: Item) -> str:
        return f'"c:{{{_guid(item.guid)}}},{item.ctag_n}"'

    def web_url(self, item: Item) -> str:
        if item.parent is None:
            return item.drive.web_url
        folder = self._folder_urls.get(id(item.parent))
        if folder is None:
            folder = self._folder_urls[id(item.parent)] = self.web_url(item.parent)
        return f"{folder.rstrip('/')}/{quote(item.name, safe=_SEGMENT_SAFE)}"

    def download_url(self, item: Item, version: Version) -> str:
        expires = int(self.store.clock.now()) + self.url_lifetime
        parts = (item.drive.id, item.id, version.blob.id, str(expires))
        signature = self.signer.sign(*parts)  # type: ignore[attr-defined]
        return (
            # Our ids only hold URL-safe characters (letters, digits, "!", "-", "_").
            f"{self.files_base}/dl/{item.drive.id}/{item.id}/"
            f"{version.blob.id}?exp={expires}&tempauth={signature}"
        )

    def item(
        self,
        item: Item,
        select: Iterable[str] | None = None,
        *,
        delta: bool = False,
        children: list[dict[str, object]] | None = None,
    ) -> dict[str, object]:
        """A driveItem; ``select`` keeps only those properties (and drops downloadUrl).

        In ``delta`` the parent's path is left out, as Microsoft documents, unless the caller
        selected ``parentReference``: real delta responses carry it then (GRAPH-second-wave
        §4), and clients have come to rely on it.
        """
        wanted = {s.strip() for s in select if s.strip()} if select is not None else None
        with_path = not delta or (wanted is not None and "parentReference" in wanted)
        body: dict[str, object] = {
            "id": item.id,
            "name": item.name,
            "size": item.size,
            "eTag": self.etag(item),
        }
        if (item.kind == "file" or self.flavour == "personal") and not (
            delta and self.flavour == "business"
        ):
            body["cTag"] = self.ctag(item)  # Business delta leaves it out (driveitem-delta.md)
        body.update(
            {
                "createdDateTime": iso(item.created_ms),
                "lastModifiedDateTime": iso(item.modified_ms),
                "webUrl": self.web_url(item),
                "createdBy": self.identity(item.created_by),
                "lastModifiedBy": self.identity(item.modified_by),
                "parentReference": self.parent_reference(item, with_path=with_path),
                "fileSystemInfo": {
                    "createdDateTime": iso(item.fs_created_ms),
                    "lastModifiedDateTime": iso(item.fs_modified_ms),
                },
            }
        )
        if item.parent is None:
            body["name"] = "root"
            body["root"] = {}
        if item.kind == "file":
            current = item.current
            assert current is not None
            hashes: dict[str, str] = {"quickXorHash": current.blob.quickxor}
            if self.flavour == "personal" and current.blob.sha1 is not None:
                hashes["sha1Hash"] = current.blob.sha1
            body["file"] = {"mimeType": item.mime or "application/octet-stream", "hashes": hashes}
            if wanted is None or DOWNLOAD_URL in wanted:
                body[DOWNLOAD_URL] = self.download_url(item, current)
        elif item.kind == "package":
            body["package"] = {"type": item.package_type or "oneNote"}
        else:
            assert item.children is not None
            body["folder"] = {"childCount": len(item.children)}
        if item.description is not None and self.flavour == "personal":
            body["description"] = item.description
        links = [p for p in item.permissions or () if p.link_type is not None]
        if links:
            body["shared"] = {
                "scope": links[-1].scope,
                "owner": self.identity(item.drive.owner.id),
                "sharedDateTime": iso(links[0].created_ms),
            }
        if children is not None:
            body["children"] = children
        if wanted is not None:
            body = {k: v for k, v in body.items() if k in wanted}
        return body

    def deleted_item(self, item: Item) -> dict[str, object]:
        """A deletion in delta: Personal leaves out size and cTag, Business the name and
        cTag and says size 0 (driveitem-delta.md remarks)."""
        body: dict[str, object] = {"id": item.id}
        if self.flavour == "business":
            body["size"] = 0
        else:
            body["name"] = item.name
        body["deleted"] = {"state": "deleted"}
        body["parentReference"] = self.parent_reference(item, with_path=False)
        if item.kind == "file":
            body["file"] = {}
        elif item.kind == "package":
            body["package"] = {"type": item.package_type or "oneNote"}
        else:
            body["folder"] = {"childCount": 0}
        return body

    def remote_item(self, item: Item) -> dict[str, object]:
        """An item of another drive as it appears in sharedWithMe and search."""
        inner = self.item(item)
        inner.pop("@microsoft.graph.downloadUrl", None)
        inner["parentReference"] = {
            "driveId": item.drive.id,
            "driveType": item.drive.drive_type,
            "id": item.parent.id if item.parent else None,
        }
        inner["shared"] = {"owner": self.identity(item.drive.owner.id), "scope": "users"}
        body: dict[str, object] = {
            k: inner[k]
            for k in ("id", "name", "size", "webUrl", "createdDateTime", "lastModifiedDateTime")
            if k in inner
        }
        body["remoteItem"] = inner
        for facet in ("file", "folder", "package"):
            if facet in inner:
                body[facet] = inner[facet]
        return body

    def permission(self, permission: Permission, item: Item) -> dict[str, object]:
        body: dict[str, object] = {"id": permission.id, "roles": list(permission.roles)}
        if permission.link_type is not None:
            link: dict[str, object] = {
                "type": permission.link_type,
                "scope": permission.scope,
                "webUrl": permission.web_url,
                "application": {
                    "id": permission.application_id or "",
                    "displayName": self._app_name(permission.application_id or ""),
                },
            }
            if permission.link_type == "embed":
                link["webHtml"] = (
                    f'<iframe src="{permission.web_url}" width="98" height="120" '
                    'frameborder="0" scrolling="no"></iframe>'
                )
            body["link"] = link
            body["hasPassword"] = permission.password is not None
            if permission.expiration is not None:
                body["expirationDateTime"] = permission.expiration
            body["shareId"] = permission.id
        elif permission.owner_id is not None:
            body["grantedTo"] = self.identity(permission.owner_id)
            body["grantedToV2"] = self.identity(permission.owner_id)
        return body

    def version(self, version: Version) -> dict[str, object]:
        return {
            "id": version.id,
            "lastModifiedDateTime": iso(version.modified_ms),
            "size": version.blob.size,
            "lastModifiedBy": self.identity(version.modified_by),
        }

    def user(self, user: User) -> dict[str, object]:
        return {
            "id": user.id,
            "displayName": user.display_name,
            "userPrincipalName": user.email,
            "mail": user.email,
        }


def _guid(hex32: str) -> str:
    h = hex32
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"
