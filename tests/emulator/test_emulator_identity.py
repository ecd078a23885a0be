"""Identity endpoints as a client sees them (GRAPH.md §17–18)."""

from __future__ import annotations

import base64
import json

import httpx
import pytest

from core.emulator import Emulator, create_app

CLIENT = "11111111-2222-3333-4444-555555555555"
SCOPE = "Files.ReadWrite.All offline_access openid profile"
GRANT = "urn:ietf:params:oauth:grant-type:device_code"


def _b64json(part: str) -> dict[str, object]:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


async def _device_code(anon: httpx.AsyncClient, tenant: str = "common") -> dict[str, object]:
    response = await anon.post(
        f"/{tenant}/oauth2/v2.0/devicecode", data={"client_id": CLIENT, "scope": SCOPE}
    )
    assert response.status_code == 200
    return response.json()


async def _poll(anon: httpx.AsyncClient, device_code: object) -> httpx.Response:
    return await anon.post(
        "/common/oauth2/v2.0/token",
        data={
            "grant_type": GRANT,
            "client_id": CLIENT,
            "device_code": device_code,
            "client_info": "1",
        },
    )


@pytest.mark.parametrize(
    "tenant", ["common", "organizations", "consumers", "0b2e7c5e-4c1a-4a43-9b3a-2f1e7a0c9d11"]
)
async def test_discovery_document_names_endpoints_under_the_tenant(
    emulator_anon: httpx.AsyncClient, tenant: str
) -> None:
    response = await emulator_anon.get(f"/{tenant}/v2.0/.well-known/openid-configuration")
    assert response.status_code == 200
    body = response.json()
    base = f"https://127.0.0.1/{tenant}/oauth2/v2.0"
    assert body["token_endpoint"] == f"{base}/token"
    assert body["device_authorization_endpoint"] == f"{base}/devicecode"
    assert body["authorization_endpoint"] == f"{base}/authorize"


async def test_devicecode_returns_codes_uri_interval_and_message(
    emulator_anon: httpx.AsyncClient,
) -> None:
    body = await _device_code(emulator_anon)
    assert len(str(body["user_code"])) == 8
    assert body["verification_uri"] == "https://127.0.0.1/devicelogin"
    assert body["interval"] == 0
    assert body["expires_in"] == 900
    assert str(body["user_code"]) in str(body["message"])
    assert "verification_uri_complete" not in body


async def test_devicecode_without_client_id_is_invalid_request(
    emulator_anon: httpx.AsyncClient,
) -> None:
    response = await emulator_anon.post("/common/oauth2/v2.0/devicecode", data={"scope": SCOPE})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


async def test_polling_before_approval_is_authorization_pending(
    emulator_anon: httpx.AsyncClient,
) -> None:
    code = await _device_code(emulator_anon)
    response = await _poll(emulator_anon, code["device_code"])
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "authorization_pending"
    assert body["error_description"].startswith("AADSTS70016")
    assert body["error_codes"] == [70016]
    assert {"timestamp", "trace_id", "correlation_id"} <= body.keys()


async def test_polling_faster_than_the_interval_is_slow_down(emulator: Emulator) -> None:
    emulator.config.device_code_interval = 5
    transport = httpx.ASGITransport(app=create_app(emulator))
    async with httpx.AsyncClient(transport=transport, base_url="https://127.0.0.1") as anon:
        code = await _device_code(anon)
        assert code["interval"] == 5
        first = await _poll(anon, code["device_code"])
        second = await _poll(anon, code["device_code"])
        emulator.clock.advance(5)
        third = await _poll(anon, code["device_code"])
    assert first.json()["error"] == "authorization_pending"
    assert second.json()["error"] == "slow_down"
    assert third.json()["error"] == "authorization_pending"


async def test_approved_code_yields_tokens_client_info_and_id_token(
    emulator: Emulator, emulator_anon: httpx.AsyncClient
) -> None:
    code = await _device_code(emulator_anon)
    emulator.approve(str(code["user_code"]))
    response = await _poll(emulator_anon, code["device_code"])
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["scope"] == SCOPE
    assert body["expires_in"] == 3600 and body["ext_expires_in"] == 3600
    assert body["access_token"] and body["refresh_token"]
    info = _b64json(body["client_info"])
    assert info == {"uid": emulator.me.id, "utid": emulator.me.tenant_id}
    header, claims, signature = body["id_token"].split(".")
    assert _b64json(header)["alg"] == "none" and signature == ""
    claims_body = _b64json(claims)
    assert claims_body["aud"] == CLIENT
    assert claims_body["tid"] == "9188040d-6c67-4c5b-b112-36a304b66dad"
    assert claims_body["preferred_username"] == emulator.me.email


async def test_a_redeemed_device_code_cannot_be_used_again(
    emulator: Emulator, emulator_anon: httpx.AsyncClient
) -> None:
    code = await _device_code(emulator_anon)
    emulator.approve(str(code["user_code"]))
    assert (await _poll(emulator_anon, code["device_code"])).status_code == 200
    again = await _poll(emulator_anon, code["device_code"])
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


