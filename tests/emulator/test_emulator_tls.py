"""The emulator over real TLS: msal sign-in, an upload session, a ranged download."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import msal
import pytest
import requests

from core.emulator import Emulator, RunningServer

CLIENT = "11111111-2222-3333-4444-555555555555"


class _MsalResponse:
    def __init__(self, response: httpx.Response) -> None:
        self.status_code = response.status_code
        self.text = response.text
        self.headers = response.headers
        self._response = response

    def raise_for_status(self) -> None:
        if self.status_code >= 400:
            raise requests.exceptions.HTTPError(f"HTTP {self.status_code}")


class _MsalHttp:
    """The smallest http_client msal accepts: get/post over httpx with our CA."""

    def __init__(self, ca_bundle: str) -> None:
        self._client = httpx.Client(verify=ssl.create_default_context(cafile=ca_bundle))

    @staticmethod
    def _clean(headers: Any) -> dict[str, str]:
        return {k: v for k, v in (headers or {}).items() if v is not None}

    def get(self, url: str, params: Any = None, headers: Any = None, **_: Any) -> _MsalResponse:
        return _MsalResponse(self._client.get(url, params=params, headers=self._clean(headers)))

    def post(
        self,
        url: str,
        params: Any = None,
        data: Any = None,
        json: Any = None,
        headers: Any = None,
        **_: Any,
    ) -> _MsalResponse:
        response = self._client.post(
            url, params=params, data=data, json=json, headers=self._clean(headers)
        )
        return _MsalResponse(response)

    def close(self) -> None:
        self._client.close()


@pytest.fixture
def msal_app(emulator_server: RunningServer) -> Iterator[msal.PublicClientApplication]:
    http = _MsalHttp(str(emulator_server.ca_bundle))
    yield msal.PublicClientApplication(
        CLIENT, authority=emulator_server.authority, instance_discovery=False, http_client=http
    )
    http.close()


def test_msal_signs_in_by_device_code_and_refreshes_silently(
    emulator: Emulator, emulator_server: RunningServer, msal_app: msal.PublicClientApplication
) -> None:
    flow = msal_app.initiate_device_flow(scopes=["Files.ReadWrite.All"])
    assert "user_code" in flow, flow
    assert flow["verification_uri"] == emulator_server.verification_url
    emulator.approve(flow["user_code"])
    result = msal_app.acquire_token_by_device_flow(flow)
    assert "access_token" in result, result
    assert result["id_token_claims"]["aud"] == CLIENT
    accounts = msal_app.get_accounts()
    assert [a["username"] for a in accounts] == [emulator.me.email]
    cached = msal_app.acquire_token_silent(["Files.ReadWrite.All"], account=accounts[0])
    assert cached is not None and cached["token_source"] == "cache"
    refreshed = msal_app.acquire_token_silent(
        ["Files.ReadWrite.All"], account=accounts[0], force_refresh=True
    )
    assert refreshed is not None and refreshed["token_source"] == "identity_provider"
    assert refreshed["access_token"] != result["access_token"]
    response = httpx.get(
        f"{emulator_server.graph_url}/me/drive",
        headers={"Authorization": f"Bearer {refreshed['access_token']}"},
        verify=ssl.create_default_context(cafile=str(emulator_server.ca_bundle)),
    )
    assert response.status_code == 200
    assert response.json()["id"] == emulator.drive_id


def test_msal_device_flow_with_auto_approve(
    emulator: Emulator, msal_app: msal.PublicClientApplication
) -> None:
    emulator.config.auto_approve_after = 0
    flow = msal_app.initiate_device_flow(scopes=["Files.ReadWrite.All"])
    result = msal_app.acquire_token_by_device_flow(flow)
    assert "access_token" in result, result


def test_msal_device_flow_approved_from_another_thread(
    emulator: Emulator, msal_app: msal.PublicClientApplication
) -> None:
    flow = msal_app.initiate_device_flow(scopes=["Files.ReadWrite.All"])
    approver = threading.Timer(0.05, emulator.approve, args=(flow["user_code"],))
    approver.start()
    result = msal_app.acquire_token_by_device_flow(flow)
    approver.join()
    assert "access_token" in result, result


async def test_upload_session_and_ranged_download_over_tls(
    emulator: Emulator, emulator_server: RunningServer, emulator_tls_client: httpx.AsyncClient
) -> None:
    unit = 320 * 1024
    data = bytes(range(256)) * (3 * unit // 256) + b"tail"
    created = await emulator_tls_client.post("/me/drive/root:/tls.bin:/createUploadSession")
    upload_url = created.json()["uploadUrl"]
    assert upload_url.startswith(emulator_server.files_url + "/up/")
    verify = ssl.create_default_context(cafile=str(emulator_server.ca_bundle))
    async with httpx.AsyncClient(verify=verify) as anon:  # no bearer on uploadUrl
        for start in range(0, len(data), 2 * unit):
            end = min(start + 2 * unit, len(data)) - 1
            response = await anon.put(
                upload_url,
                content=data[start : end + 1],
                headers={"Content-Range": f"bytes {start}-{end}/{len(data)}"},
            )
            assert response.status_code in (201, 202), response.text
        assert response.status_code == 201
        redirect = await emulator_tls_client.get("/me/drive/root:/tls.bin:/content")
        assert redirect.status_code == 302
        location = redirect.headers["location"]
        assert location.startswith(emulator_server.files_url + "/dl/")
        ranged = await anon.get(location, headers={"Range": "bytes=100-199"})
        assert ranged.status_code == 206
        assert ranged.headers["content-range"] == f"bytes 100-199/{len(data)}"
        assert ranged.content == data[100:200]
        whole = await anon.get(location)
        assert whole.content == data


async def test_dropped_connection_is_a_transport_error_over_tls(
    emulator: Emulator, emulator_server: RunningServer, emulator_tls_client: httpx.AsyncClient
) -> None:
    emulator.put_file("a.bin", bytes(100_000))
    emulator.faults.drop_next(path="^/dl/")
    location = (await emulator_tls_client.get("/me/drive/root:/a.bin:/content")).headers["location"]
    verify = ssl.create_default_context(cafile=str(emulator_server.ca_bundle))
    async with httpx.AsyncClient(verify=verify) as anon:
        with pytest.raises(httpx.TransportError):
            await anon.get(location)
        assert (await anon.get(location)).status_code == 200
