"""driveItem JSON → ``Entry``, Graph timestamps, and how a path becomes a Graph URL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from core.backends.onedrive import names
from core.model import QUICKXOR, SHA1, SHA256, Entry, Version
from core.paths import join

#: Characters left unescaped in a path segment (RFC 3986 sub-delims, ``@``; GRAPH.md §2.1).
SEGMENT_SAFE = "!$&'()*+,;=@"
#: Office formats a SharePoint document library rewrites as it stores them (its metadata merged
#: in, so size and hash change; GRAPH.md §4 and §21's rclone notes).
_OFFICE = ".docx .docm .dotx .dotm .xlsx .xlsm .xltx .xltm .xlsb .pptx .pptm .potx .potm .ppsx"
OFFICE_EXTENSIONS = frozenset((_OFFICE + " .ppsm .vsdx .vsdm .one").split(" "))


def is_office(path: str) -> bool:
    """Whether ``path`` names an Office document (by its extension, any case)."""
    dot = path.rfind(".")
    return dot > path.rfind("/") and path[dot:].lower() in OFFICE_EXTENSIONS


def parse_time(text: Any) -> datetime | None:
    """A Graph timestamp (``Z``, 0–7 fractional digits) as an aware datetime, or None."""
    if not isinstance(text, str) or not text:
        return None
    head, dot, frac = text.rstrip("Z").partition(".")
    try:
        moment = datetime.fromisoformat(head).replace(tzinfo=UTC)
    except ValueError:
        return None
    if dot and frac.isdigit():
        moment = moment.replace(microsecond=int(frac[:6].ljust(6, "0")))
    return moment


def format_time(moment: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SS[.fff]Z`` in UTC, milliseconds without trailing zeros."""
    utc = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    text = utc.strftime("%Y-%m-%dT%H:%M:%S")
    millis = utc.microsecond // 1000
    if millis:
        text += f".{millis:03d}".rstrip("0")
    return text + "Z"


def file_system_info(modified: datetime, created: datetime | None = None) -> dict[str, str]:
    """The ``fileSystemInfo`` facet for a modification (and creation) time."""
    info = {"lastModifiedDateTime": format_time(modified)}
    if created is not None:
        info["createdDateTime"] = format_time(created)
    return info


def item_hashes(item: dict[str, Any], hash_type: str) -> dict[str, str]:
    """The hashes Graph reports for a file item, under skypane's algorithm names."""
    if hash_type == "none":
        return {}
    file = item.get("file")
    raw = file.get("hashes") if isinstance(file, dict) else None
    if not isinstance(raw, dict):
        return {}
    out: dict[str, str] = {}
    if isinstance(raw.get("quickXorHash"), str):
        out[QUICKXOR] = raw["quickXorHash"]
    if isinstance(raw.get("sha1Hash"), str):
        out[SHA1] = raw["sha1Hash"].lower()
    if isinstance(raw.get("sha256Hash"), str):
        out[SHA256] = raw["sha256Hash"].lower()
    return out


def is_folder(item: dict[str, Any]) -> bool:
    return "folder" in item or "root" in item


def is_package(item: dict[str, Any]) -> bool:
    return "package" in item and "file" not in item and "folder" not in item


def modified_of(item: dict[str, Any]) -> datetime | None:
    """The client modification time (``fileSystemInfo``), else the service's."""
    fsi = item.get("fileSystemInfo")
    if isinstance(fsi, dict):
        moment = parse_time(fsi.get("lastModifiedDateTime"))
        if moment is not None:
            return moment
    return parse_time(item.get("lastModifiedDateTime"))


@dataclass(frozen=True, slots=True)
class Converter:
    """Turns driveItems into entries with one remote's settings."""

    encoding: bool = True
    hash_type: str = QUICKXOR

    def name(self, stored: str) -> str:
        return names.decode(stored) if self.encoding else stored

    def stored(self, name: str) -> str:
        return names.encode(name) if self.encoding else name

    def entry(self, item: dict[str, Any], parent_path: str, *, path: str | None = None) -> Entry:
        """The entry for ``item`` inside ``parent_path`` (or at ``path`` when given)."""
        folder = is_folder(item)
        name = self.name(item.get("name", ""))
        if path is None:
            path = join(parent_path, name)
        file = item.get("file")
        mime = file.get("mimeType") if isinstance(file, dict) else None
        return Entry(
            name=name if path != "/" else "",
            path=path,
            is_dir=folder,
            size=0 if folder else int(item.get("size") or 0),
            modified=modified_of(item),
            hashes=item_hashes(item, self.hash_type) if not folder else {},
            id=item.get("id"),
            is_package=is_package(item),
            web_url=item.get("webUrl"),
            mime_type=mime if isinstance(mime, str) else None,
            etag=item.get("eTag"),
        )


def version_of(value: dict[str, Any], current: bool) -> Version:
    """A ``driveItemVersion`` as a ``Version``."""
    author = None
    by = value.get("lastModifiedBy")
    if isinstance(by, dict):
        user = by.get("user") or by.get("application") or {}
        if isinstance(user, dict):
            author = user.get("displayName") or user.get("email")
    return Version(
        id=str(value.get("id")),
        modified=parse_time(value.get("lastModifiedDateTime")),
        size=int(value.get("size") or 0),
        author=author,
        current=current,
    )


@dataclass(frozen=True, slots=True)
class Address:
    """A Graph URL (relative to the Graph base) plus the query it needs."""

    url: str
    params: dict[str, str]


@dataclass(frozen=True, slots=True)
class Addressing:
    """Builds item URLs from stored (encoded) paths relative to the remote's root.

    ``drive`` is ``drives/{id}`` or ``me/drive``; ``root_id`` a ``root_folder_id`` option.
    China's Graph rejects ``items/{id}:/path:`` addressing, so ``china`` switches to the
    ``children('@a1')?@a1='path'`` form rclone uses there (GRAPH.md §2.1).
    """

    drive: str
    root_id: str | None = None
    china: bool = False

    @property
    def root(self) -> str:
        return (
            f"{self.drive}/items/{quote(self.root_id, safe='!')}"
            if self.root_id
            else (f"{self.drive}/root")
        )

    def by_id(self, item_id: str, suffix: str = "") -> Address:
        url = f"{self.drive}/items/{quote(item_id, safe='!')}"
        return Address(f"{url}/{suffix}" if suffix else url, {})

    def by_path(self, stored: str, suffix: str = "") -> Address:
        """``stored``: encoded path relative to the root, ``""`` for the root itself."""
        rel = stored.strip("/")
        tail = f"/{suffix}" if suffix else ""
        if not rel:
            return Address(self.root + tail, {})
        if self.china:
            literal = "'" + rel.replace("'", "''") + "'"
            return Address(f"{self.root}/children('@a1'){tail}", {"@a1": literal})
        quoted = "/".join(quote(seg, safe=SEGMENT_SAFE) for seg in rel.split("/"))
        return Address(f"{self.root}:/{quoted}:{tail}", {})
