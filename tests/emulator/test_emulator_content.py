"""Simple upload (PUT /content) and download through pre-authenticated URLs (§4–5)."""

from __future__ import annotations

import hashlib

import httpx
import pytest

from core.emulator import Emulator, items
from tests.emulator_fixtures import IN_PROCESS_FILES

DIGITS = b"0123456789" * 100
DIGITS_QUICKXOR = "jE6XslXW8BcxmE1Dxhaj4y3tmVM="

both = pytest.mark.parametrize("emulator_flavour", ["personal", "business"])


@both
async def test_put_creates_a_file_with_real_hashes(
    emulator_client: httpx.AsyncClient, emulator_flavour: str
) -> None:
    response = await emulator_client.put("/me/drive/root:/digits.txt:/content", content=DIGITS)
    assert response.status_code == 201
    body = response.json()
    assert body["size"] == 1000 and body["file"]["mimeType"] == "text/plain"
    hashes = body["file"]["hashes"]
    assert hashes["quickXorHash"] == DIGITS_QUICKXOR
    if emulator_flavour == "personal":
        assert hashes["sha1Hash"] == hashlib.sha1(DIGITS).hexdigest().upper()
    else:
        assert "sha1Hash" not in hashes


@pytest.mark.parametrize(
    ("content", "quickxor"),
    [
        (b"", "AAAAAAAAAAAAAAAAAAAAAAAAAAA="),
        (b"hello", "aCgDG9jwBgAAAAAABQAAAAAAAAA="),
        (b"The quick brown fox jumps over the lazy dog", "bMSlbysmxJL6S75XwfMcQZOpcr4="),
    ],
)
async def test_quickxor_matches_the_reference_vectors(
    emulator_client: httpx.AsyncClient, content: bytes, quickxor: str
) -> None:
    response = await emulator_client.put("/me/drive/root:/v.bin:/content", content=content)
    assert response.json()["file"]["hashes"]["quickXorHash"] == quickxor


async def test_put_replaces_by_default_with_200(
    emulator: Emulator, emulator_client: httpx.AsyncClient
) -> None:
    first = await emulator_client.put("/me/drive/root:/a.txt:/content", content=b"one")
    second = await emulator_client.put("/me/drive/root:/A.TXT:/content", content=b"two")
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["id"] == first.json()["id"]
    assert emulator.read("a.txt") == b"two"


async def test_put_by_item_id_replaces_that_file(
    emulator: Emulator, emulator_client: httpx.AsyncClient
) -> None:
    item = emulator.put_file("a.txt", b"one")
    response = await emulator_client.put(f"/me/drive/items/{item.id}/content", content=b"new")
    assert response.status_code == 200 and response.json()["size"] == 3
    assert emulator.read("a.txt") == b"new"


async def test_put_conflict_behaviour_fail_and_rename(
    emulator: Emulator, emulator_client: httpx.AsyncClient
) -> None:
    emulator.put_file("a.txt", b"one")
    failed = await emulator_client.put(
        "/me/drive/root:/a.txt:/content?@microsoft.graph.conflictBehavior=fail", content=b"x"
    )
    assert failed.status_code == 409
    assert failed.json()["error"]["code"] == "nameAlreadyExists"
    renamed = await emulator_client.put(
        "/me/drive/root:/a.txt:/content?@microsoft.graph.conflictBehavior=rename", content=b"x"
    )
    assert renamed.status_code == 201 and renamed.json()["name"] == "a 1.txt"


async def test_put_into_a_missing_folder_is_404(emulator_client: httpx.AsyncClient) -> None:
    response = await emulator_client.put("/me/drive/root:/nope/a.txt:/content", content=b"x")
    assert response.status_code == 404


async def test_put_with_a_reserved_name_is_400(emulator_client: httpx.AsyncClient) -> None:
    response = await emulator_client.put("/me/drive/root:/a%3F.txt:/content", content=b"x")
    assert response.status_code == 400
    assert response.json()["error"]["innerError"]["code"] == "invalidPath"


