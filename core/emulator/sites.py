"""SharePoint sites and their document libraries (GRAPH.md §11.3), Business only."""

from __future__ import annotations

from starlette.responses import Response

from .context import Ctx, json_response
from .errors import bad_request
from .model import Site
from .store import Store


def _require_business(ctx: Ctx) -> None:
    if ctx.store.flavour != "business":
        raise bad_request("Sites are not available for personal Microsoft accounts")


def _site_json(site: Site) -> dict[str, object]:
    host = site.web_url.split("/")[2]
    return {
        "id": site.id,
        "name": site.name,
        "displayName": site.display_name,
        "webUrl": site.web_url,
        "siteCollection": {"hostname": host},
        "root": {},
    }


async def search_sites(ctx: Ctx) -> Response:
    """GET /sites?search=text ("*" lists every site)."""
    _require_business(ctx)
    query = (ctx.request.query_params.get("search") or "").strip().strip('"').casefold()
    with ctx.emulator.lock:
        sites = [
            s
            for s in ctx.store.sites.values()
            if query in ("", "*")
            or query in s.name.casefold()
            or query in s.display_name.casefold()
        ]
        return json_response({"value": [_site_json(s) for s in sites]})


async def get_site(ctx: Ctx) -> Response:
    _require_business(ctx)
    assert ctx.target.site_id is not None
    with ctx.emulator.lock:
        return json_response(_site_json(ctx.store.sites[ctx.target.site_id]))


async def site_drives(ctx: Ctx) -> Response:
    _require_business(ctx)
    assert ctx.target.site_id is not None
    with ctx.emulator.lock:
        site = ctx.store.sites[ctx.target.site_id]
        drives = [ctx.store.drives[d] for d in site.drive_ids]
        return json_response({"value": [ctx.render.drive(d) for d in drives]})


def create_site(store: Store, name: str, display_name: str) -> Site:
    """A site with one "Documents" library (used when an emulator starts)."""
    host = "contoso.sharepoint.com"
    site_id = f"{host},{store.random_guid()},{store.random_guid()}"
    web_url = f"https://{host}" if not name else f"https://{host}/sites/{name}"
    site = Site(site_id, name or "root", display_name, web_url)
    owner = next(iter(store.users.values()))
    drive = store.create_drive(
        owner, "documentLibrary", "Documents", f"{web_url}/Shared Documents", site_id=site_id
    )
    site.drive_ids.append(drive.id)
    store.sites[site_id] = site
    return site
