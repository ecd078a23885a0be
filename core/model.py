"""Plain values that flow from backends to the engine and the UI.

Everything here is a frozen dataclass with slots: a 100,000-entry listing is a list of
small immutable objects, cheap to build, share between threads and compare.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType

#: Shared empty mapping so entries without hashes carry no dict of their own.
NO_HASHES: Mapping[str, str] = MappingProxyType({})


def _no_hashes() -> Mapping[str, str]:
    return NO_HASHES


#: Hash algorithm names used across backends (values: base64 for quickxor, hex otherwise).
QUICKXOR = "quickxor"
SHA1 = "sha1"
SHA256 = "sha256"


@dataclass(frozen=True, slots=True)
class Entry:
    """One file or folder as a backend lists it.

    ``path`` is the entry's full path in its backend: POSIX separators, starting with
    ``/`` (for the local backend the absolute filesystem path, decoded with
    ``os.fsdecode`` so that names which are not valid UTF-8 survive a round trip).
    """

    name: str
    path: str
    is_dir: bool
    size: int = 0
    modified: datetime | None = None
    hashes: Mapping[str, str] = field(default_factory=_no_hashes, hash=False)
    id: str | None = None
    #: Exact modification time in nanoseconds where the backend has it (datetime stops at µs).
    mtime_ns: int | None = None
    is_link: bool = False
    link_target: str | None = None
    #: What a local entry is when it is neither a regular file nor a folder ("named pipe",
    #: "socket", "character device", "block device", "door"): never opened, never copied.
    special: str | None = None
    is_hidden: bool = False
    is_package: bool = False
    web_url: str | None = None
    mime_type: str | None = None
    #: The backend's version tag of the item (OneDrive's eTag): changes whenever it does.
    etag: str | None = None
    #: Permission bits where the backend has them (the local disk).
    mode: int | None = None

    def hash(self, algorithm: str) -> str | None:
        """The stored hash for ``algorithm``, if the backend knows it."""
        return self.hashes.get(algorithm)


@dataclass(frozen=True, slots=True)
class Quota:
    """Storage figures of a drive; ``None`` where the service does not say."""

    total: int | None
    used: int | None
    remaining: int | None = None
    deleted: int | None = None
    state: str | None = None  # normal / nearing / critical / exceeded

    @property
    def free(self) -> int | None:
        if self.remaining is not None:
            return self.remaining
        if self.total is not None and self.used is not None:
            return max(self.total - self.used, 0)
        return None


class LinkType(enum.StrEnum):
    VIEW = "view"
    EDIT = "edit"
    EMBED = "embed"


class LinkScope(enum.StrEnum):
    ANONYMOUS = "anonymous"
    ORGANIZATION = "organization"
    USERS = "users"


@dataclass(frozen=True, slots=True)
class LinkRequest:
    """What the user asks for when creating a share link."""

    type: LinkType = LinkType.VIEW
    scope: LinkScope = LinkScope.ANONYMOUS
    expires: datetime | None = None
    password: str | None = None
    recipients: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Link:
    """An existing share link (a Graph ``permission`` with a ``link`` facet)."""

    id: str
    url: str
    type: str
    scope: str
    expires: datetime | None = None
    has_password: bool = False
    roles: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LinkSupport:
    """Which link options a drive accepts; a reason string where an option is refused."""

    types: tuple[LinkType, ...] = tuple(LinkType)
    scopes: tuple[LinkScope, ...] = tuple(LinkScope)
    password: bool = True
    expiry: bool = True
    reasons: Mapping[str, str] = field(default_factory=_no_hashes, hash=False)


@dataclass(frozen=True, slots=True)
class Version:
    """One stored version of a file, newest first in listings; ``current`` marks the live one."""

    id: str
    modified: datetime | None
    size: int
    author: str | None = None
    current: bool = False


@dataclass(frozen=True, slots=True)
class VersionSupport:
    """What a drive lets you do with versions."""

    can_delete: bool = True
    delete_refusal: str | None = None


@dataclass(frozen=True, slots=True)
class RecycledItem:
    """One entry of a recycle bin. ``id`` names the deletion, not the item that was deleted."""

    id: str
    name: str
    size: int
    deleted: datetime | None = None
    #: Where it was deleted from, as the service words it ("Shared Documents/folder1").
    original: str | None = None
    deleted_by: str | None = None


@dataclass(frozen=True, slots=True)
class RecycleSupport:
    """What a drive's recycle bin allows through the API, and where its web page is."""

    can_list: bool
    can_restore: bool
    can_empty: bool
    #: Why listing (or more) is not possible here, for the user.
    reason: str | None = None
    web_url: str | None = None


@dataclass(frozen=True, slots=True)
class RestoreResult:
    """What became of one restore: ``error`` says why it failed (its folder is gone …)."""

    id: str
    ok: bool
    error: str | None = None
