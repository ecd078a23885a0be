"""Folder-backed state: an SQLite file for metadata, one file per content blob.

Only items that changed since the last save are written, so saving after each request
stays cheap with 100,000 entries. Delta tokens of an earlier run answer 410 (the drive's
change history is not kept), as Graph does for tokens that are too old.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .blobs import Blob
from .identity import AccessToken, RefreshToken
from .model import Drive, Item, Permission, Site, User, Version
from .names import fold

if TYPE_CHECKING:
    from .emulator import Emulator

STATE_FILE = "state.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS items (
    drive_id TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (drive_id, id)
);
CREATE TABLE IF NOT EXISTS blobs (
    id TEXT PRIMARY KEY, size INTEGER NOT NULL, quickxor TEXT NOT NULL, sha1 TEXT
);
"""


def _permission(p: Permission) -> dict[str, Any]:
    return {
        "id": p.id,
        "roles": p.roles,
        "type": p.link_type,
        "scope": p.scope,
        "url": p.web_url,
        "password": p.password,
        "expiration": p.expiration,
        "owner": p.owner_id,
        "app": p.application_id,
        "created": p.created_ms,
    }


def _item_body(item: Item) -> str:
    return json.dumps(
        {
            "parent": item.parent.id if item.parent else None,
            "name": item.name,
            "kind": item.kind,
            "times": [item.created_ms, item.modified_ms, item.fs_created_ms, item.fs_modified_ms],
            "by": [item.created_by, item.modified_by],
            "guid": item.guid,
            "tags": [item.seq, item.etag_n, item.ctag_n, item.version_counter],
            "size": item.size,
            "mime": item.mime,
            "description": item.description,
            "package": item.package_type,
            "trashed": item.trashed,
            "deleted_ms": item.deleted_ms,
            "versions": [
                [v.id, v.blob.id, v.modified_ms, v.modified_by, v.fs_modified_ms]
                for v in item.versions or ()
            ]
            if item.versions is not None
            else None,
            "permissions": [_permission(p) for p in item.permissions or ()],
        },
        separators=(",", ":"),
    )


class StateFile:
    """The SQLite side of a folder-backed emulator."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / STATE_FILE
        self.existed = self.path.exists()
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._saved_blobs: set[str] = set()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # ---------------------------------------------------------------- saving
    def save(self, emulator: Emulator) -> None:
        """Write what changed (callers hold ``emulator.lock``)."""
        store = emulator.store
        identity = emulator.identity
        now = emulator.clock.now()
        meta = {
            "flavour": emulator.config.flavour,
            "seq": store.seq,
            "rng": _jsonable(store.rng.getstate()),
            "secret": emulator.secret.hex(),
            "tenant": emulator.tenant_id,
            "me": emulator.me.id,
            "drive": emulator.drive.id,
            "users": [[u.id, u.display_name, u.email, u.tenant_id] for u in store.users.values()],
            "drives": [_drive(d) for d in store.drives.values()],
            "sites": [
                [s.id, s.name, s.display_name, s.web_url, s.drive_ids] for s in store.sites.values()
            ],
            "access": {
                k: [t.user_id, t.client_id, t.scope, t.expires_at]
                for k, t in identity.access_tokens.items()
                if t.expires_at > now
            },
            "refresh": {
                k: [t.user_id, t.client_id, t.scope]
                for k, t in identity.refresh_tokens.items()
                if not t.revoked
            },
        }
        dirty = list(store.dirty)
        removed = list(store.removed)
        store.dirty.clear()
        store.removed.clear()
        blobs: dict[str, Blob] = {}
        for item in dirty:
            for version in item.versions or ():
                if version.blob.id not in self._saved_blobs:
                    blobs[version.blob.id] = version.blob
        with self._lock:
            db = self._db
            db.execute("BEGIN")
            db.execute("INSERT OR REPLACE INTO meta VALUES ('state', ?)", (json.dumps(meta),))
            db.executemany(
                "INSERT OR REPLACE INTO items VALUES (?, ?, ?)",
                [(i.drive.id, i.id, _item_body(i)) for i in dirty],
            )
            db.executemany("DELETE FROM items WHERE drive_id = ? AND id = ?", removed)
            db.executemany(
                "INSERT OR REPLACE INTO blobs VALUES (?, ?, ?, ?)",
                [(b.id, b.size, b.quickxor, b.sha1) for b in blobs.values()],
            )
            db.execute("COMMIT")
        self._saved_blobs.update(blobs)

    # ---------------------------------------------------------------- loading
    def load_meta(self, emulator: Emulator) -> dict[str, Any] | None:
        """Fill ``emulator``'s users, tokens and secret from the file (what a sign-in needs);
        the saved state for :meth:`load_drives`, or None when nothing is saved."""
        row = self._db.execute("SELECT value FROM meta WHERE key = 'state'").fetchone()
        if row is None:
            return None
        meta: dict[str, Any] = json.loads(row[0])
        if meta["flavour"] != emulator.config.flavour:
            raise ValueError(
                f"{self.path} holds a {meta['flavour']} emulator, not {emulator.config.flavour}"
            )
        store = emulator.store
        store.seq = meta["seq"]
        store.rng.setstate(_tupled(meta["rng"]))
        emulator.secret = bytes.fromhex(meta["secret"])
        emulator.tenant_id = meta["tenant"]
        for uid, name, email, tenant in meta["users"]:
            store.users[uid] = User(uid, name, email, tenant)
        for token, (uid, client, scope, expires) in meta["access"].items():
            emulator.identity.access_tokens[token] = AccessToken(uid, client, scope, expires)
        for token, (uid, client, scope) in meta["refresh"].items():
            emulator.identity.refresh_tokens[token] = RefreshToken(uid, client, scope)
        emulator.me = store.users[meta["me"]]
        return meta

    def load_drives(self, emulator: Emulator, meta: dict[str, Any]) -> None:
        """Fill ``emulator``'s drives, sites and contents (after :meth:`load_meta`)."""
        store = emulator.store
        blob_dir = emulator.blobs.directory
        blobs: dict[str, Blob] = {}
        for blob_id, size, quickxor, sha1 in self._db.execute("SELECT * FROM blobs"):
            path = blob_dir / blob_id
            if size == 0:
                blobs[blob_id] = Blob(blob_id, 0, quickxor, sha1, data=b"")
            elif path.exists():
                blobs[blob_id] = Blob(blob_id, size, quickxor, sha1, path=path)
        self._saved_blobs = set(blobs)
        pending: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        for drive_id, item_id, body in self._db.execute("SELECT * FROM items"):
            pending.setdefault(drive_id, []).append((item_id, json.loads(body)))
        for record in meta["drives"]:
            drive = _load_drive(store.users, record)
            store.drives[drive.id] = drive
            _load_items(drive, record["root"], pending.get(drive.id, []), blobs)
        for site_id, name, display, url, drive_ids in meta["sites"]:
            store.sites[site_id] = Site(site_id, name, display, url, list(drive_ids))
        emulator.drive = store.drives[meta["drive"]]
        for part in blob_dir.glob("*.part"):
            part.unlink(missing_ok=True)
        referenced = {b.id for b in blobs.values() if b.refs > 0}
        for path in blob_dir.iterdir():
            if path.is_file() and path.name not in referenced:
                path.unlink(missing_ok=True)


