"""Upload sessions and every rule of GRAPH.md §6."""

from __future__ import annotations

import random

import httpx
import pytest

from core.emulator import ConnectionDropped, Emulator
from core.hashing import quickxor_of
from tests.emulator_fixtures import IN_PROCESS_FILES

UNIT = 320 * 1024
DATA = random.Random(7).randbytes(2 * UNIT + 1000)


def quickxor(data: bytes) -> str:
    return quickxor_of(data)


async def _session(
    client: httpx.AsyncClient,
    path: str = "big.bin",
    item: dict[str, object] | None = None,
    **extra: object,
) -> str:
    body: dict[str, object] = {"item": item or {}, **extra}
    response = await client.post(f"/me/drive/root:/{path}:/createUploadSession", json=body)
    assert response.status_code == 200, response.text
    return str(response.json()["uploadUrl"])


async def _put(
    anon: httpx.AsyncClient,
    url: str,
    start: int,
    end: int,
    total: int = len(DATA),
    data: bytes = DATA,
) -> httpx.Response:
    return await anon.put(
        url,
        content=data[start : end + 1],
        headers={"Content-Range": f"bytes {start}-{end}/{total}"},
    )


async def test_create_returns_an_absolute_upload_url_expiry_and_ranges(
    emulator_client: httpx.AsyncClient,
) -> None:
    response = await emulator_client.post("/me/drive/root:/big.bin:/createUploadSession", json={})
    body = response.json()
    assert body["uploadUrl"].startswith(f"{IN_PROCESS_FILES}/up/")
    assert body["nextExpectedRanges"] == ["0-"]
    assert body["expirationDateTime"].endswith("Z")


@pytest.mark.parametrize("emulator_flavour", ["personal", "business"])
async def test_fragments_then_201_with_the_item_and_its_hash(
    emulator: Emulator, emulator_client: httpx.AsyncClient, emulator_anon: httpx.AsyncClient
) -> None:
    url = await _session(
        emulator_client,
        item={
            "fileSystemInfo": {
                "lastModifiedDateTime": "2022-02-03T04:05:06Z",
                "createdDateTime": "2021-01-01T00:00:00Z",
            }
        },
    )
    first = await _put(emulator_anon, url, 0, UNIT - 1)
    assert first.status_code == 202
    assert first.json()["nextExpectedRanges"] == [f"{UNIT}-"]
    second = await _put(emulator_anon, url, UNIT, 2 * UNIT - 1)
    assert second.status_code == 202
    last = await _put(emulator_anon, url, 2 * UNIT, len(DATA) - 1)
    assert last.status_code == 201
    item = last.json()
    assert item["name"] == "big.bin" and item["size"] == len(DATA)
    assert item["file"]["hashes"]["quickXorHash"] == quickxor(DATA)
    assert item["fileSystemInfo"] == {
        "createdDateTime": "2021-01-01T00:00:00Z",
        "lastModifiedDateTime": "2022-02-03T04:05:06Z",
    }
    assert emulator.read("big.bin") == DATA
    assert (await emulator_anon.get(url)).status_code == 404  # the session is gone


async def test_session_on_an_existing_file_replaces_it_with_200(
    emulator: Emulator, emulator_client: httpx.AsyncClient, emulator_anon: httpx.AsyncClient
) -> None:
    existing = emulator.put_file("big.bin", b"old")
    url = await _session(emulator_client)
    response = await _put(emulator_anon, url, 0, len(DATA) - 1)
    assert response.status_code == 200
    assert response.json()["id"] == existing.id
    assert emulator.read("big.bin") == DATA


async def test_session_by_item_id_replaces_that_file(
    emulator: Emulator, emulator_client: httpx.AsyncClient, emulator_anon: httpx.AsyncClient
) -> None:
    existing = emulator.put_file("x.bin", b"old")
    response = await emulator_client.post(f"/me/drive/items/{existing.id}/createUploadSession")
    url = response.json()["uploadUrl"]
    done = await _put(emulator_anon, url, 0, 9, total=10)
    assert done.status_code == 200 and done.json()["id"] == existing.id


async def test_non_final_fragment_must_be_a_multiple_of_320_kib(
    emulator_client: httpx.AsyncClient, emulator_anon: httpx.AsyncClient
) -> None:
    url = await _session(emulator_client)
    response = await _put(emulator_anon, url, 0, UNIT + 99)
    assert response.status_code == 400


async def test_fragment_of_60_mib_or_more_is_refused(
    emulator_client: httpx.AsyncClient, emulator_anon: httpx.AsyncClient
) -> None:
    url = await _session(emulator_client)
    size = 60 * 1024 * 1024
    response = await emulator_anon.put(
        url, content=bytes(size), headers={"Content-Range": f"bytes 0-{size - 1}/{size * 2}"}
    )
    assert response.status_code == 413


