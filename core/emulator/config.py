"""Settings of one emulator instance."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Flavour = Literal["personal", "business"]

#: The client id ``skypane emulator`` suggests signing in with (any GUID works).
EXAMPLE_CLIENT_ID = "00000000-0000-0000-0000-00000000c0de"

GIB = 1024**3


@dataclass
class EmulatorConfig:
    """How an :class:`~core.emulator.Emulator` behaves.

    The defaults suit tests: memory-backed, an empty drive, instant device-code polling is
    *not* the default (Microsoft's ``interval`` is 5), so tests set ``device_code_interval=0``.
    """

    flavour: Flavour = "personal"
    #: None keeps everything in memory (large contents still spill to a temporary folder).
    state_dir: Path | None = None
    #: "empty" or "sample" (a small realistic tree, see ``seeds.py``).
    seed: str = "empty"
    device_code_interval: int = 5
    device_code_lifetime: int = 900
    #: Seconds after a device code is issued at which it approves itself (demo mode).
    auto_approve_after: float | None = None
    access_token_lifetime: int = 3600
    #: When True a refresh token stops working once it has been exchanged (rotation with
    #: revocation); when False old refresh tokens stay valid as they do on Entra ID.
    single_use_refresh_tokens: bool = False
    fault_seed: int = 0
    #: Seed for generated ids, so sample trees look the same on every run.
    id_seed: int = 0
    quota_total: int | None = None
    #: Initial lifetime of an upload session; every accepted fragment extends it this far.
    upload_session_lifetime: int = 900
    #: Lifetime of the credential inside an ``uploadUrl`` (about a day on Graph), however
    #: the session fares; past it the URL answers 401 expiredToken (Personal) or 403
    #: accessDenied (Business).
    upload_url_lifetime: int = 86400
    #: Lifetime of pre-authenticated download URLs.
    download_url_lifetime: int = 3600
    #: Number of monitor polls answered "inProgress" before a copy reports "completed".
    copy_polls_in_progress: int = 1
    #: Contents up to this size stay in memory in memory mode; bigger ones spill to disk.
    memory_blob_limit: int = 4 * 1024 * 1024
    #: Confidential applications (client id → secret), which must authenticate at the token
    #: endpoint; every other client id is a public client (as skypane is) and must not.
    confidential_clients: dict[str, str] = field(default_factory=dict)
    #: Display names of applications, as their registrations would give them (share links
    #: name the app that made them); an unknown app shows its client id.
    app_names: dict[str, str] = field(default_factory=lambda: {EXAMPLE_CLIENT_ID: "skypane"})
    #: Accept a bearer token on pre-authenticated URLs (upload sessions, downloads), as real
    #: OneDrive does on some accounts; by default it is refused, as the docs say it may be.
    accept_bearer_on_preauth: bool = False

    def app_name(self, client_id: str) -> str:
        """The display name of the application ``client_id``."""
        return self.app_names.get(client_id) or client_id

    def total_quota(self) -> int:
        """The drive quota in bytes (5 GiB Personal, 1 TiB Business unless set)."""
        if self.quota_total is not None:
            return self.quota_total
        return 5 * GIB if self.flavour == "personal" else 1024 * GIB
