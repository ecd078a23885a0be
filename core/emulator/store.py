"""The drive tree and every change to it: create, replace, rename, move, delete, copy.

Callers hold ``Emulator.lock``. Every change bumps the item's change sequence (for delta),
its eTag (and cTag when content changes), and walks up the ancestors to keep folder
sizes, folder cTags and change sequences current.
"""

from __future__ import annotations

import base64
import bisect
import random
import uuid
from collections.abc import Iterator

from .blobs import Blob, BlobStore
from .clock import Clock
from .config import EmulatorConfig
from .errors import GraphError, bad_request, conflict, not_found
from .model import Drive, Item, Site, User, Version
from .names import check_name, check_path_length, fold, unique_name

Conflict = str  # "fail" | "replace" | "rename"


class Store:
    """Users, drives, sites and items of one emulator."""

    def __init__(self, config: EmulatorConfig, clock: Clock, blobs: BlobStore) -> None:
        self.config = config
        self.flavour = config.flavour
        self.clock = clock
        self.blobs = blobs
        self.rng = random.Random(config.id_seed)
        self.users: dict[str, User] = {}
        self.drives: dict[str, Drive] = {}
        self.sites: dict[str, Site] = {}
        self.seq = 1
        #: (milliseconds, sequence) of each change of this run, for Business delta tokens
        #: that are timestamps (a reloaded state starts empty: older times mean "all").
        self.seq_times: list[tuple[int, int]] = []
        #: Items whose persisted record is out of date (folder-backed state).
        self.dirty: set[Item] = set()
        self.removed: set[tuple[str, str]] = set()
        #: Whether changes are recorded in ``dirty``/``removed`` (folder-backed state only).
        self.tracking = False

    def _mark(self, item: Item) -> None:
        if self.tracking:
            self.dirty.add(item)

    # ----------------------------------------------------------------- ids and lookups
    def random_guid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def random_hex(self) -> str:
        """32 random hex digits: an item's GUID (formatted only when rendered)."""
        return f"{self.rng.getrandbits(128):032X}"

    def new_drive_id(self) -> str:
        if self.flavour == "personal":
            return f"{self.rng.getrandbits(64):016x}"
        raw = self.rng.getrandbits(384).to_bytes(48, "big")
        return "b!" + base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def new_item_id(self, drive: Drive) -> str:
        if self.flavour == "personal":
            drive.item_counter += 1
            return f"{drive.id.upper()}!{drive.item_counter}"
        return f"01{self.rng.getrandbits(128):032X}"

    def drive(self, drive_id: str) -> Drive:
        found = self.drives.get(drive_id) or self.drives.get(drive_id.lower())
        if found is None:
            for candidate in self.drives.values():
                if candidate.id.lower() == drive_id.lower():
                    return candidate
            raise GraphError(404, "itemNotFound", "The drive does not exist")
        return found

    def item(self, drive: Drive, item_id: str) -> Item:
        found = drive.items.get(item_id)
        if found is None or found.trashed:
            raise not_found()
        return found

    def resolve(self, base: Item, relative: str) -> Item:
        """The item at ``relative`` (decoded, ``/``-separated) below ``base``."""
        node = base
        for segment in relative.split("/"):
            if not segment:
                continue
            if node.children is None:
                raise not_found()
            child = node.children.get(fold(segment))
            if child is None:
                raise not_found()
            node = child
        return node

    def walk(self, item: Item) -> Iterator[Item]:
        """``item`` and all its descendants, parents before children."""
        stack = [item]
        while stack:
            node = stack.pop()
            yield node
            if node.children:
                stack.extend(node.children.values())

    # ----------------------------------------------------------------- drives
    def add_user(self, user: User) -> User:
        self.users[user.id] = user
        return user

    def create_drive(
        self, owner: User, drive_type: str, name: str, web_url: str, site_id: str | None = None
    ) -> Drive:
        drive = Drive(
            id=self.new_drive_id(),
            drive_type=drive_type,
            name=name,
            owner=owner,
            quota_total=self.config.total_quota(),
            web_url=web_url,
            site_id=site_id,
        )
        now = self.clock.now_ms()
        root = Item(
            id=self.new_item_id(drive),
            drive=drive,
            name="root",
            kind="folder",
            parent=None,
            created_ms=now,
            modified_ms=now,
            fs_created_ms=now,
            fs_modified_ms=now,
            created_by=owner.id,
            modified_by=owner.id,
            guid=self.random_hex(),
            children={},
        )
        drive.root = root
        drive.items[root.id] = root
        self._changed(root)
        self.drives[drive.id] = drive
        return drive

    # ----------------------------------------------------------------- change tracking
    def _changed(self, item: Item, *, content: bool = False, size_delta: int = 0) -> None:
        """Record a change of ``item`` and of everything that derives from it upwards."""
        now = self._next_seq()
        item.seq = self.seq
        item.etag_n += 1
        if content:
            item.ctag_n += 1
        self._mark(item)
        for ancestor in item.ancestors():
            ancestor.seq = self.seq
            ancestor.ctag_n += 1
            ancestor.size += size_delta
            self._mark(ancestor)
        if item.parent is not None:
            item.parent.modified_ms = now

    def _next_seq(self) -> int:
        """A new change sequence number, remembered with the time; returns the time (ms)."""
        now = self.clock.now_ms()
        self.seq += 1
        # Kept in order even if a test turns the clock back.
        stamp = max(now, self.seq_times[-1][0]) if self.seq_times else now
        self.seq_times.append((stamp, self.seq))
        return now

    def seq_at(self, ms: int) -> int:
        """The last change sequence at or before ``ms`` (0 before every recorded one)."""
        index = bisect.bisect_right(self.seq_times, (ms, self.seq + 1))
        return self.seq_times[index - 1][1] if index else 0

    def fs_time(self, ms: int) -> int:
        """Client times as the flavour stores them (Business keeps whole seconds)."""
        return ms - ms % 1000 if self.flavour == "business" else ms

    # ----------------------------------------------------------------- names
    def place(
        self, parent: Item, name: str, behaviour: Conflict, *, is_folder: bool
    ) -> tuple[str, Item | None]:
        """Check ``name`` for a new child of ``parent``; return the name to use and the
        existing item that ``replace`` will overwrite."""
        if parent.children is None:
            raise bad_request("The parent is not a folder")
        check_name(name, self.flavour, is_folder=is_folder, at_root=parent.parent is None)
        parent_path = parent.path()
        check_path_length(f"{parent_path}/{name}" if parent_path else name)
        existing = parent.children.get(fold(name))
        if existing is None:
            return name, None
        if behaviour == "rename":
            return unique_name(name, parent.children), None
        if behaviour == "replace":
            return name, existing
        raise conflict(f"An item named '{existing.name}' already exists")

    # ----------------------------------------------------------------- creating
    def _new_item(self, parent: Item, name: str, kind: str, user: str) -> Item:
        now = self.clock.now_ms()
        drive = parent.drive
        item = Item(
            id=self.new_item_id(drive),
            drive=drive,
            name=name,
            kind=kind,
            parent=parent,
            created_ms=now,
            modified_ms=now,
            fs_created_ms=self.fs_time(now),
            fs_modified_ms=self.fs_time(now),
            created_by=user,
            modified_by=user,
            guid=self.random_hex(),
            children={} if kind != "file" else None,
        )
        drive.items[item.id] = item
        parent.add_child(item)
        return item

    def create_folder(
        self, parent: Item, name: str, behaviour: Conflict, user: str, *, package: str | None = None
    ) -> Item:
        name, existing = self.place(parent, name, behaviour, is_folder=True)
        if existing is not None:
            self.trash(existing)
        item = self._new_item(parent, name, "package" if package else "folder", user)
        item.package_type = package
        self._changed(item)
        return item

    def write_file(
        self,
        parent: Item,
        name: str,
        blob: Blob,
        behaviour: Conflict,
        user: str,
        *,
        fs_created_ms: int | None = None,
        fs_modified_ms: int | None = None,
        description: str | None = None,
    ) -> tuple[Item, bool]:
        """Create ``name`` in ``parent`` or give an existing file a new version.

        Returns the item and whether it was created.
        """
        name, existing = self.place(parent, name, behaviour, is_folder=False)
        if existing is not None and existing.kind != "file":
            raise conflict(f"'{existing.name}' is a folder")
        if existing is not None:
            self.new_version(existing, blob, user, fs_created_ms, fs_modified_ms)
            if description is not None:
                existing.description = description
            return existing, False
        item = self._create_file(parent, name, blob, user, fs_created_ms, fs_modified_ms)
        item.description = description
        return item, True

    def plant(self, parent: Item, name: str, blob: Blob | None, user: str) -> Item:
        """A child called exactly ``name`` (no name rules, no conflict check): a file with
        ``blob``, or a folder. For tests that play a hostile or broken server only."""
        if parent.children is None:
            raise bad_request("The parent is not a folder")
        if blob is not None:
            return self._create_file(parent, name, blob, user, None, None)
        item = self._new_item(parent, name, "folder", user)
        self._changed(item)
        return item

    def _create_file(
        self,
        parent: Item,
        name: str,
        blob: Blob,
        user: str,
        fs_created_ms: int | None,
        fs_modified_ms: int | None,
    ) -> Item:
        self.check_quota(parent.drive, blob.size)
        item = self._new_item(parent, name, "file", user)
        item.mime = guess_mime(name)
        if fs_created_ms is not None:
            item.fs_created_ms = self.fs_time(fs_created_ms)
        item.versions = []
        self._append_version(item, blob, user, fs_modified_ms)
        item.size = blob.size
        parent.drive.file_count += 1
        self._changed(item, content=True, size_delta=blob.size)
        return item

    def check_quota(self, drive: Drive, extra: int) -> None:
        if drive.used + extra > drive.quota_total:
            raise GraphError(507, "quotaLimitReached", "Insufficient Space Available")

    def _append_version(
        self, item: Item, blob: Blob, user: str, fs_modified_ms: int | None
    ) -> Version:
        assert item.versions is not None
        now = self.clock.now_ms()
        item.version_counter += 1
        item.fs_modified_ms = self.fs_time(now if fs_modified_ms is None else fs_modified_ms)
        version = Version(
            id=f"{item.version_counter}.0",
            blob=self.blobs.retain(blob),
            modified_ms=now,
            modified_by=user,
            fs_modified_ms=item.fs_modified_ms,
        )
        item.versions.append(version)
        item.modified_ms = now
        item.modified_by = user
        item.drive.used += blob.size
        # Business keeps 500 major versions; drop the oldest beyond that.
        while len(item.versions) > 500:
            self._drop_version(item, item.versions[0])
        return version

    def _drop_version(self, item: Item, version: Version) -> None:
        assert item.versions is not None
        item.versions.remove(version)
        item.drive.used -= version.blob.size
        self.blobs.release(version.blob)

    def new_version(
        self,
        item: Item,
        blob: Blob,
        user: str,
        fs_created_ms: int | None = None,
        fs_modified_ms: int | None = None,
    ) -> Version:
        """Make ``blob`` the current content of file ``item``."""
        self.check_quota(item.drive, blob.size)
        old_size = item.size
        version = self._append_version(item, blob, user, fs_modified_ms)
        if fs_created_ms is not None:
            item.fs_created_ms = self.fs_time(fs_created_ms)
        item.size = blob.size
        self._changed(item, content=True, size_delta=blob.size - old_size)
        return version

    def delete_version(self, item: Item, version: Version) -> None:
        self._drop_version(item, version)
        self._changed(item)

    def add_files_bulk(self, parent: Item, names: list[str], content: bytes) -> list[Item]:
        """Many files sharing one content, with one change record (fixtures, benchmarks)."""
        assert parent.children is not None
        blob = self.blobs.from_bytes(content, self.flavour == "personal")
        drive = parent.drive
        owner = drive.owner.id
        now = self._next_seq()
        mime = guess_mime(names[0]) if names else None
        created: list[Item] = []
        for name in names:
            key = fold(name)
            if key in parent.children:
                raise conflict(f"An item named '{name}' already exists")
            item = Item(
                id=self.new_item_id(drive),
                drive=drive,
                name=name,
                kind="file",
                parent=parent,
                created_ms=now,
                modified_ms=now,
                fs_created_ms=self.fs_time(now),
                fs_modified_ms=self.fs_time(now),
                created_by=owner,
                modified_by=owner,
                guid=self.random_hex(),
                seq=self.seq,
                size=blob.size,
                mime=mime,
                versions=[Version("1.0", blob, now, owner, self.fs_time(now))],
                version_counter=1,
            )
            parent.children[key] = item
            drive.items[item.id] = item
            created.append(item)
        blob.refs += len(created)
        parent.sorted_keys = None
        total = blob.size * len(created)
        drive.used += total
        drive.file_count += len(created)
        if self.tracking:
            self.dirty.update(created)
        for ancestor in [parent, *parent.ancestors()]:
            ancestor.seq = self.seq
            ancestor.ctag_n += 1
            ancestor.size += total
            self._mark(ancestor)
        parent.modified_ms = now
        return created

    # ----------------------------------------------------------------- metadata
    def set_file_times(
        self, item: Item, created_ms: int | None, modified_ms: int | None, user: str
    ) -> None:
        if created_ms is not None:
            item.fs_created_ms = self.fs_time(created_ms)
        if modified_ms is not None:
            item.fs_modified_ms = self.fs_time(modified_ms)
            current = item.current
            if self.flavour == "business" and current is not None:
                # Business makes a version of every change, an mtime change included.
                version = self._append_version(item, current.blob, user, modified_ms)
                version.fs_modified_ms = item.fs_modified_ms
        item.modified_ms = self.clock.now_ms()
        item.modified_by = user
        self._changed(item)

    def move(self, item: Item, parent: Item, name: str, behaviour: Conflict, user: str) -> None:
        """Rename and/or move ``item`` under ``parent``."""
        if item.parent is None:
            raise bad_request("The root can't be renamed or moved")
        if parent.drive is not item.drive:
            raise bad_request("Moving items between drives is not supported")
        if parent is item or item in parent.ancestors():
            raise bad_request("An item can't be moved into itself")
        same_place = parent is item.parent and fold(name) == fold(item.name)
        if same_place:
            check_name(name, self.flavour, is_folder=item.kind != "file")
            if name == item.name:
                return
        else:
            name, existing = self.place(parent, name, behaviour, is_folder=item.kind != "file")
            if existing is not None:
                self.trash(existing)
        old_parent = item.parent
        self._changed(item, size_delta=-item.size)  # leaves the old ancestors
        old_parent.remove_child(item)
        item.name = name
        item.parent = parent
        parent.add_child(item)
        item.etag_n -= 1  # one change, counted once
        item.modified_by = user
        self._changed(item, size_delta=item.size)

    # ----------------------------------------------------------------- deleting
    def stored_bytes(self, item: Item) -> int:
        """Bytes ``item`` and its descendants hold, old versions included."""
        return sum(
            sum(v.blob.size for v in node.versions) for node in self.walk(item) if node.versions
        )

    def trash(self, item: Item) -> None:
        """Move ``item`` (and its subtree) to the recycle bin."""
        if item.parent is None:
            raise GraphError(403, "accessDenied", "The root can't be deleted")
        self._changed(item, size_delta=-item.size)
        item.parent.remove_child(item)
        item.deleted_ms = self.clock.now_ms()
        drive = item.drive
        drive.deleted += self.stored_bytes(item)
        for node in self.walk(item):
            node.trashed = True
            drive.tombstones[node.id] = (self.seq, node)
            self._mark(node)
            if node.kind == "file":
                drive.file_count -= 1

    def permanent_delete(self, item: Item) -> None:
        """Remove ``item`` for good, bypassing (or emptying from) the recycle bin."""
        if not item.trashed:
            self.trash(item)
        drive = item.drive
        drive.deleted -= self.stored_bytes(item)
        for node in list(self.walk(item)):
            for version in list(node.versions or ()):
                self._drop_version(node, version)
            drive.items.pop(node.id, None)
            self.dirty.discard(node) if self.tracking else None
            if self.tracking:
                self.removed.add((drive.id, node.id))

    def restore(self, item: Item, parent: Item | None = None, name: str | None = None) -> None:
        """Bring ``item`` (deleted by itself, not with a folder) back from the recycle bin,
        into its old folder or ``parent``; refused when that folder is gone or the name taken."""
        if not item.trashed or not item.deleted_ms or item.id not in item.drive.items:
            raise GraphError(404, "itemNotFound", "The item is not in the recycle bin")
        into = parent if parent is not None else item.parent
        if into is None or into.trashed or into.id not in into.drive.items:
            raise GraphError(
                409, "conflict", "The folder the item was deleted from no longer exists"
            )
        if into.children is None:
            raise GraphError(400, "invalidRequest", "The target is not a folder")
        new_name = name or item.name
        if fold(new_name) in into.children:
            raise GraphError(409, "nameAlreadyExists", "An item with that name already exists")
        drive = item.drive
        drive.deleted -= self.stored_bytes(item)
        item.name, item.parent, item.deleted_ms = new_name, into, 0
        for node in self.walk(item):
            node.trashed = False
            drive.tombstones.pop(node.id, None)
            self._mark(node)
            if node.kind == "file":
                drive.file_count += 1
        into.add_child(item)
        self._changed(item, size_delta=item.size)

    def empty_recycle_bin(self, drive: Drive) -> None:
        for item in [i for i in drive.items.values() if i.trashed]:
            if item.id in drive.items and (item.parent is None or not item.parent.trashed):
                self.permanent_delete(item)

    # ----------------------------------------------------------------- copying
    def copy(self, item: Item, parent: Item, name: str, behaviour: Conflict, user: str) -> Item:
        """Copy ``item`` (recursively) under ``parent`` as ``name``; contents are shared."""
        if parent is item or item in parent.ancestors():
            raise bad_request("A folder can't be copied into itself")
        name, existing = self.place(parent, name, behaviour, is_folder=item.kind != "file")
        if existing is not None:
            self.trash(existing)
        return self._copy_into(item, parent, name, user)

    def _copy_into(self, item: Item, parent: Item, name: str, user: str) -> Item:
        if item.kind == "file":
            current = item.current
            assert current is not None
            copied, _ = self.write_file(parent, name, current.blob, "fail", user)
            copied.description = item.description
            return copied
        folder = self.create_folder(parent, name, "fail", user, package=item.package_type)
        for child in sorted((item.children or {}).values(), key=lambda c: fold(c.name)):
            self._copy_into(child, folder, child.name, user)
        return folder


_MIME = {
    ".txt": "text/plain",
    ".md": "text/markdown",
    ".csv": "text/csv",
    ".json": "application/json",
    ".html": "text/html",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
    ".pdf": "application/pdf",
    ".zip": "application/zip",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".one": "application/msonenote",
    ".mp4": "video/mp4",
    ".mp3": "audio/mpeg",
}


def guess_mime(name: str) -> str:
    dot = name.rfind(".")
    return (
        _MIME.get(name[dot:].lower(), "application/octet-stream")
        if dot >= 0
        else ("application/octet-stream")
    )
