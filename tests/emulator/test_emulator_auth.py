"""Bearer tokens on Graph routes (GRAPH.md §13.3)."""

from __future__ import annotations

import httpx
import pytest

from core.emulator import Emulator


@pytest.mark.parametrize("emulator_flavour", ["personal", "business"])
async def test_graph_without_a_token_is_401_invalid_authentication_token(
    emulator_anon: httpx.AsyncClient,
) -> None:
    response = await emulator_anon.get("/v1.0/me/drive")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "InvalidAuthenticationToken"
    assert response.headers["www-authenticate"].startswith("Bearer ")


async def test_unknown_token_is_401(emulator_anon: httpx.AsyncClient) -> None:
    response = await emulator_anon.get(
        "/v1.0/me/drive", headers={"Authorization": "Bearer not-a-token"}
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "InvalidAuthenticationToken"


async def test_expired_token_on_personal_says_expired_token_in_www_authenticate(
    emulator: Emulator, emulator_client: httpx.AsyncClient
) -> None:
    assert (await emulator_client.get("/me/drive")).status_code == 200
    emulator.expire_access_tokens()
    response = await emulator_client.get("/me/drive")
    assert response.status_code == 401
    assert response.json()["error"]["message"].startswith("Access token has expired")
    assert 'error="expired_token"' in response.headers["www-authenticate"]


@pytest.mark.parametrize("emulator_flavour", ["business"])
async def test_expired_token_on_business_names_the_authorization_uri(
    emulator: Emulator, emulator_client: httpx.AsyncClient
) -> None:
    emulator.clock.advance(3601)
    response = await emulator_client.get("/me/drive")
    assert response.status_code == 401
    challenge = response.headers["www-authenticate"]
    assert 'authorization_uri="https://127.0.0.1/common/oauth2/authorize"' in challenge
    assert 'client_id="00000003-0000-0000-c000-000000000000"' in challenge


async def test_error_bodies_carry_inner_error_with_request_ids(
    emulator_client: httpx.AsyncClient,
) -> None:
    response = await emulator_client.get(
        "/me/drive/items/nope", headers={"client-request-id": "abc-123"}
    )
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "itemNotFound"
    assert error["innerError"]["client-request-id"] == "abc-123"
    assert {"date", "request-id"} <= error["innerError"].keys()
    assert response.headers["client-request-id"] == "abc-123"


async def test_me_returns_the_signed_in_user(
    emulator: Emulator, emulator_client: httpx.AsyncClient
) -> None:
    body = (await emulator_client.get("/me")).json()
    assert body["id"] == emulator.me.id
    assert body["userPrincipalName"] == emulator.me.email
