"""Who may ask for tokens, and how (public vs confidential clients, client_secret_basic); the app
named on share links; bearer tokens on pre-authenticated URLs. Over real TLS."""

from __future__ import annotations

import base64
import ssl
from collections.abc import AsyncIterator
from urllib.parse import quote_plus

import httpx
import pytest

from core.emulator import Emulator, RunningServer

PUBLIC = "11111111-2222-3333-4444-555555555555"
WEB_APP = "99999999-8888-7777-6666-555555555555"
SECRET = "s3cret~with:colon&more"


@pytest.fixture
async def tls(emulator_server: RunningServer) -> AsyncIterator[httpx.AsyncClient]:
    ctx = ssl.create_default_context(cafile=str(emulator_server.ca_bundle))
    async with httpx.AsyncClient(base_url=emulator_server.base_url, verify=ctx) as client:
        yield client


def basic(client_id: str, secret: str) -> dict[str, str]:
    raw = f"{quote_plus(client_id)}:{quote_plus(secret)}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


async def refresh(
    tls: httpx.AsyncClient, token: str, headers: dict[str, str] | None = None, **form: str
) -> httpx.Response:
    data = {"grant_type": "refresh_token", "refresh_token": token, **form}
    return await tls.post("/common/oauth2/v2.0/token", data=data, headers=headers or {})


def refresh_token(emulator: Emulator, client_id: str) -> str:
    return str(emulator.issue_tokens(client_id=client_id)["refresh_token"])


async def test_a_public_client_presenting_a_secret_is_invalid_client_700025(
    emulator: Emulator, tls: httpx.AsyncClient
) -> None:
    token = refresh_token(emulator, PUBLIC)
    for answer in (
        await refresh(tls, token, client_id=PUBLIC, client_secret="anything"),
        await refresh(tls, token, basic(PUBLIC, "anything")),
    ):
        assert answer.status_code == 400
        body = answer.json()
        assert body["error"] == "invalid_client" and body["error_codes"] == [700025]
        assert body["error_description"].startswith("AADSTS700025: Client is public")
    assert (await refresh(tls, token, client_id=PUBLIC)).status_code == 200  # no secret: fine


async def test_a_confidential_client_authenticates_by_body_or_basic_header(
    emulator: Emulator, tls: httpx.AsyncClient
) -> None:
    emulator.config.confidential_clients[WEB_APP] = SECRET
    token = refresh_token(emulator, WEB_APP)
    posted = await refresh(tls, token, client_id=WEB_APP, client_secret=SECRET)
    assert posted.status_code == 200, posted.text
    in_header = await refresh(tls, token, basic(WEB_APP, SECRET))  # client_secret_basic
    assert in_header.status_code == 200, in_header.text
    assert in_header.json()["access_token"]
    wrong = await refresh(tls, token, basic(WEB_APP, "nope"))
    assert (wrong.status_code, wrong.json()["error_codes"]) == (401, [7000215])
    missing = await refresh(tls, token, client_id=WEB_APP)
    assert (missing.status_code, missing.json()["error_codes"]) == (401, [7000218])
    config = (await tls.get("/common/v2.0/.well-known/openid-configuration")).json()
    assert "client_secret_basic" in config["token_endpoint_auth_methods_supported"]


async def test_a_share_link_names_the_app_the_token_was_issued_to(
    emulator: Emulator, emulator_server: RunningServer, tls: httpx.AsyncClient
) -> None:
    emulator.config.app_names[WEB_APP] = "Contoso Sync"
    names = {}
    for client_id in (WEB_APP, PUBLIC):
        emulator.put_file(f"{client_id}.txt", b"hello")
        access = emulator.issue_tokens(client_id=client_id)["access_token"]
        answer = await tls.post(
            f"/v1.0/me/drive/root:/{client_id}.txt:/createLink",
            json={"type": "view", "scope": "anonymous"},
            # A private header must not decide which app made the link.
            headers={"Authorization": f"Bearer {access}", "X-Client-Id": "spoofed"},
        )
        assert answer.status_code in (200, 201), answer.text
        app = answer.json()["link"]["application"]
        names[client_id] = (app["id"], app["displayName"])
    assert names == {WEB_APP: (WEB_APP, "Contoso Sync"), PUBLIC: (PUBLIC, PUBLIC)}


async def test_bearer_tokens_on_pre_authenticated_urls_are_refused_unless_switched_on(
    emulator: Emulator, tls: httpx.AsyncClient
) -> None:
    bearer = emulator.auth_headers()
    session = await tls.post(
        "/v1.0/me/drive/root:/up.bin:/createUploadSession", json={}, headers=bearer
    )
    url = session.json()["uploadUrl"]
    fragment = {**bearer, "Content-Range": "bytes 0-4/5"}
    refused = await tls.put(url, content=b"hello", headers=fragment)
    assert refused.status_code == 401
    emulator.config.accept_bearer_on_preauth = True  # as some real accounts do
    accepted = await tls.put(url, content=b"hello", headers=fragment)
    assert accepted.status_code in (200, 201), accepted.text
    redirect = await tls.get("/v1.0/me/drive/root:/up.bin:/content", headers=bearer)
    download = await tls.get(redirect.headers["location"], headers=bearer)
    assert download.status_code == 200 and download.content == b"hello"
    emulator.config.accept_bearer_on_preauth = False
    again = await tls.get(redirect.headers["location"], headers=bearer)
    assert again.status_code == 401
