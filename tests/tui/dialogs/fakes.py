"""Fixed data for the dialog snapshots and screenshots: a device code that never changes and an
in-memory drive with links and versions. Behaviour is tested against the emulator; these only
keep pictures stable (the emulator's codes and link URLs are random)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from core.backend import Capabilities
from core.backends.onedrive.auth import DeviceFlow
from core.errors import NotFound, Unsupported
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
from core.paths import basename

NOW = datetime(2025, 6, 15, 12, 0, 0, tzinfo=UTC)
USER_CODE = "HXNAB9GD"
VERIFICATION_URI = "https://microsoft.com/devicelogin"


class FixedCodeAuth:
    """Starts a device flow with a fixed code that stays pending until cancelled."""

    def __init__(self, seconds_left: int = 872) -> None:
        self.expires_at = time.time() + 900
        self.seconds_left = seconds_left

    def clock(self) -> datetime:
        """A clock at which the code has ``seconds_left`` to live."""
        return datetime.fromtimestamp(self.expires_at, UTC) - timedelta(seconds=self.seconds_left)

    def start_device_flow(self, waiter: Callable[[float], bool] | None = None) -> DeviceFlow:
        flow = {
            "user_code": USER_CODE,
            "verification_uri": VERIFICATION_URI,
            "expires_at": self.expires_at,
            "interval": 5,
            "message": "",
        }
        return DeviceFlow(self, flow, waiter)  # type: ignore[arg-type]

    def redeem_device_flow(self, flow: dict[str, Any]) -> dict[str, Any]:
        return {"error": "authorization_pending"}


def _entry(path: str, size: int, days: int, is_dir: bool = False) -> Entry:
    return Entry(basename(path), path, is_dir, size, NOW - timedelta(days=days))


class SampleDrive:
    """A small drive with fixed versions and links (Business rules unless ``personal``)."""

    remote = "work"
    capabilities = Capabilities()
    OPTIONS = ()

    def __init__(self, personal: bool = False) -> None:
        self.personal = personal
        self.files = {
            "/Docs": _entry("/Docs", 0, 3, True),
            "/Docs/report.docx": _entry("/Docs/report.docx", 48_213, 1),
            "/Docs/budget.xlsx": _entry("/Docs/budget.xlsx", 1_204_331, 2),
            "/Docs/Archive": _entry("/Docs/Archive", 0, 90, True),
            "/Docs/Archive/2023.pdf": _entry("/Docs/Archive/2023.pdf", 734_003, 400),
        }
        authors = ("Alice Smith", "Bob Jones", "Alice Smith", "Carol White", "Alice Smith")
        self.versions: dict[str, list[Version]] = {
            "/Docs/report.docx": [
                Version(f"{n}.0", NOW - timedelta(days=1 + 21 * i), 48_213 - 1_500 * i, a, i == 0)
                for i, (n, a) in enumerate(zip(range(5, 0, -1), authors, strict=True))
            ],
            "/Docs/budget.xlsx": [
                Version(
                    f"{n}.0", NOW - timedelta(days=2 + 45 * i), 1_204_331 - 90_000 * i, a, i == 0
                )
                for i, (n, a) in enumerate(zip(range(3, 0, -1), authors, strict=False))
            ],
            "/Docs/Archive/2023.pdf": [
                Version("2.0", NOW - timedelta(days=400), 734_003, "Bob Jones", True),
                Version("1.0", NOW - timedelta(days=420), 700_000, "Bob Jones"),
            ],
        }
        self.links: dict[str, list[Link]] = {
            "/Docs/report.docx": [
                Link("L1", "https://contoso.sharepoint.com/:w:/s/team/EaBc12", "view",
                     "organization", None, False, ("read",)),
                Link("L2", "https://contoso.sharepoint.com/:w:/s/team/EdEf34", "edit",
                     "anonymous", NOW + timedelta(days=30), False, ("write",)),
            ]
        }  # fmt: skip
        self.created = 0

    # -- Backend (what the dialogs use) -------------------------------------------------------

    async def stat(self, path: str) -> Entry:
        if path not in self.files:
            raise NotFound("not found", path=path)
        return self.files[path]

    async def list(self, path: str) -> AsyncIterator[list[Entry]]:
        prefix = path.rstrip("/") + "/"
        yield [
            e for p, e in self.files.items() if p.startswith(prefix) and "/" not in p[len(prefix) :]
        ]

    async def close(self) -> None:
        return None

    # -- Links ---------------------------------------------------------------------------------

    def link_support(self) -> LinkSupport:
        if self.personal:
            return LinkSupport(
                types=tuple(LinkType),
                scopes=(LinkScope.ANONYMOUS, LinkScope.USERS),
                reasons={"organization": "OneDrive Personal has no organization scope"},
            )
        return LinkSupport(
            types=(LinkType.VIEW, LinkType.EDIT),
            password=False,
            reasons={
                "embed": "embed links exist only on OneDrive Personal",
                "password": "link passwords can be set only on OneDrive Personal",
            },
        )

    async def create_link(self, path: str, request: LinkRequest) -> Link:
        self.created += 1
        link = Link(
            f"N{self.created}",
            f"https://contoso.sharepoint.com/:w:/s/team/New{self.created}",
            str(request.type),
            str(request.scope),
            request.expires,
            bool(request.password),
        )
        self.links.setdefault(path, []).append(link)
        return link

    async def list_links(self, path: str) -> list[Link]:
        return list(self.links.get(path, []))

    async def revoke_link(self, path: str, link_id: str) -> None:
        self.links[path] = [x for x in self.links.get(path, []) if x.id != link_id]

    # -- Versions --------------------------------------------------------------------------------

    def version_support(self) -> VersionSupport:
        if self.personal:
            return VersionSupport(False, "OneDrive Personal does not allow deleting versions")
        return VersionSupport(True)

    async def list_versions(self, path: str) -> list[Version]:
        return list(self.versions.get(path, []))

    async def open_version(
        self, path: str, version_id: str, offset: int = 0
    ) -> AsyncIterator[bytes]:
        yield b"x"

    async def restore_version(self, path: str, version_id: str) -> None:
        return None

    async def delete_version(self, path: str, version_id: str) -> None:
        if self.personal:
            raise Unsupported("OneDrive Personal does not allow deleting versions")
        self.versions[path] = [v for v in self.versions[path] if v.id != version_id]


class SampleDrives:
    """What the drive picker finds for a work account (fixed)."""

    def __init__(self) -> None:
        from core.backends.onedrive.drives import DriveInfo, SiteInfo

        self.mine = [
            DriveInfo("b!me", "OneDrive", "business",
                      "https://contoso-my.sharepoint.com/personal/alice_contoso_com/Documents",
                      "Alice Smith"),
            DriveInfo("b!arch", "Archive", "documentLibrary",
                      "https://contoso.sharepoint.com/sites/finance/Archive", "Finance"),
        ]  # fmt: skip
        self.sites = [
            SiteInfo("s1", "Marketing", "https://contoso.sharepoint.com/sites/marketing"),
            SiteInfo("s2", "Marketing EMEA", "https://contoso.sharepoint.com/sites/mkt-emea"),
        ]
        self.libraries = [
            DriveInfo("b!docs", "Documents", "documentLibrary",
                      "https://contoso.sharepoint.com/sites/marketing/Shared Documents"),
            DriveInfo("b!brand", "Brand assets", "documentLibrary",
                      "https://contoso.sharepoint.com/sites/marketing/Brand"),
        ]  # fmt: skip

    async def my_drives(self) -> list[Any]:
        return list(self.mine)

    async def search_sites(self, query: str) -> list[Any]:
        return [s for s in self.sites if query.lower() in s.name.lower()]

    async def site_by_url(self, url: str) -> Any:
        return self.sites[0]

    async def site_drives(self, site_id: str) -> list[Any]:
        return list(self.libraries)

    async def drive(self, drive_id: str) -> Any:
        return self.mine[0]
