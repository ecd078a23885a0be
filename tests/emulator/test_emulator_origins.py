"""Pre-authenticated URLs live on their own origin, as on Graph, so an ordinary HTTP client
that follows ``/content``'s redirect drops its bearer token on the way (httpx, curl)."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from pathlib import Path

import httpx
import pytest

from core.emulator import Emulator, RunningServer, start_server
from core.emulator.origins import IN_PROCESS_FILES_PORT
from tests.emulator_fixtures import IN_PROCESS_FILES, make_emulator

DATA = bytes(range(256)) * 40


def _origin(url: str) -> tuple[str, str, int | None]:
    parsed = httpx.URL(url)
    return parsed.scheme, parsed.host, parsed.port


async def test_every_pre_authenticated_url_points_at_the_files_origin(
    emulator: Emulator, emulator_server: RunningServer, emulator_tls_client: httpx.AsyncClient
) -> None:
    source = emulator.put_file("o/a.bin", DATA)
    files = _origin(emulator_server.files_url)
    assert files != _origin(emulator_server.base_url)
    assert files[:2] == _origin(emulator_server.base_url)[:2]  # same name, same certificate

    item = (await emulator_tls_client.get("/me/drive/root:/o/a.bin")).json()
    listed = (await emulator_tls_client.get("/me/drive/root:/o:/children")).json()["value"][0]
    redirect = await emulator_tls_client.get("/me/drive/root:/o/a.bin:/content")
    session = await emulator_tls_client.post("/me/drive/root:/o/b.bin:/createUploadSession")
    copy = await emulator_tls_client.post(
        f"/me/drive/items/{source.id}/copy", json={"name": "c.bin"}
    )
    urls = [
        item["@microsoft.graph.downloadUrl"],
        listed["@microsoft.graph.downloadUrl"],
        redirect.headers["location"],
        session.json()["uploadUrl"],
        copy.headers["location"],
    ]
    assert [_origin(u) for u in urls] == [files] * len(urls), urls


def test_a_plain_httpx_client_follows_the_redirect_and_drops_its_token(
    emulator: Emulator, emulator_server: RunningServer
) -> None:
    emulator.put_file("plain.bin", DATA)
    emulator.requests.clear()
    # Only what any user of httpx would set: the CA, the token, redirects on.
    with httpx.Client(
        verify=ssl.create_default_context(cafile=str(emulator_server.ca_bundle)),
        headers=emulator.auth_headers(),
        follow_redirects=True,
    ) as client:
        response = client.get(f"{emulator_server.graph_url}/me/drive/root:/plain.bin:/content")
    assert response.status_code == 200 and response.content == DATA
    assert [r.status_code for r in response.history] == [302]
    assert "authorization" not in response.request.headers
    content, download = emulator.requests
    assert content.authorized and content.port == emulator_server.port
    assert download.path.startswith("/dl/") and download.status == 200
    assert not download.authorized and download.port == emulator_server.files_port


def test_curl_follows_the_redirect_and_drops_its_token(
    emulator: Emulator, emulator_server: RunningServer, tmp_path: Path
) -> None:
    curl = shutil.which("curl")
    if curl is None:
        pytest.skip("curl is not installed")
    emulator.put_file("curl.bin", DATA)
    emulator.requests.clear()
    out = tmp_path / "curl.bin"
    token = emulator.auth_headers()["Authorization"]
    done = subprocess.run(
        [
            curl,
            "--silent",
            "--show-error",
            "--fail",
            "--location",
            "--max-time",
            "120",
            "--cacert",
            str(emulator_server.ca_bundle),
            "--header",
            f"Authorization: {token}",
            "--output",
            str(out),
            f"{emulator_server.graph_url}/me/drive/root:/curl.bin:/content",
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert out.read_bytes() == DATA
    content, download = emulator.requests
    assert content.authorized and not download.authorized
    assert download.port == emulator_server.files_port


def test_each_origin_answers_only_its_own_paths(
    emulator: Emulator, emulator_server: RunningServer
) -> None:
    emulator.put_file("x.bin", DATA)
    context = ssl.create_default_context(cafile=str(emulator_server.ca_bundle))
    with httpx.Client(verify=context, headers=emulator.auth_headers()) as graph:
        location = graph.get(f"{emulator_server.graph_url}/me/drive/root:/x.bin:/content").headers[
            "location"
        ]
        misplaced = httpx.URL(location).copy_with(port=emulator_server.port)
        assert graph.get(misplaced).status_code == 404  # no downloads on Graph's origin
        assert graph.get(f"{emulator_server.files_url}/v1.0/me/drive").status_code == 404
    with httpx.Client(verify=context) as anon:
        assert anon.get(location).content == DATA


async def test_in_process_the_files_origin_is_another_port(
    emulator: Emulator, emulator_client: httpx.AsyncClient, emulator_anon: httpx.AsyncClient
) -> None:
    emulator.put_file("p.bin", DATA)
    location = (await emulator_client.get("/me/drive/root:/p.bin:/content")).headers["location"]
    assert location.startswith(f"{IN_PROCESS_FILES}/dl/")
    assert httpx.URL(location).port == IN_PROCESS_FILES_PORT
    assert (await emulator_anon.get(location)).content == DATA
    on_graph = httpx.URL(location).copy_with(port=None)
    assert (await emulator_anon.get(on_graph)).status_code == 404


@pytest.mark.parametrize("host", ["127.0.0.1", "::1"])
def test_the_files_origin_keeps_the_host_name_the_client_used(host: str) -> None:
    emulator = make_emulator()
    try:
        server = start_server(emulator, host)
    except OSError as error:
        emulator.close()
        pytest.skip(f"cannot listen on {host}: {error}")
    try:
        emulator.put_file("h.bin", DATA)
        context = ssl.create_default_context(cafile=str(server.ca_bundle))
        names = ["localhost", server.base_url.split("//")[1].rsplit(":", 1)[0]]
        for name in names:
            with httpx.Client(
                verify=context, headers=emulator.auth_headers(), follow_redirects=True
            ) as client:
                try:
                    response = client.get(
                        f"https://{name}:{server.port}/v1.0/me/drive/root:/h.bin:/content"
                    )
                except httpx.ConnectError:
                    if name != "localhost":
                        raise
                    continue  # "localhost" may not name this address family here
            assert response.content == DATA
            assert response.url.host == name.strip("[]")
            assert response.url.port == server.files_port
    finally:
        server.stop()
        emulator.close()
