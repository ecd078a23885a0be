"""Fault injection and the request log (issue 3 item 5)."""

from __future__ import annotations

import httpx
import pytest

from core.emulator import ConnectionDropped, Emulator, create_app

from ..emulator_fixtures import make_emulator


async def test_throttle_rate_answers_429_with_retry_after_but_spares_sign_in(
    emulator: Emulator, emulator_client: httpx.AsyncClient, emulator_anon: httpx.AsyncClient
) -> None:
    emulator.faults.throttle_rate = 1.0
    emulator.faults.retry_after = 7
    response = await emulator_client.get("/me/drive")
    assert response.status_code == 429
    assert response.headers["retry-after"] == "7"
    assert response.json()["error"]["code"] == "activityLimitReached"
    discovery = await emulator_anon.get("/common/v2.0/.well-known/openid-configuration")
    assert discovery.status_code == 200


async def test_throttle_status_503(emulator: Emulator, emulator_client: httpx.AsyncClient) -> None:
    emulator.faults.throttle_rate, emulator.faults.throttle_status = 1.0, 503
    response = await emulator_client.get("/me/drive")
    assert response.status_code == 503 and response.headers["retry-after"] == "1"


async def test_fail_next_is_one_shot_and_can_target_a_path_and_method(
    emulator: Emulator, emulator_client: httpx.AsyncClient
) -> None:
    emulator.faults.fail_next(2, status=503, retry_after=3, path="/children$", method="GET")
    assert (await emulator_client.get("/me/drive")).status_code == 200
    first = await emulator_client.get("/me/drive/root/children")
    second = await emulator_client.get("/me/drive/root/children")
    third = await emulator_client.get("/me/drive/root/children")
    assert (first.status_code, second.status_code, third.status_code) == (503, 503, 200)
    assert first.headers["retry-after"] == "3"


async def test_error_rate_answers_500_502_or_504(
    emulator: Emulator, emulator_client: httpx.AsyncClient
) -> None:
    emulator.faults.error_rate = 1.0
    statuses = {(await emulator_client.get("/me/drive")).status_code for _ in range(20)}
    assert statuses <= {500, 502, 504} and len(statuses) > 1


async def _statuses(seed: int) -> list[int]:
    emulator = make_emulator("personal", fault_seed=seed)
    emulator.faults.throttle_rate = 0.5
    transport = httpx.ASGITransport(app=create_app(emulator))
    async with httpx.AsyncClient(
        transport=transport, base_url="https://127.0.0.1/v1.0", headers=emulator.auth_headers()
    ) as client:
        return [(await client.get("/me/drive")).status_code for _ in range(30)]


async def test_faults_are_deterministic_for_a_seed() -> None:
    first, again, other = await _statuses(1), await _statuses(1), await _statuses(2)
    assert first == again
    assert first != other
    assert {200, 429} == set(first)


async def test_path_pattern_restricts_faults(
    emulator: Emulator, emulator_client: httpx.AsyncClient
) -> None:
    emulator.faults.throttle_rate = 1.0
    emulator.faults.path_pattern = "/children"
    assert (await emulator_client.get("/me/drive")).status_code == 200
    assert (await emulator_client.get("/me/drive/root/children")).status_code == 429
    emulator.faults.reset()
    assert (await emulator_client.get("/me/drive/root/children")).status_code == 200


async def test_drop_rate_cuts_a_download_mid_body(
    emulator: Emulator, emulator_client: httpx.AsyncClient, emulator_anon: httpx.AsyncClient
) -> None:
    emulator.put_file("a.bin", bytes(10_000))
    location = (await emulator_client.get("/me/drive/root:/a.bin:/content")).headers["location"]
    emulator.faults.drop_rate = 1.0
    with pytest.raises(ConnectionDropped):
        await emulator_anon.get(location)
    assert isinstance(ConnectionDropped(), httpx.TransportError)
    assert emulator.requests[-1].fault == "drop"


async def test_expire_tokens_early_makes_the_client_refresh(
    emulator: Emulator, emulator_client: httpx.AsyncClient
) -> None:
    emulator.faults.expire_tokens_early = 1.0
    response = await emulator_client.get("/me/drive")
    assert response.status_code == 401
    assert 'error="expired_token"' in response.headers["www-authenticate"]
    emulator.faults.expire_tokens_early = 0.0
    assert (await emulator_client.get("/me/drive")).status_code == 401  # stays expired
    fresh = await emulator_client.get("/me/drive", headers=emulator.auth_headers())
    assert fresh.status_code == 200