async def test_total_must_stay_the_same(
    emulator_client: httpx.AsyncClient, emulator_anon: httpx.AsyncClient
) -> None:
    url = await _session(emulator_client)
    assert (await _put(emulator_anon, url, 0, UNIT - 1)).status_code == 202
    response = await _put(emulator_anon, url, UNIT, 2 * UNIT - 1, total=len(DATA) + 1)
    assert response.status_code == 400
    assert response.json()["error"]["innerError"]["code"] == "fragmentLengthMismatch"


async def test_overlap_and_out_of_order_are_416(
    emulator_client: httpx.AsyncClient, emulator_anon: httpx.AsyncClient
) -> None:
    url = await _session(emulator_client)
    assert (await _put(emulator_anon, url, 0, UNIT - 1)).status_code == 202
    overlap = await _put(emulator_anon, url, 0, UNIT - 1)
    assert overlap.status_code == 416
    assert overlap.json()["error"]["code"] == "invalidRange"
    assert overlap.json()["error"]["innerError"]["code"] == "fragmentOverlap"
    gap = await _put(emulator_anon, url, 2 * UNIT, len(DATA) - 1)
    assert gap.status_code == 416
    assert gap.json()["error"]["innerError"]["code"] == "fragmentOutOfOrder"


async def test_content_range_is_required(
    emulator_client: httpx.AsyncClient, emulator_anon: httpx.AsyncClient
) -> None:
    url = await _session(emulator_client)
    assert (await emulator_anon.put(url, content=b"abc")).status_code == 400


async def test_status_get_reports_next_expected_ranges_even_with_a_token(
    emulator_client: httpx.AsyncClient, emulator_anon: httpx.AsyncClient
) -> None:
    url = await _session(emulator_client)
    await _put(emulator_anon, url, 0, UNIT - 1)
    plain = await emulator_anon.get(url)
    with_token = await emulator_client.get(url)
    assert plain.status_code == with_token.status_code == 200
    assert plain.json()["nextExpectedRanges"] == [f"{UNIT}-"]


async def test_fragment_put_with_an_authorization_header_is_401(
    emulator_client: httpx.AsyncClient,
) -> None:
    url = await _session(emulator_client)
    response = await emulator_client.put(
        url, content=DATA[:UNIT], headers={"Content-Range": f"bytes 0-{UNIT - 1}/{len(DATA)}"}
    )
    assert response.status_code == 401


async def test_delete_cancels_the_session(
    emulator_client: httpx.AsyncClient, emulator_anon: httpx.AsyncClient
) -> None:
    url = await _session(emulator_client)
    assert (await emulator_anon.delete(url)).status_code == 204
    assert (await emulator_anon.get(url)).status_code == 404
    assert (await _put(emulator_anon, url, 0, UNIT - 1)).status_code == 404


async def test_expired_session_is_404_and_fragments_extend_the_expiry(
    emulator: Emulator, emulator_client: httpx.AsyncClient, emulator_anon: httpx.AsyncClient
) -> None:
    url = await _session(emulator_client)
    emulator.clock.advance(800)
    assert (await _put(emulator_anon, url, 0, UNIT - 1)).status_code == 202
    emulator.clock.advance(800)  # 1,600 s after creation, 800 s after the last fragment
    assert (await emulator_anon.get(url)).status_code == 200
    emulator.clock.advance(901)
    gone = await emulator_anon.get(url)
    assert gone.status_code == 404
    assert gone.json()["error"]["code"] == "itemNotFound"


async def test_name_conflict_at_completion_is_409_and_the_session_survives(
    emulator: Emulator, emulator_client: httpx.AsyncClient, emulator_anon: httpx.AsyncClient
) -> None:
    url = await _session(emulator_client, item={"@microsoft.graph.conflictBehavior": "fail"})
    emulator.put_file("big.bin", b"someone else")
    response = await _put(emulator_anon, url, 0, len(DATA) - 1)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "nameAlreadyExists"
    status = await emulator_anon.get(url)
    assert status.status_code == 200 and status.json()["nextExpectedRanges"] == []
    # Recover by committing the received bytes under another name (GRAPH.md §6.8).
    commit = await emulator_client.put(
        "/me/drive/root:/big-2.bin",
        json={
            "name": "big-2.bin",
            "@microsoft.graph.sourceUrl": url,
            "@microsoft.graph.conflictBehavior": "rename",
        },
    )
    assert commit.status_code == 201, commit.text
    assert emulator.read("big-2.bin") == DATA
    assert emulator.read("big.bin") == b"someone else"


