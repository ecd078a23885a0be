"""driveItem JSON → ``Entry``, Graph timestamps, and how a path becomes a Graph URL.

Single items (a stat, an upload's answer) arrive as dicts and go through ``Converter.entry``.
Listing pages, 1,000 items each, are decoded straight from the response bytes by ``msgspec``
into ``DriveItem`` structs that hold only the properties an ``Entry`` needs (everything else
in the page is skipped by the decoder without building Python objects), then converted by
``Converter.listed``. A page whose shape the structs do not accept (a property of an
unexpected type) goes the dict way instead, so the two ways give the same entries.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast
from urllib.parse import quote

import msgspec

from core import errors
from core.backends.onedrive import names
from core.model import NO_HASHES, QUICKXOR, SHA1, SHA256, Entry, Version
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
    if text[-1] == "Z":
        # The usual form, parsed in C (beyond 6 fractional digits it truncates, as below).
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            pass
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


def item_hashes(item: dict[str, Any], hash_type: str) -> Mapping[str, str]:
    """The hashes Graph reports for a file item, under skypane's algorithm names."""
    if hash_type == "none":
        return NO_HASHES
    file = item.get("file")
    raw = file.get("hashes") if isinstance(file, dict) else None
    if not isinstance(raw, dict):
        return NO_HASHES
    return _hash_dict(raw.get("quickXorHash"), raw.get("sha1Hash"), raw.get("sha256Hash"))


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


# -- listing pages, decoded by msgspec ---------------------------------------------------------

#: The annotation on file items that holds a pre-authenticated download URL.
DOWNLOAD_URL = "@microsoft.graph.downloadUrl"
#: The properties a listing asks for (``$select``): those ``DriveItem`` reads.
LISTED_PROPERTIES = (
    "id,name,size,eTag,lastModifiedDateTime,fileSystemInfo,file,folder,root,package,deleted,webUrl"
)

Facet = msgspec.Raw | msgspec.UnsetType  # present or not; its content is not needed


class _Hashes(msgspec.Struct):
    quickXorHash: str | None = None
    sha1Hash: str | None = None
    sha256Hash: str | None = None


class _File(msgspec.Struct):
    mimeType: str | None = None
    hashes: _Hashes | None = None


class _FileSystemInfo(msgspec.Struct):
    lastModifiedDateTime: str | None = None


class DriveItem(msgspec.Struct, rename={"download_url": DOWNLOAD_URL}):
    """The properties of a listed driveItem that an ``Entry`` is made of."""

    name: str = ""
    id: str | None = None
    size: int | None = None
    eTag: str | None = None
    lastModifiedDateTime: str | None = None
    fileSystemInfo: _FileSystemInfo | None = None
    file: _File | msgspec.UnsetType | None = msgspec.UNSET
    folder: Facet = msgspec.UNSET
    root: Facet = msgspec.UNSET
    package: Facet = msgspec.UNSET
    deleted: Facet = msgspec.UNSET
    webUrl: str | None = None
    download_url: str | None = None


class _Page(msgspec.Struct, rename={"next_link": "@odata.nextLink"}):
    value: list[DriveItem] = []
    next_link: str | None = None


_NULL = msgspec.Raw(b"null")
_decode_page = msgspec.json.Decoder(_Page).decode


def decode_page(body: bytes) -> tuple[list[DriveItem | dict[str, Any]], str | None]:
    """A page of children: its items and its ``@odata.nextLink``.

    Items come as ``DriveItem`` structs, or as dicts when the page holds a property of a type
    the structs do not take (``Converter.entry`` deals with those as it always did).
    """
    try:
        page = _decode_page(body)
        return cast(list[DriveItem | dict[str, Any]], page.value), page.next_link
    except msgspec.ValidationError:
        pass
    except msgspec.DecodeError as exc:
        raise errors.TransientError("OneDrive sent a malformed answer", detail=str(exc)) from exc
    data = json.loads(body)  # valid JSON: the decoder took it apart before refusing a type
    if not isinstance(data, dict):
        raise errors.TransientError("OneDrive sent a malformed answer", detail="not an object")
    values = data.get("value")
    next_link = data.get("@odata.nextLink")
    return (
        [v for v in values if isinstance(v, dict)] if isinstance(values, list) else [],
        next_link if isinstance(next_link, str) else None,
    )


def listed_is_shown(item: DriveItem, expose_onenote: bool) -> bool:
    """Whether a listing shows ``item``: never a deleted one, OneNote notebooks on request."""
    if item.deleted is not msgspec.UNSET and item.deleted != _NULL:
        return False
    return expose_onenote or item.package is msgspec.UNSET


def dict_is_shown(item: dict[str, Any], expose_onenote: bool) -> bool:
    """``listed_is_shown`` for an item that came as a dict."""
    if "deleted" in item and item["deleted"] is not None:
        return False
    return expose_onenote or "package" not in item


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
        stored = item.get("name", "")
        if not isinstance(stored, str):
            raise errors.TransientError(
                "OneDrive sent a malformed answer", detail=f"a name that is no text: {stored!r}"
            )
        name = self.name(stored)
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
            hashes=item_hashes(item, self.hash_type) if not folder else NO_HASHES,
            id=item.get("id"),
            is_package=is_package(item),
            web_url=item.get("webUrl"),
            mime_type=_shared(mime) if isinstance(mime, str) else None,
            etag=item.get("eTag"),
        )

    def listed(self, item: DriveItem, folder: str) -> Entry:
        """``entry`` for a ``DriveItem`` of a listing of ``folder``."""
        is_dir = item.folder is not msgspec.UNSET or item.root is not msgspec.UNSET
        file = item.file
        mime = None
        hashes: Mapping[str, str] = NO_HASHES
        if file is not None and file is not msgspec.UNSET:
            mime = file.mimeType
            raw = file.hashes
            if raw is not None and not is_dir and self.hash_type != "none":
                hashes = _hash_dict(raw.quickXorHash, raw.sha1Hash, raw.sha256Hash)
        times = item.fileSystemInfo
        modified = parse_time(times.lastModifiedDateTime) if times is not None else None
        if modified is None:
            modified = parse_time(item.lastModifiedDateTime)
        name = names.decode(item.name) if self.encoding else item.name
        path = join(folder, name)
        return Entry(
            name=name if path != "/" else "",
            path=path,
            is_dir=is_dir,
            size=0 if is_dir else (item.size or 0),
            modified=modified,
            hashes=hashes,
            id=item.id,
            is_package=item.package is not msgspec.UNSET
            and file is msgspec.UNSET
            and item.folder is msgspec.UNSET,
            web_url=item.webUrl,
            mime_type=_shared(mime) if mime is not None else None,
            etag=item.eTag,
        )


#: Media types seen so far, so 100,000 listed files share a handful of strings.
_MEDIA_TYPES: dict[str, str] = {}


def _shared(mime: str) -> str:
    if len(_MEDIA_TYPES) > 10_000:
        _MEDIA_TYPES.clear()
    return _MEDIA_TYPES.setdefault(mime, mime)


def _hash_dict(quickxor: Any, sha1: Any, sha256: Any) -> Mapping[str, str]:
    out: dict[str, str] = {}
    if isinstance(quickxor, str):
        out[QUICKXOR] = quickxor
    if isinstance(sha1, str):
        out[SHA1] = sha1.lower()
    if isinstance(sha256, str):
        out[SHA256] = sha256.lower()
    return out or NO_HASHES


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
