"""The emulator's state objects: users, drives, items, versions, permissions, sites."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from .blobs import Blob
from .names import fold


@dataclass(slots=True)
class User:
    id: str
    display_name: str
    email: str
    tenant_id: str

    def identity(self) -> dict[str, object]:
        return {"user": {"id": self.id, "displayName": self.display_name, "email": self.email}}


@dataclass(slots=True, eq=False)
class Version:
    """One content of a file. The last of ``Item.versions`` is the current one."""

    id: str
    blob: Blob
    modified_ms: int
    modified_by: str
    fs_modified_ms: int


@dataclass(slots=True, eq=False)
class Permission:
    id: str
    roles: list[str]
    link_type: str | None = None
    scope: str | None = None
    web_url: str | None = None
    password: str | None = None
    expiration: str | None = None
    owner_id: str | None = None
    application_id: str | None = None
    created_ms: int = 0


@dataclass(slots=True, eq=False)
class Item:
    """A file, folder, package (OneNote notebook) or drive root."""

    id: str
    drive: Drive
    name: str
    kind: str  # "file" | "folder" | "package"
    parent: Item | None
    created_ms: int
    modified_ms: int
    fs_created_ms: int
    fs_modified_ms: int
    created_by: str
    modified_by: str
    guid: str
    seq: int = 0
    etag_n: int = 1
    ctag_n: int = 1
    size: int = 0
    mime: str | None = None
    description: str | None = None
    #: Folded name → child, for folders, packages and the root.
    children: dict[str, Item] | None = None
    versions: list[Version] | None = None
    permissions: list[Permission] | None = None
    version_counter: int = 0
    trashed: bool = False
    #: When the item itself (not a folder above it) went to the recycle bin; 0 otherwise.
    deleted_ms: int = 0
    package_type: str | None = None
    #: Sorted (folded name, id) of children, rebuilt lazily after a change.
    sorted_keys: list[tuple[str, str]] | None = None

    @property
    def is_container(self) -> bool:
        return self.children is not None

    @property
    def is_root(self) -> bool:
        return self.parent is None and self.kind == "folder" and self is self.drive.root

    @property
    def current(self) -> Version | None:
        return self.versions[-1] if self.versions else None

    def path(self) -> str:
        """Decoded path relative to the drive root (``""`` for the root, ``a/b.txt``)."""
        parts: list[str] = []
        node: Item | None = self
        while node is not None and node.parent is not None:
            parts.append(node.name)
            node = node.parent
        return "/".join(reversed(parts))

    def depth(self) -> int:
        depth, node = 0, self.parent
        while node is not None:
            depth, node = depth + 1, node.parent
        return depth

    def ancestors(self) -> list[Item]:
        found: list[Item] = []
        node = self.parent
        while node is not None:
            found.append(node)
            node = node.parent
        return found

    def child_keys(self) -> list[tuple[str, str]]:
        """Children in name order as (folded name, id), cached until the next change."""
        assert self.children is not None
        if self.sorted_keys is None:
            self.sorted_keys = sorted((key, child.id) for key, child in self.children.items())
        return self.sorted_keys

    def add_child(self, child: Item) -> None:
        assert self.children is not None
        key = fold(child.name)
        self.children[key] = child
        if self.sorted_keys is not None:
            bisect.insort(self.sorted_keys, (key, child.id))

    def remove_child(self, child: Item) -> None:
        assert self.children is not None
        key = fold(child.name)
        del self.children[key]
        if self.sorted_keys is not None:
            index = bisect.bisect_left(self.sorted_keys, (key, child.id))
            if index < len(self.sorted_keys) and self.sorted_keys[index] == (key, child.id):
                del self.sorted_keys[index]


@dataclass(slots=True, eq=False)
class Drive:
    id: str
    drive_type: str  # personal | business | documentLibrary
    name: str
    owner: User
    quota_total: int
    web_url: str
    site_id: str | None = None
    root: Item = field(init=False)
    #: Every item of the drive by id, including trashed ones.
    items: dict[str, Item] = field(default_factory=dict)
    #: Ids of items removed for good (or trashed) → change sequence, for delta.
    tombstones: dict[str, tuple[int, Item]] = field(default_factory=dict)
    item_counter: int = 100
    #: Bytes of current contents, old versions and the recycle bin.
    used: int = 0
    deleted: int = 0
    file_count: int = 0
    #: Items shared with this drive's owner (other drives' items), for sharedWithMe.
    shared_with_me: list[tuple[str, str]] = field(default_factory=list)


@dataclass(slots=True)
class Site:
    id: str
    name: str
    display_name: str
    web_url: str
    drive_ids: list[str] = field(default_factory=list)