def _drive(drive: Drive) -> dict[str, Any]:
    return {
        "id": drive.id,
        "type": drive.drive_type,
        "name": drive.name,
        "owner": drive.owner.id,
        "quota": drive.quota_total,
        "url": drive.web_url,
        "site": drive.site_id,
        "root": drive.root.id,
        "counter": drive.item_counter,
        "used": drive.used,
        "deleted": drive.deleted,
        "files": drive.file_count,
        "shared": [list(pair) for pair in drive.shared_with_me],
    }


def _load_drive(users: dict[str, User], record: dict[str, Any]) -> Drive:
    drive = Drive(
        id=record["id"],
        drive_type=record["type"],
        name=record["name"],
        owner=users[record["owner"]],
        quota_total=record["quota"],
        web_url=record["url"],
        site_id=record["site"],
    )
    drive.item_counter = record["counter"]
    drive.used, drive.deleted, drive.file_count = record["used"], record["deleted"], record["files"]
    drive.shared_with_me = [(a, b) for a, b in record["shared"]]
    return drive


def _load_items(
    drive: Drive, root_id: str, records: list[tuple[str, dict[str, Any]]], blobs: dict[str, Blob]
) -> None:
    items: dict[str, Item] = {}
    parents: dict[str, str | None] = {}
    for item_id, body in records:
        created, modified, fs_created, fs_modified = body["times"]
        seq, etag_n, ctag_n, counter = body["tags"]
        item = Item(
            id=item_id,
            drive=drive,
            name=body["name"],
            kind=body["kind"],
            parent=None,
            created_ms=created,
            modified_ms=modified,
            fs_created_ms=fs_created,
            fs_modified_ms=fs_modified,
            created_by=body["by"][0],
            modified_by=body["by"][1],
            guid=body["guid"],
            seq=seq,
            etag_n=etag_n,
            ctag_n=ctag_n,
            size=body["size"],
            mime=body["mime"],
            description=body["description"],
            children=None if body["kind"] == "file" else {},
            version_counter=counter,
            trashed=body["trashed"],
            deleted_ms=body.get("deleted_ms", 0),
            package_type=body["package"],
        )
        if body["versions"] is not None:
            item.versions = []
            for vid, blob_id, v_modified, by, fs_ms in body["versions"]:
                blob = blobs.get(blob_id)
                if blob is None:
                    continue  # content lost on disk: the version goes with it
                blob.refs += 1
                item.versions.append(Version(vid, blob, v_modified, by, fs_ms))
        if body["permissions"]:
            item.permissions = [
                Permission(
                    id=p["id"],
                    roles=p["roles"],
                    link_type=p["type"],
                    scope=p["scope"],
                    web_url=p["url"],
                    password=p["password"],
                    expiration=p["expiration"],
                    owner_id=p["owner"],
                    application_id=p["app"],
                    created_ms=p["created"],
                )
                for p in body["permissions"]
            ]
        items[item_id] = item
        parents[item_id] = body["parent"]
    for item_id, item in items.items():
        parent_id = parents[item_id]
        parent = items.get(parent_id) if parent_id else None
        item.parent = parent
        if parent is not None and not item.trashed and parent.children is not None:
            parent.children[fold(item.name)] = item
        if item.trashed:
            drive.tombstones[item.id] = (item.seq, item)
    drive.items = items
    drive.root = items[root_id]


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    return value


def _tupled(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_tupled(v) for v in value)
    return value