async def test_create_with_fail_on_an_existing_name_is_409(
    emulator: Emulator, emulator_client: httpx.AsyncClient
) -> None:
    emulator.put_file("big.bin", b"x")
    response = await emulator_client.post(
        "/me/drive/root:/big.bin:/createUploadSession",
        json={"item": {"@microsoft.graph.conflictBehavior": "fail"}},
    )
    assert response.status_code == 409


async def test_create_with_rename_gets_a_free_name_at_completion(
    emulator: Emulator, emulator_client: httpx.AsyncClient, emulator_anon: httpx.AsyncClient
) -> None:
    emulator.put_file("big.bin", b"x")
    url = await _session(emulator_client, item={"@microsoft.graph.conflictBehavior": "rename"})
    response = await _put(emulator_anon, url, 0, len(DATA) - 1)
    assert response.status_code == 201 and response.json()["name"] == "big 1.bin"


async def test_item_name_must_match_the_path(emulator_client: httpx.AsyncClient) -> None:
    response = await emulator_client.post(
        "/me/drive/root:/big.bin:/createUploadSession", json={"item": {"name": "other.bin"}}
    )
    assert response.status_code == 400


async def test_file_size_over_quota_is_507_without_a_session(
    emulator: Emulator, emulator_client: httpx.AsyncClient
) -> None:
    response = await emulator_client.post(
        "/me/drive/root:/big.bin:/createUploadSession",
        json={"item": {"fileSize": emulator.drive.quota_total + 1}},
    )
    assert response.status_code == 507
    assert emulator.upload_sessions == {}


async def test_defer_commit_waits_for_an_explicit_post(
    emulator: Emulator, emulator_client: httpx.AsyncClient, emulator_anon: httpx.AsyncClient
) -> None:
    url = await _session(emulator_client, deferCommit=True)
    response = await _put(emulator_anon, url, 0, len(DATA) - 1)
    assert response.status_code == 202 and response.json()["nextExpectedRanges"] == []
    with pytest.raises(Exception):  # noqa: B017 - not there yet
        emulator.item("big.bin")
    commit = await emulator_anon.post(url, content=b"")
    assert commit.status_code == 201
    assert emulator.read("big.bin") == DATA


async def test_an_interrupted_fragment_is_discarded(
    emulator: Emulator, emulator_client: httpx.AsyncClient, emulator_anon: httpx.AsyncClient
) -> None:
    url = await _session(emulator_client)
    assert (await _put(emulator_anon, url, 0, UNIT - 1)).status_code == 202
    emulator.faults.drop_next(path="^/up/")
    with pytest.raises(ConnectionDropped):
        await _put(emulator_anon, url, UNIT, 2 * UNIT - 1)
    status = await emulator_anon.get(url)
    assert status.json()["nextExpectedRanges"] == [f"{UNIT}-"]
    assert (await _put(emulator_anon, url, UNIT, 2 * UNIT - 1)).status_code == 202
    assert (await _put(emulator_anon, url, 2 * UNIT, len(DATA) - 1)).status_code == 201
    assert emulator.read("big.bin") == DATA


async def test_empty_file_by_session(
    emulator: Emulator, emulator_client: httpx.AsyncClient, emulator_anon: httpx.AsyncClient
) -> None:
    url = await _session(emulator_client, path="one.bin")
    response = await emulator_anon.put(url, content=b"z", headers={"Content-Range": "bytes 0-0/1"})
    assert response.status_code == 201 and response.json()["size"] == 1


async def test_session_into_a_missing_folder_is_404(emulator_client: httpx.AsyncClient) -> None:
    response = await emulator_client.post("/me/drive/root:/no/such/f.bin:/createUploadSession")
    assert response.status_code == 404


@pytest.mark.parametrize("emulator_flavour", ["business"])
async def test_a_document_library_rewrites_office_packages_as_it_stores_them(
    emulator: Emulator, emulator_client: httpx.AsyncClient, emulator_anon: httpx.AsyncClient
) -> None:
    from core.emulator.seeds import docx

    library = next(iter(emulator.store.sites.values())).drive_ids[0]
    package = docx("quarterly numbers")
    root = f"/drives/{library}/root"
    simple = await emulator_client.put(f"{root}:/simple.docx:/content", content=package)
    url = (await emulator_client.post(f"{root}:/session.docx:/createUploadSession")).json()[
        "uploadUrl"
    ]
    session = await anon_put(emulator_anon, url, package)
    plain = await emulator_client.put(f"{root}:/notzip.docx:/content", content=b"not a zip")
    mine = await emulator_client.put("/me/drive/root:/personal.docx:/content", content=package)
    for response in (simple, session):
        item = response.json()
        assert item["size"] != len(package)
        assert item["file"]["hashes"]["quickXorHash"] != quickxor(package)
    drive = emulator.store.drive(library)
    assert emulator.read("simple.docx", drive).startswith(b"PK")  # still a package
    assert plain.json()["size"] == 9  # SharePoint cannot open it: stored as sent
    assert mine.json()["file"]["hashes"]["quickXorHash"] == quickxor(package)  # OneDrive: as sent
    # The next upload of the same bytes is rewritten again: a new eTag, a new content.
    again = await emulator_client.put(f"{root}:/simple.docx:/content", content=package)
    assert again.json()["eTag"] != simple.json()["eTag"]


