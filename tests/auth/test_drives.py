"""Drive choice after sign-in, over TLS against the emulator with a real msal token provider."""

from __future__ import annotations

import asyncio

import pytest

from core.backends.onedrive.auth import MsalTokenProvider
from core.backends.onedrive.drives import DriveFinder, DriveInfo, quota_from_json, site_path
from core.emulator import RunningServer
from core.errors import NotFound, SkypaneError
from core.secrets import MemorySecrets
from core.tls import tls_context
from tests.auth.conftest import Serve
from tests.auth.test_device_flow import sign_in


async def finder_for(server: RunningServer) -> DriveFinder:
    auth = await asyncio.to_thread(sign_in, server, MemorySecrets())
    return DriveFinder(
        server.graph_url, MsalTokenProvider(auth), verify=tls_context(str(server.ca_bundle))
    )


async def test_my_drives_personal(server: RunningServer) -> None:
    me, drive = server.emulator.me, server.emulator.drive
    async with await finder_for(server) as finder:
        drives = await finder.my_drives()
        assert drives == [
            DriveInfo(drive.id, "OneDrive", "personal", drive.web_url, me.display_name)
        ]
        assert await finder.drive(drive.id) == drives[0]
        with pytest.raises(NotFound):
            await finder.drive("0123456789abcdef")
        quota = await finder.quota(drive.id)
        assert quota.total == 5 * 1024**3 and quota.used == 0 and quota.state == "normal"
        assert quota == await finder.quota()
        with pytest.raises(SkypaneError, match="not available for personal"):
            await finder.search_sites("marketing")


async def test_sharepoint_sites_and_libraries(serve: Serve) -> None:
    server = serve("business")
    async with await finder_for(server) as finder:
        sites = await finder.search_sites("market")
        assert [s.name for s in sites] == ["Marketing"]
        pasted = (
            "https://contoso.sharepoint.com/sites/marketing/Shared Documents/Forms/AllItems.aspx"
        )
        site = await finder.site_by_url(pasted)
        assert site == sites[0]
        (library,) = await finder.site_drives(site.id)
        assert (library.name, library.drive_type) == ("Documents", "documentLibrary")
        assert (await finder.drive(library.id)).id == library.id
        with pytest.raises(NotFound):
            await finder.site_by_url("https://contoso.sharepoint.com/sites/nothing-here")


async def test_an_expired_access_token_is_refreshed_once(server: RunningServer) -> None:
    async with await finder_for(server) as finder:
        await finder.default_drive()
        server.emulator.identity.expire_access_tokens()
        assert (await finder.default_drive()).id == server.emulator.drive.id


def test_site_paths() -> None:
    host = "contoso.sharepoint.com"
    assert site_path(f"https://{host}/sites/Team") == f"/sites/{host}:/sites/Team"
    assert site_path(f"{host}/teams/A B/Shared Documents") == f"/sites/{host}:/teams/A%20B"
    assert site_path(f"https://{host}/") == f"/sites/{host}"


def test_all_zero_quota_means_unknown() -> None:
    quota = quota_from_json({"quota": {"total": 0, "used": 0, "remaining": 0, "deleted": 0}})
    assert quota.total is None and quota.free is None