async def test_declined_code_is_authorization_declined(
    emulator: Emulator, emulator_anon: httpx.AsyncClient
) -> None:
    code = await _device_code(emulator_anon)
    emulator.decline(str(code["user_code"]))
    response = await _poll(emulator_anon, code["device_code"])
    assert response.status_code == 400
    assert response.json()["error"] == "authorization_declined"


async def test_code_past_its_lifetime_is_expired_token(
    emulator: Emulator, emulator_anon: httpx.AsyncClient
) -> None:
    code = await _device_code(emulator_anon)
    emulator.clock.advance(901)
    response = await _poll(emulator_anon, code["device_code"])
    assert response.json()["error"] == "expired_token"
    with pytest.raises(ValueError):
        emulator.approve(str(code["user_code"]))


async def test_unknown_device_code_is_bad_verification_code(
    emulator_anon: httpx.AsyncClient,
) -> None:
    response = await _poll(emulator_anon, "nonsense")
    assert response.status_code == 400
    assert response.json()["error"] == "bad_verification_code"


async def test_auto_approve_after_a_delay(emulator: Emulator) -> None:
    emulator.config.auto_approve_after = 30
    transport = httpx.ASGITransport(app=create_app(emulator))
    async with httpx.AsyncClient(transport=transport, base_url="https://127.0.0.1") as anon:
        code = await _device_code(anon)
        assert (await _poll(anon, code["device_code"])).status_code == 400
        emulator.clock.advance(30)
        assert (await _poll(anon, code["device_code"])).status_code == 200


async def _signed_in(emulator: Emulator, anon: httpx.AsyncClient) -> dict[str, object]:
    code = await _device_code(anon)
    emulator.approve(str(code["user_code"]))
    response = await _poll(anon, code["device_code"])
    return response.json()


async def _refresh(anon: httpx.AsyncClient, token: object) -> httpx.Response:
    return await anon.post(
        "/consumers/oauth2/v2.0/token",
        data={
            "grant_type": "refresh_token",
            "client_id": CLIENT,
            "refresh_token": token,
            "scope": SCOPE,
            "client_info": "1",
        },
    )


async def test_refresh_token_grant_rotates_the_refresh_token(
    emulator: Emulator, emulator_anon: httpx.AsyncClient
) -> None:
    tokens = await _signed_in(emulator, emulator_anon)
    response = await _refresh(emulator_anon, tokens["refresh_token"])
    assert response.status_code == 200
    body = response.json()
    assert body["refresh_token"] != tokens["refresh_token"]
    assert body["access_token"] != tokens["access_token"]
    assert body["scope"] == SCOPE


async def test_single_use_refresh_tokens_refuse_reuse(
    emulator: Emulator, emulator_anon: httpx.AsyncClient
) -> None:
    emulator.config.single_use_refresh_tokens = True
    tokens = await _signed_in(emulator, emulator_anon)
    assert (await _refresh(emulator_anon, tokens["refresh_token"])).status_code == 200
    again = await _refresh(emulator_anon, tokens["refresh_token"])
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


async def test_revoked_or_unknown_refresh_token_is_invalid_grant(
    emulator: Emulator, emulator_anon: httpx.AsyncClient
) -> None:
    tokens = await _signed_in(emulator, emulator_anon)
    emulator.revoke_refresh_tokens()
    revoked = await _refresh(emulator_anon, tokens["refresh_token"])
    unknown = await _refresh(emulator_anon, "M.C5-unknown")
    assert revoked.status_code == unknown.status_code == 400
    assert revoked.json()["error"] == unknown.json()["error"] == "invalid_grant"


async def test_unknown_grant_type_is_refused(emulator_anon: httpx.AsyncClient) -> None:
    response = await emulator_anon.post(
        "/common/oauth2/v2.0/token", data={"grant_type": "password", "client_id": CLIENT}
    )
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


async def test_verification_page_shows_a_form(emulator_anon: httpx.AsyncClient) -> None:
    response = await emulator_anon.get("/devicelogin")
    assert response.status_code == 200
    assert "<form" in response.text and "Approve" in response.text and "Decline" in response.text


@pytest.mark.parametrize(("action", "outcome"), [("approve", 200), ("decline", 400)])
async def test_verification_page_approves_or_declines(
    emulator_anon: httpx.AsyncClient, action: str, outcome: int
) -> None:
    code = await _device_code(emulator_anon)
    page = await emulator_anon.post(
        "/devicelogin", data={"code": str(code["user_code"]).lower(), "action": action}
    )
    assert page.status_code == 200
    assert "close this window" in page.text
    assert (await _poll(emulator_anon, code["device_code"])).status_code == outcome


async def test_verification_page_rejects_an_unknown_code(
    emulator_anon: httpx.AsyncClient,
) -> None:
    page = await emulator_anon.post("/devicelogin", data={"code": "ZZZZ9999", "action": "approve"})
    assert page.status_code == 400
    assert "recognised" in page.text


async def test_doubled_slashes_from_a_trailing_slash_authority_are_tolerated(
    emulator_anon: httpx.AsyncClient,
) -> None:
    response = await emulator_anon.get("/common//v2.0/.well-known/openid-configuration")
    assert response.status_code == 200
