"""Serving details: prompt stop with keep-alive clients, a request log that is complete as
soon as a response has been read, and the root site addressed by host name."""

from __future__ import annotations

import ssl

import httpx
import pytest

from core.emulator import Emulator, start_server

from ..emulator_fixtures import make_emulator


async def test_stop_is_prompt_while_a_client_keeps_a_connection_open() -> None:
    em = make_emulator()
    server = start_server(em)
    ctx = ssl.create_default_context(cafile=str(server.ca_bundle))
    async with httpx.AsyncClient(verify=ctx, headers=em.auth_headers()) as client:
        assert (await client.get(f"{server.graph_url}/me/drive")).status_code == 200
        server.stop()  # the connection is still open and this loop cannot answer
    em.close()
    # stop() gave up waiting for the open connection and ended the server (uvicorn alone
    # would wait for the client forever); no time limit: a busy machine is slow to join
    assert not server._thread.is_alive()


async def test_request_is_in_the_log_once_its_response_is_read(
    emulator: Emulator, emulator_server, emulator_tls_client: httpx.AsyncClient
) -> None:
    emulator.put_file("a.bin", b"x" * 200_000)
    url = (await emulator_tls_client.get("/me/drive/root:/a.bin")).json()[
        "@microsoft.graph.downloadUrl"
    ]
    ctx = ssl.create_default_context(cafile=str(emulator_server.ca_bundle))
    async with httpx.AsyncClient(verify=ctx) as anonymous:  # no bearer for the URL
        for n in range(30):
            emulator.requests.clear()
            if n % 2:
                response = await anonymous.get(url)
            else:
                response = await emulator_tls_client.get("/me/drive/root/children")
            assert response.status_code == 200
            assert len(emulator.requests) == 1, n
            assert emulator.requests[0].status == 200


async def test_streamed_fault_is_logged_with_its_fault(
    emulator: Emulator, emulator_client: httpx.AsyncClient
) -> None:
    emulator.faults.fail_next(1, 503, retry_after=2)
    emulator.requests.clear()
    assert (await emulator_client.get("/me/drive")).status_code == 503
    [record] = list(emulator.requests)
    assert record.status == 503 and record.fault == "status 503"


@pytest.mark.parametrize("emulator_flavour", ["business"])
async def test_root_site_by_host_name(emulator_client: httpx.AsyncClient) -> None:
    root = (await emulator_client.get("/sites/root")).json()
    by_host = await emulator_client.get("/sites/contoso.sharepoint.com")
    assert by_host.status_code == 200 and by_host.json()["id"] == root["id"]
    drives = (await emulator_client.get("/sites/contoso.sharepoint.com/drives")).json()
    assert [d["driveType"] for d in drives["value"]] == ["documentLibrary"]
    unknown = await emulator_client.get("/sites/fabrikam.sharepoint.com")
    assert unknown.status_code == 404
