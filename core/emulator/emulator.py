"""The emulator: state of users, drives, tokens, faults and the request log, plus helpers."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from .blobs import BlobStore
from .clock import Clock
from .config import EmulatorConfig
from .copying import CopyJob
from .faults import Faults, RequestLog
from .identity import PERSONAL_TENANT, Identity
from .model import Drive, Item, User
from .names import fold
from .persist import StateFile
from .search import DeltaCursor
from .store import Store
from .uploads import UploadSession


class Emulator:
    """One emulated Microsoft 365 world: a signed-in user ("me") with a drive, and friends.

    Thread-safe: the server's event loop and a test's thread may both use it; state
    changes happen under :attr:`lock`.
    """

    def __init__(
        self, config: EmulatorConfig | None = None, *, load_later: bool = False, **overrides: Any
    ) -> None:
        """``load_later``: the users, tokens and secret are ready on return, the drives (read
        from the state folder, or seeded) only after :meth:`finish_loading`, so a server can
        take sign-ins meanwhile (requests that need a drive wait for :attr:`loaded`)."""
        config = config or EmulatorConfig()
        if overrides:
            config = replace(config, **overrides)
        self.config = config
        self.clock = Clock()
        self.lock = threading.RLock()
        blob_dir = config.state_dir / "blobs" if config.state_dir is not None else None
        self.blobs = BlobStore(blob_dir, config.memory_blob_limit)
        self.store = Store(config, self.clock, self.blobs)
        self.identity = Identity(config, self.clock)
        self.faults = Faults(seed=config.fault_seed)
        self.requests = RequestLog()
        self.secret = secrets.token_bytes(32)
        self.upload_sessions: dict[str, UploadSession] = {}
        self.copy_jobs: dict[str, CopyJob] = {}
        self.delta_cursors: dict[str, DeltaCursor] = {}
        #: Delta tokens carry this; changing it makes every old token answer 410.
        self.delta_epoch = secrets.token_hex(4)
        self.tenant_id: str
        self.me: User
        self.drive: Drive
        #: Set once the drives are there (at once unless made with ``load_later``).
        self.loaded = threading.Event()
        self._rest: Callable[[], None] | None = None
        self._fresh = True
        self.state_file: StateFile | None = None
        if config.state_dir is not None:
            self.state_file = StateFile(config.state_dir)
            self.store.tracking = True
            meta = self.state_file.load_meta(self)
            if meta is not None:
                state_file = self.state_file
                self._fresh = False
                self._rest = lambda: state_file.load_drives(self, meta)
        if self._fresh:
            self.tenant_id = (
                PERSONAL_TENANT if config.flavour == "personal" else self.store.random_guid()
            )
            self.me = self._make_user("Alice", "alice")
            self.drive = self._make_personal_drive(self.me)
            if config.flavour == "business":
                from .sites import create_site

                create_site(self.store, "", "Communication site")
                create_site(self.store, "marketing", "Marketing")
                create_site(self.store, "engineering", "Engineering")
            if config.seed not in ("empty", ""):
                from .seeds import apply_seed

                seed = config.seed
                self._rest = lambda: apply_seed(self, seed)
        if not load_later:
            self.finish_loading()

    def finish_loading(self) -> None:
        """Read the drives from the state folder, or seed them (see ``load_later``)."""
        with self.lock:
            rest, self._rest = self._rest, None
            if rest is not None:
                rest()
            self.loaded.set()
        if self._fresh:
            self.save()

    # ------------------------------------------------------------------ set-up
    def _make_user(self, first: str, login: str) -> User:
        store = self.store
        if self.config.flavour == "personal":
            uid = f"00000000-0000-0000-{store.rng.getrandbits(16):04x}-{store.rng.getrandbits(48):012x}"
            user = User(uid, f"{first} Example", f"{login}@outlook.com", PERSONAL_TENANT)
        else:
            user = User(
                store.random_guid(),
                f"{first} Smith",
                f"{login}@contoso.onmicrosoft.com",
                self.tenant_id,
            )
        return store.add_user(user)

    def _make_personal_drive(self, user: User) -> Drive:
        if self.config.flavour == "personal":
            drive = self.store.create_drive(user, "personal", "OneDrive", "")
            drive.web_url = f"https://onedrive.live.com/?cid={drive.id}"
        else:
            login = user.email.replace("@", "_").replace(".", "_")
            drive = self.store.create_drive(
                user,
                "business",
                "OneDrive",
                f"https://contoso-my.sharepoint.com/personal/{login}/Documents",
            )
        return drive

    def add_user(self, first: str, login: str) -> tuple[User, Drive]:
        """Another user with a drive of their own (to share items with "me")."""
        with self.lock:
            user = self._make_user(first, login)
            return user, self._make_personal_drive(user)

    def drive_of(self, user: User) -> Drive:
        """The default drive of ``user``."""
        for drive in self.store.drives.values():
            if drive.owner is user and drive.site_id is None:
                return drive
        return self.drive

    def after_change(self) -> None:
        """Called after every mutating request: folder-backed state is saved."""
        self.save()

    def save(self) -> None:
        """Write what changed to the state folder (no-op in memory, and before the drives
        are loaded: a half-seeded drive is never kept)."""
        if self.state_file is not None and self.loaded.is_set():
            with self.lock:
                self.state_file.save(self)

    @property
    def drive_id(self) -> str:
        """Id of the signed-in user's default drive."""
        return self.drive.id

    # ------------------------------------------------------------------ identity helpers
    def approve(self, user_code: str, user: User | None = None) -> None:
        """Approve a device code as if a person entered it on the verification page."""
        self.identity.decide(user_code, True, (user or self.me).id)

    def decline(self, user_code: str) -> None:
        """Decline a device code."""
        self.identity.decide(user_code, False, self.me.id)

    def expire_access_tokens(self) -> None:
        """Make every access token issued so far expired."""
        self.identity.expire_access_tokens()

    def revoke_refresh_tokens(self) -> None:
        """Make every refresh token issued so far answer invalid_grant."""
        self.identity.revoke_refresh_tokens()

    def issue_tokens(
        self,
        user: User | None = None,
        *,
        client_id: str = "00000000-0000-0000-0000-00000000c0de",
        scope: str = "Files.ReadWrite.All offline_access openid profile",
        base_url: str = "https://127.0.0.1",
    ) -> dict[str, object]:
        """A token response as if ``user`` had signed in (tests that skip the device flow)."""
        owner = user or self.me
        return self.identity.issue(
            owner,
            client_id,
            scope,
            client_info=True,
            issuer=f"{base_url}/{owner.tenant_id}/v2.0",
        )

    def auth_headers(self, user: User | None = None) -> dict[str, str]:
        """``{"Authorization": "Bearer …"}`` with a fresh access token for ``user``."""
        return {"Authorization": f"Bearer {self.issue_tokens(user)['access_token']}"}

    # ------------------------------------------------------------------ signing
    def sign(self, *parts: str) -> str:
        """A short credential for a pre-authenticated URL."""
        message = "|".join(parts).encode()
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()[:32]

    def check_signature(self, signature: str, *parts: str) -> bool:
        return hmac.compare_digest(signature, self.sign(*parts))

    # ------------------------------------------------------------------ tree helpers
    def item(self, path: str, drive: Drive | None = None) -> Item:
        """The item at ``path`` (``/`` separated, relative to the drive root)."""
        with self.lock:
            return self.store.resolve((drive or self.drive).root, path)

    def mkdir(self, path: str, drive: Drive | None = None) -> Item:
        """The folder at ``path``, created with its parents when missing."""
        with self.lock:
            node = (drive or self.drive).root
            for segment in [s for s in path.split("/") if s]:
                assert node.children is not None
                child = node.children.get(fold(segment))
                if child is None:
                    child = self.store.create_folder(node, segment, "fail", node.drive.owner.id)
                node = child
            return node

    def put_file(
        self,
        path: str,
        content: bytes,
        *,
        modified: datetime | None = None,
        drive: Drive | None = None,
    ) -> Item:
        """Create ``path`` (parents too) with ``content``, or add a version when it exists."""
        parent_path, _, name = path.strip("/").rpartition("/")
        with self.lock:
            parent = self.mkdir(parent_path, drive)
            blob = self.blobs.from_bytes(content, self.config.flavour == "personal")
            ms = int(modified.timestamp() * 1000) if modified is not None else None
            item, created = self.store.write_file(
                parent,
                name,
                blob,
                "replace",
                parent.drive.owner.id,
                fs_modified_ms=ms,
                fs_created_ms=ms,
            )
            if ms is not None and item.versions:
                # Fixtures look as if they were uploaded then, so listings are reproducible.
                item.versions[-1].modified_ms = item.modified_ms = ms
                if created:
                    item.created_ms = item.fs_created_ms = ms
            return item

    def plant(
        self,
        parent: str | Item,
        name: str,
        content: bytes | None = None,
        *,
        drive: Drive | None = None,
    ) -> Item:
        """Tests only: put an item called exactly ``name`` in ``parent`` (a path, created
        when missing, or an item), bypassing every OneDrive name rule, as a hostile or
        broken server would list it: ``..``, ``a/b``, ``""``, control characters, a name
        past any length limit. A file with ``content``, a folder without."""
        with self.lock:
            folder = parent if isinstance(parent, Item) else self.mkdir(parent, drive)
            blob = (
                self.blobs.from_bytes(content, self.config.flavour == "personal")
                if content is not None
                else None
            )
            return self.store.plant(folder, name, blob, folder.drive.owner.id)

    def read(self, path: str, drive: Drive | None = None) -> bytes:
        """The current content of the file at ``path``."""
        with self.lock:
            current = self.item(path, drive).current
            if current is None:
                raise IsADirectoryError(path)
            return current.blob.read()

    def add_files(
        self,
        parent_path: str,
        count: int,
        *,
        content: bytes | None = None,
        size: int = 0,
        name: str = "file{:06d}.txt",
        drive: Drive | None = None,
    ) -> Item:
        """Create ``count`` files named ``name.format(i)`` in ``parent_path``, fast.

        All share one content (``content``, or ``size`` zero bytes), so 100,000 entries
        take a few seconds and little memory. Returns the folder.
        """
        data = content if content is not None else bytes(size)
        with self.lock:
            parent = self.mkdir(parent_path, drive)
            self.store.add_files_bulk(parent, [name.format(i) for i in range(count)], data)
            return parent

    def reset_delta_tokens(self) -> None:
        """Make every delta token issued so far answer 410 resyncRequired."""
        with self.lock:
            self.delta_epoch = secrets.token_hex(4)
            self.delta_cursors.clear()

    def share_with_me(self, item: Item) -> None:
        """Share another user's ``item`` with "me" (it appears in sharedWithMe)."""
        from .sharing import share_with

        with self.lock:
            share_with(self.store, item, self.me)

    def unshare_with_me(self, item: Item) -> None:
        """Take back a share made by ``share_with_me`` (the owner stopped sharing)."""
        from .sharing import unshare

        with self.lock:
            unshare(self.store, item, self.me)

    def drop_upload_sessions(self) -> None:
        """Forget every upload session (their URLs answer 404 from now on)."""
        from .uploads import discard_session

        with self.lock:
            for session in list(self.upload_sessions.values()):
                discard_session(self, session)

    def close(self) -> None:
        """Save folder-backed state and release temporary files."""
        self.save()
        if self.state_file is not None:
            self.state_file.close()
            self.state_file = None
        self.blobs.close()