async def test_put_over_the_simple_upload_limit_is_413(
    emulator_client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(items, "SIMPLE_UPLOAD_LIMIT", 10)
    response = await emulator_client.put("/me/drive/root:/big.bin:/content", content=b"x" * 11)
    assert response.status_code == 413


async def test_put_onto_a_folder_name_is_409(
    emulator: Emulator, emulator_client: httpx.AsyncClient
) -> None:
    emulator.mkdir("d")
    response = await emulator_client.put("/me/drive/root:/d:/content", content=b"x")
    assert response.status_code == 409


async def test_put_over_quota_is_507(
    emulator: Emulator, emulator_client: httpx.AsyncClient
) -> None:
    emulator.drive.quota_total = 10
    response = await emulator_client.put("/me/drive/root:/a.bin:/content", content=b"x" * 11)
    assert response.status_code == 507
    assert response.json()["error"]["code"] == "quotaLimitReached"


async def test_content_redirects_to_a_pre_authenticated_url(
    emulator: Emulator, emulator_client: httpx.AsyncClient, emulator_anon: httpx.AsyncClient
) -> None:
    emulator.put_file("d/a.txt", DIGITS)
    response = await emulator_client.get("/me/drive/root:/d/a.txt:/content")
    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith(f"{IN_PROCESS_FILES}/dl/")
    item = (await emulator_client.get("/me/drive/root:/d/a.txt")).json()
    assert item["@microsoft.graph.downloadUrl"].startswith(f"{IN_PROCESS_FILES}/dl/")
    download = await emulator_anon.get(location)
    assert download.status_code == 200 and download.content == DIGITS
    assert download.headers["content-length"] == "1000"


async def test_download_url_refuses_an_authorization_header(
    emulator: Emulator, emulator_client: httpx.AsyncClient
) -> None:
    emulator.put_file("a.txt", b"secret")
    location = (await emulator_client.get("/me/drive/root:/a.txt:/content")).headers["location"]
    response = await emulator_client.get(location)  # the client sends its bearer token
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("header", "status", "content_range", "body"),
    [
        ("bytes=0-9", 206, "bytes 0-9/1000", DIGITS[:10]),
        ("bytes=995-", 206, "bytes 995-999/1000", DIGITS[995:]),
        ("bytes=-3", 200, None, DIGITS),  # suffix ranges are ignored (GRAPH-second-wave §6)
        ("bytes=990-5000", 206, "bytes 990-999/1000", DIGITS[990:]),
        ("bytes=1000-", 416, "bytes */1000", b""),
        ("bytes=0-1,5-6", 200, None, DIGITS),
    ],
)
async def test_download_ranges(
    emulator: Emulator,
    emulator_client: httpx.AsyncClient,
    emulator_anon: httpx.AsyncClient,
    header: str,
    status: int,
    content_range: str | None,
    body: bytes,
) -> None:
    emulator.put_file("a.txt", DIGITS)
    location = (await emulator_client.get("/me/drive/root:/a.txt:/content")).headers["location"]
    response = await emulator_anon.get(location, headers={"Range": header})
    assert response.status_code == status
    assert response.headers.get("content-range") == content_range
    assert response.content == body


async def test_download_url_expires(
    emulator: Emulator, emulator_client: httpx.AsyncClient, emulator_anon: httpx.AsyncClient
) -> None:
    emulator.put_file("a.txt", b"1")
    location = (await emulator_client.get("/me/drive/root:/a.txt:/content")).headers["location"]
    emulator.clock.advance(3601)
    assert (await emulator_anon.get(location)).status_code == 401


async def test_a_tampered_download_url_is_refused(
    emulator: Emulator, emulator_client: httpx.AsyncClient, emulator_anon: httpx.AsyncClient
) -> None:
    emulator.put_file("a.txt", b"1")
    location = (await emulator_client.get("/me/drive/root:/a.txt:/content")).headers["location"]
    assert (await emulator_anon.get(location.replace("tempauth=", "tempauth=0"))).status_code == 401


async def test_download_url_keeps_serving_the_version_it_was_made_for(
    emulator: Emulator, emulator_client: httpx.AsyncClient, emulator_anon: httpx.AsyncClient
) -> None:
    emulator.put_file("a.txt", b"old")
    location = (await emulator_client.get("/me/drive/root:/a.txt:/content")).headers["location"]
    emulator.put_file("a.txt", b"new")
    assert (await emulator_anon.get(location)).content == b"old"


async def test_content_if_none_match_is_304(
    emulator: Emulator, emulator_client: httpx.AsyncClient
) -> None:
    emulator.put_file("a.txt", b"1")
    ctag = (await emulator_client.get("/me/drive/root:/a.txt")).json()["cTag"]
    response = await emulator_client.get(
        "/me/drive/root:/a.txt:/content", headers={"If-None-Match": ctag}
    )
    assert response.status_code == 304


async def test_large_contents_spill_to_disk(emulator: Emulator) -> None:
    item = emulator.put_file("big.bin", b"\x01" * (emulator.config.memory_blob_limit + 1))
    blob = item.versions[-1].blob if item.versions else None
    assert blob is not None and blob.data is None and blob.path is not None
    assert blob.path.exists()


async def test_head_on_a_download_url_gives_the_length(
    emulator: Emulator, emulator_client: httpx.AsyncClient, emulator_anon: httpx.AsyncClient
) -> None:
    emulator.put_file("a.txt", DIGITS)
    location = (await emulator_client.get("/me/drive/root:/a.txt:/content")).headers["location"]
    response = await emulator_anon.head(location)
    assert response.status_code == 200 and response.headers["content-length"] == "1000"
    assert response.headers["accept-ranges"] == "bytes"


async def test_download_of_a_deleted_file_is_404(
    emulator: Emulator, emulator_client: httpx.AsyncClient, emulator_anon: httpx.AsyncClient
) -> None:
    item = emulator.put_file("a.txt", b"x")
    location = (await emulator_client.get("/me/drive/root:/a.txt:/content")).headers["location"]
    await emulator_client.delete(f"/me/drive/items/{item.id}")
    assert (await emulator_anon.get(location)).status_code == 404