async def test_lost_upload_session_is_404(
    emulator: Emulator, emulator_client: httpx.AsyncClient, emulator_anon: httpx.AsyncClient
) -> None:
    url = (await emulator_client.post("/me/drive/root:/a.bin:/createUploadSession")).json()[
        "uploadUrl"
    ]
    emulator.faults.lose_upload_sessions = 1.0
    response = await emulator_anon.put(url, content=b"x", headers={"Content-Range": "bytes 0-0/1"})
    assert response.status_code == 404
    emulator.faults.lose_upload_sessions = 0.0
    assert (await emulator_anon.get(url)).status_code == 404


async def test_drop_upload_sessions_helper(
    emulator: Emulator, emulator_client: httpx.AsyncClient, emulator_anon: httpx.AsyncClient
) -> None:
    url = (await emulator_client.post("/me/drive/root:/a.bin:/createUploadSession")).json()[
        "uploadUrl"
    ]
    emulator.drop_upload_sessions()
    assert (await emulator_anon.get(url)).status_code == 404


async def test_spurious_416_stores_the_fragment_anyway(
    emulator: Emulator, emulator_client: httpx.AsyncClient, emulator_anon: httpx.AsyncClient
) -> None:
    unit = 320 * 1024
    data = bytes(unit) + b"end"
    url = (await emulator_client.post("/me/drive/root:/a.bin:/createUploadSession")).json()[
        "uploadUrl"
    ]
    emulator.faults.spurious_416_rate = 1.0
    first = await emulator_anon.put(
        url, content=data[:unit], headers={"Content-Range": f"bytes 0-{unit - 1}/{len(data)}"}
    )
    assert first.status_code == 416
    status = await emulator_anon.get(url)
    assert status.json()["nextExpectedRanges"] == [f"{unit}-"]
    last = await emulator_anon.put(
        url,
        content=data[unit:],
        headers={"Content-Range": f"bytes {unit}-{len(data) - 1}/{len(data)}"},
    )
    assert last.status_code == 201  # the final fragment is never spuriously refused


async def test_request_log_records_method_path_status_auth_and_faults(
    emulator: Emulator, emulator_client: httpx.AsyncClient, emulator_anon: httpx.AsyncClient
) -> None:
    emulator.requests.clear()
    await emulator_client.get("/me/drive")
    await emulator_anon.get("/v1.0/me/drive")
    emulator.faults.fail_next(status=429)
    await emulator_client.get("/me/drive/root")
    records = list(emulator.requests)
    assert [(r.method, r.path, r.status, r.authorized) for r in records] == [
        ("GET", "/v1.0/me/drive", 200, True),
        ("GET", "/v1.0/me/drive", 401, False),
        ("GET", "/v1.0/me/drive/root", 429, True),
    ]
    assert records[2].fault == "status 429" and records[0].fault is None
    assert records[0].timestamp <= records[2].timestamp
    assert len(emulator.requests.matching(status=429)) == 1
    assert len(emulator.requests.matching(method="get", path="drive$")) == 2


async def test_transient_404_on_an_upload_session_then_it_works(
    emulator: Emulator, emulator_client: httpx.AsyncClient, emulator_anon: httpx.AsyncClient
) -> None:
    url = (await emulator_client.post("/me/drive/root:/a.bin:/createUploadSession")).json()[
        "uploadUrl"
    ]
    emulator.faults.fail_next(status=404, retry_after=None, path="^/up/", method="PUT")
    headers = {"Content-Range": "bytes 0-0/1"}
    assert (await emulator_anon.put(url, content=b"x", headers=headers)).status_code == 404
    assert (await emulator_anon.put(url, content=b"x", headers=headers)).status_code == 201


async def test_fail_next_with_507_is_insufficient_storage(
    emulator: Emulator, emulator_client: httpx.AsyncClient
) -> None:
    emulator.faults.fail_next(status=507, retry_after=None)
    response = await emulator_client.get("/me/drive")
    assert response.status_code == 507
    assert response.json()["error"]["code"] == "quotaLimitReached"
    assert "retry-after" not in response.headers
