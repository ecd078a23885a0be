"""File versions (GRAPH.md §10)."""

from __future__ import annotations

import httpx
import pytest

from core.emulator import Emulator

both = pytest.mark.parametrize("emulator_flavour", ["personal", "business"])


async def _versions(client: httpx.AsyncClient, item_id: str) -> list[dict[str, object]]:
    response = await client.get(f"/me/drive/items/{item_id}/versions")
    assert response.status_code == 200
    return list(response.json()["value"])


@both
async def test_every_content_change_makes_a_version_listed_newest_first(
    emulator: Emulator, emulator_client: httpx.AsyncClient
) -> None:
    for text in (b"one", b"two!", b"three"):
        item = emulator.put_file("a.txt", text)
    versions = await _versions(emulator_client, item.id)
    assert [v["id"] for v in versions] == ["3.0", "2.0", "1.0"]
    assert [v["size"] for v in versions] == [5, 4, 3]
    assert versions[0]["lastModifiedBy"] == {"user": emulator.me.identity()["user"]}


@both
async def test_mtime_patch_makes_a_version_on_business_only(
    emulator: Emulator, emulator_client: httpx.AsyncClient, emulator_flavour: str
) -> None:
    item = emulator.put_file("a.txt", b"one")
    await emulator_client.patch(
        f"/me/drive/items/{item.id}",
        json={"fileSystemInfo": {"lastModifiedDateTime": "2020-01-01T00:00:00Z"}},
    )
    count = len(await _versions(emulator_client, item.id))
    assert count == (2 if emulator_flavour == "business" else 1)


async def test_older_version_content_redirects_but_current_is_refused(
    emulator: Emulator, emulator_client: httpx.AsyncClient, emulator_anon: httpx.AsyncClient
) -> None:
    emulator.put_file("a.txt", b"old")
    item = emulator.put_file("a.txt", b"new")
    old = await emulator_client.get(f"/me/drive/items/{item.id}/versions/1.0/content")
    assert old.status_code == 302
    assert (await emulator_anon.get(old.headers["location"])).content == b"old"
    # Range is ignored on an old version's content: 200 and the whole of it.
    ranged = await emulator_anon.get(old.headers["location"], headers={"Range": "bytes=1-"})
    assert ranged.status_code == 200 and ranged.content == b"old"
    assert "content-range" not in ranged.headers
    current = await emulator_client.get(f"/me/drive/items/{item.id}/versions/2.0/content")
    assert current.status_code == 400
    single = await emulator_client.get(f"/me/drive/items/{item.id}/versions/1.0")
    assert single.json()["id"] == "1.0" and single.json()["size"] == 3
    missing = await emulator_client.get(f"/me/drive/items/{item.id}/versions/9.0")
    assert missing.status_code == 404


@both
async def test_restore_version_makes_a_new_current_version(
    emulator: Emulator, emulator_client: httpx.AsyncClient
) -> None:
    emulator.put_file("a.txt", b"old")
    item = emulator.put_file("a.txt", b"new")
    response = await emulator_client.post(f"/me/drive/items/{item.id}/versions/1.0/restoreVersion")
    assert response.status_code == 204
    assert emulator.read("a.txt") == b"old"
    assert [v["id"] for v in await _versions(emulator_client, item.id)] == ["3.0", "2.0", "1.0"]


@pytest.mark.parametrize("emulator_flavour", ["business"])
async def test_business_deletes_old_versions_and_frees_quota(
    emulator: Emulator, emulator_client: httpx.AsyncClient
) -> None:
    emulator.put_file("a.txt", b"12345")
    item = emulator.put_file("a.txt", b"678")
    assert (await emulator_client.get("/me/drive")).json()["quota"]["used"] == 8
    response = await emulator_client.delete(f"/me/drive/items/{item.id}/versions/1.0")
    assert response.status_code == 204
    assert [v["id"] for v in await _versions(emulator_client, item.id)] == ["2.0"]
    assert (await emulator_client.get("/me/drive")).json()["quota"]["used"] == 3
    current = await emulator_client.delete(f"/me/drive/items/{item.id}/versions/2.0")
    assert current.status_code == 403


async def test_personal_refuses_to_delete_versions(
    emulator: Emulator, emulator_client: httpx.AsyncClient
) -> None:
    emulator.put_file("a.txt", b"1")
    item = emulator.put_file("a.txt", b"2")
    response = await emulator_client.delete(f"/me/drive/items/{item.id}/versions/1.0")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "notSupported"


async def test_folders_have_no_versions(
    emulator: Emulator, emulator_client: httpx.AsyncClient
) -> None:
    folder = emulator.mkdir("d")
    assert (await emulator_client.get(f"/me/drive/items/{folder.id}/versions")).status_code == 400