async def anon_put(anon: httpx.AsyncClient, url: str, data: bytes) -> httpx.Response:
    return await anon.put(
        url, content=data, headers={"Content-Range": f"bytes 0-{len(data) - 1}/{len(data)}"}
    )


# -- when a session's URL stops working (GRAPH-second-wave §7) --------------------------

both = pytest.mark.parametrize("emulator_flavour", ["personal", "business"])


async def test_a_completed_session_answers_404_like_a_missing_one(
    emulator_client: httpx.AsyncClient, emulator_anon: httpx.AsyncClient
) -> None:
    url = await _session(emulator_client)
    assert (await _put(emulator_anon, url, 0, len(DATA) - 1)).status_code == 201
    for response in (await emulator_anon.get(url), await emulator_anon.delete(url)):
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "itemNotFound"
    assert (await _put(emulator_anon, url, 0, UNIT - 1)).status_code == 404


@both
async def test_the_url_credential_lapses_with_401_on_personal_and_403_on_business(
    emulator: Emulator,
    emulator_flavour: str,
    emulator_client: httpx.AsyncClient,
    emulator_anon: httpx.AsyncClient,
) -> None:
    emulator.config.upload_url_lifetime = 1000
    url = await _session(emulator_client)
    emulator.clock.advance(800)
    assert (await _put(emulator_anon, url, 0, UNIT - 1)).status_code == 202
    emulator.clock.advance(201)  # the session lives on (fragments extend it); the URL does not
    assert emulator.upload_sessions
    answers = [
        await _put(emulator_anon, url, UNIT, 2 * UNIT - 1),
        await emulator_anon.get(url),
        await emulator_anon.delete(url),
    ]
    for response in answers:
        if emulator_flavour == "personal":
            assert response.status_code == 401
            error = response.json()["error"]
            assert error["code"] == "unauthenticated"
            assert error["innerError"]["code"] == "expiredToken"
            assert "The access token has expired" in error["message"]
        else:
            assert response.status_code == 403
            assert response.json()["error"]["code"] == "accessDenied"
    # A fresh session is the way on: the old one, unusable now, does not hold the name.
    fresh = await _session(emulator_client)
    assert (await _put(emulator_anon, fresh, 0, len(DATA) - 1)).status_code == 201


async def test_a_url_with_a_forged_credential_is_401(
    emulator_client: httpx.AsyncClient, emulator_anon: httpx.AsyncClient
) -> None:
    url = httpx.URL(await _session(emulator_client))
    for forged in (
        url.copy_merge_params({"tempauth": "0" * 32}),
        url.copy_merge_params({"exp": "9999999999"}),
        url.copy_with(query=None),
    ):
        response = await emulator_anon.get(forged)
        assert response.status_code == 401 and response.json()["error"]["code"] == "unauthenticated"
    assert (await emulator_anon.get(url)).status_code == 200


@both
async def test_a_second_session_for_the_same_file_is_409_while_the_first_lives(
    emulator: Emulator, emulator_client: httpx.AsyncClient, emulator_anon: httpx.AsyncClient
) -> None:
    first = await _session(emulator_client)
    replace = {"@microsoft.graph.conflictBehavior": "replace"}
    again = await emulator_client.post(
        "/me/drive/root:/BIG.bin:/createUploadSession", json={"item": replace}
    )
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "nameAlreadyExists"
    # Other names, and "rename" (which will not take this name), are free to go.
    await _session(emulator_client, path="other.bin")
    await _session(emulator_client, item={"@microsoft.graph.conflictBehavior": "rename"})
    # Cancelling the first frees the name.
    assert (await emulator_anon.delete(first)).status_code == 204
    second = await _session(emulator_client)
    assert (await _put(emulator_anon, second, 0, len(DATA) - 1)).status_code == 201
    # An existing file: by id or by path, one session at a time; its expiry frees the name.
    item_id = emulator.item("big.bin").id
    by_id = await emulator_client.post(f"/me/drive/items/{item_id}/createUploadSession", json={})
    assert by_id.status_code == 200
    by_path = await emulator_client.post("/me/drive/root:/big.bin:/createUploadSession", json={})
    assert by_path.status_code == 409
    emulator.clock.advance(emulator.config.upload_session_lifetime)
    assert (await emulator_anon.get(by_id.json()["uploadUrl"])).status_code == 404
    await _session(emulator_client)
