"""Copy, share links, permissions and sharedWithMe (GRAPH.md §8, §9, §11.4)."""

from __future__ import annotations

from datetime import UTC

import httpx
import pytest

from core.emulator import Emulator
from tests.emulator_fixtures import IN_PROCESS_FILES

both = pytest.mark.parametrize("emulator_flavour", ["personal", "business"])


async def _copy(
    client: httpx.AsyncClient, item_id: str, body: dict[str, object], query: str = ""
) -> httpx.Response:
    return await client.post(
        f"/me/drive/items/{item_id}/copy{query}", json=body, headers={"Prefer": "respond-async"}
    )


@both
async def test_copy_is_202_with_a_monitor_that_completes_with_the_resource_id(
    emulator: Emulator, emulator_client: httpx.AsyncClient, emulator_anon: httpx.AsyncClient
) -> None:
    source = emulator.put_file("src/a.txt", b"payload")
    target = emulator.mkdir("dst")
    response = await _copy(
        emulator_client,
        source.id,
        {"parentReference": {"driveId": emulator.drive_id, "id": target.id}, "name": "b.txt"},
    )
    assert response.status_code == 202 and response.content == b""
    monitor = response.headers["location"]
    assert monitor.startswith(f"{IN_PROCESS_FILES}/monitor/")
    first = await emulator_anon.get(monitor)
    assert first.status_code == 202 and first.json()["status"] == "inProgress"
    done = await emulator_anon.get(monitor)
    assert done.json()["status"] == "completed"
    new_id = done.json()["resourceId"]
    copied = (await emulator_client.get(f"/me/drive/items/{new_id}")).json()
    assert copied["name"] == "b.txt" and copied["id"] != source.id
    assert (
        copied["file"]["hashes"]
        == (await emulator_client.get(f"/me/drive/items/{source.id}")).json()["file"]["hashes"]
    )


async def test_copy_monitor_refuses_an_authorization_header(
    emulator: Emulator, emulator_client: httpx.AsyncClient
) -> None:
    source = emulator.put_file("a.txt", b"x")
    response = await _copy(emulator_client, source.id, {"name": "b.txt"})
    assert (await emulator_client.get(response.headers["location"])).status_code == 401


async def test_copy_onto_an_existing_name_fails_synchronously(
    emulator: Emulator, emulator_client: httpx.AsyncClient
) -> None:
    source = emulator.put_file("a.txt", b"x")
    emulator.put_file("b.txt", b"y")
    response = await _copy(emulator_client, source.id, {"name": "B.txt"})
    assert response.status_code == 409


@pytest.mark.parametrize("emulator_flavour", ["business"])
async def test_copy_replace_on_business(
    emulator: Emulator, emulator_client: httpx.AsyncClient
) -> None:
    source = emulator.put_file("a.txt", b"new")
    emulator.put_file("b.txt", b"old")
    response = await _copy(
        emulator_client, source.id, {"name": "b.txt"}, "?@microsoft.graph.conflictBehavior=replace"
    )
    assert response.status_code == 202
    assert emulator.read("b.txt") == b"new"


async def test_copy_a_folder_recursively_and_not_into_itself(
    emulator: Emulator, emulator_client: httpx.AsyncClient
) -> None:
    emulator.put_file("tree/x/1.txt", b"1")
    emulator.put_file("tree/2.txt", b"2")
    folder = emulator.item("tree")
    response = await _copy(emulator_client, folder.id, {"name": "tree copy"})
    assert response.status_code == 202
    assert emulator.read("tree copy/x/1.txt") == b"1"
    inner = emulator.item("tree/x")
    looped = await _copy(emulator_client, folder.id, {"parentReference": {"id": inner.id}})
    assert looped.status_code == 400


async def test_copy_does_not_preserve_the_modification_time(
    emulator: Emulator, emulator_client: httpx.AsyncClient
) -> None:
    from datetime import datetime

    source = emulator.put_file("a.txt", b"x", modified=datetime(2001, 1, 1, tzinfo=UTC))
    response = await _copy(emulator_client, source.id, {"name": "b.txt"})
    assert response.status_code == 202
    copied = (await emulator_client.get("/me/drive/root:/b.txt")).json()
    assert not copied["fileSystemInfo"]["lastModifiedDateTime"].startswith("2001")


@both
async def test_create_link_201_then_200_for_the_same_kind(
    emulator: Emulator, emulator_client: httpx.AsyncClient
) -> None:
    item = emulator.put_file("a.txt", b"x")
    url = f"/me/drive/items/{item.id}/createLink"
    first = await emulator_client.post(url, json={"type": "view", "scope": "anonymous"})
    assert first.status_code == 201
    permission = first.json()
    assert permission["roles"] == ["read"]
    assert permission["link"]["type"] == "view" and permission["link"]["scope"] == "anonymous"
    assert permission["link"]["webUrl"].startswith("https://")
    assert permission["hasPassword"] is False
    second = await emulator_client.post(url, json={"type": "view", "scope": "anonymous"})
    assert second.status_code == 200 and second.json()["id"] == permission["id"]
    edit = await emulator_client.post(url, json={"type": "edit", "scope": "anonymous"})
    assert edit.status_code == 201 and edit.json()["roles"] == ["write"]
    shared = (await emulator_client.get(f"/me/drive/items/{item.id}")).json()["shared"]
    assert shared["scope"] == "anonymous"


async def test_personal_links_embed_password_and_expiry(
    emulator: Emulator, emulator_client: httpx.AsyncClient
) -> None:
    item = emulator.put_file("a.txt", b"x")
    url = f"/me/drive/items/{item.id}/createLink"
    embed = await emulator_client.post(url, json={"type": "embed"})
    assert embed.status_code == 201 and "<iframe" in embed.json()["link"]["webHtml"]
    protected = await emulator_client.post(
        url,
        json={"type": "view", "password": "s3cret", "expirationDateTime": "2099-01-01T00:00:00Z"},
    )
    assert protected.status_code == 201
    assert protected.json()["hasPassword"] is True
    assert protected.json()["expirationDateTime"] == "2099-01-01T00:00:00Z"
    organization = await emulator_client.post(url, json={"type": "view", "scope": "organization"})
    assert organization.status_code == 400


@pytest.mark.parametrize("emulator_flavour", ["business"])
async def test_business_link_rules(emulator: Emulator, emulator_client: httpx.AsyncClient) -> None:
    item = emulator.put_file("a.txt", b"x")
    url = f"/me/drive/items/{item.id}/createLink"
    default = await emulator_client.post(url, json={"type": "view"})
    assert default.status_code == 201 and default.json()["link"]["scope"] == "organization"
    assert (await emulator_client.post(url, json={"type": "embed"})).status_code == 400
    password = await emulator_client.post(url, json={"type": "view", "password": "x"})
    assert password.status_code == 400


async def test_create_link_validates_type_and_expiry(
    emulator: Emulator, emulator_client: httpx.AsyncClient
) -> None:
    item = emulator.put_file("a.txt", b"x")
    url = f"/me/drive/items/{item.id}/createLink"
    assert (await emulator_client.post(url, json={"type": "own"})).status_code == 400
    past = await emulator_client.post(
        url, json={"type": "view", "expirationDateTime": "2001-01-01T00:00:00Z"}
    )
    assert past.status_code == 400


async def test_list_get_and_delete_permissions(
    emulator: Emulator, emulator_client: httpx.AsyncClient
) -> None:
    item = emulator.put_file("a.txt", b"x")
    link = (
        await emulator_client.post(f"/me/drive/items/{item.id}/createLink", json={"type": "view"})
    ).json()
    base = f"/me/drive/items/{item.id}/permissions"
    listed = (await emulator_client.get(base)).json()["value"]
    assert {p["id"] for p in listed} == {"owner", link["id"]}
    owner = next(p for p in listed if p["id"] == "owner")
    assert owner["roles"] == ["owner"] and owner["grantedTo"]["user"]["id"] == emulator.me.id
    assert (await emulator_client.get(f"{base}/{link['id']}")).json()["link"]["type"] == "view"
    assert (await emulator_client.delete(f"{base}/{link['id']}")).status_code == 204
    assert (await emulator_client.get(f"{base}/{link['id']}")).status_code == 404
    assert (await emulator_client.delete(f"{base}/owner")).status_code == 403
    assert "shared" not in (await emulator_client.get(f"/me/drive/items/{item.id}")).json()


@both
async def test_shared_with_me_lists_remote_items_that_can_be_fetched(
    emulator: Emulator, emulator_client: httpx.AsyncClient
) -> None:
    _, bob_drive = emulator.add_user("Bob", "bob")
    plan = emulator.put_file("Plan.txt", b"plan", drive=bob_drive)
    emulator.share_with_me(plan)
    value = (await emulator_client.get("/me/drive/sharedWithMe")).json()["value"]
    assert len(value) == 1
    remote = value[0]["remoteItem"]
    assert remote["id"] == plan.id and remote["parentReference"]["driveId"] == bob_drive.id
    fetched = await emulator_client.get(
        f"/drives/{remote['parentReference']['driveId']}/items/{remote['id']}"
    )
    assert fetched.status_code == 200 and fetched.json()["name"] == "Plan.txt"
