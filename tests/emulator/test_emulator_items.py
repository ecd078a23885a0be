"""Drives, items, children paging, folders, PATCH and DELETE (GRAPH.md §1–3, §7, §11)."""

from __future__ import annotations

import httpx
import pytest

from core.emulator import Emulator

both = pytest.mark.parametrize("emulator_flavour", ["personal", "business"])


@both
async def test_me_drive_reports_type_owner_and_quota(
    emulator: Emulator, emulator_client: httpx.AsyncClient, emulator_flavour: str
) -> None:
    emulator.put_file("a.txt", b"12345")
    body = (await emulator_client.get("/me/drive")).json()
    assert body["id"] == emulator.drive_id
    assert body["driveType"] == emulator_flavour
    assert body["owner"]["user"]["id"] == emulator.me.id
    quota = body["quota"]
    assert quota["used"] == 5 and quota["deleted"] == 0 and quota["state"] == "normal"
    assert quota["remaining"] == quota["total"] - 5
    assert ("fileCount" in quota) == (emulator_flavour == "business")


async def test_drive_by_id_and_my_drives_list(
    emulator: Emulator, emulator_client: httpx.AsyncClient
) -> None:
    by_id = await emulator_client.get(f"/drives/{emulator.drive_id}")
    assert by_id.json()["id"] == emulator.drive_id
    drives = (await emulator_client.get("/me/drives")).json()["value"]
    assert [d["id"] for d in drives] == [emulator.drive_id]
    assert (await emulator_client.get("/drives/0000000000000000")).status_code == 404


@both
async def test_root_has_root_facet_and_parent_reference_without_id(
    emulator: Emulator, emulator_client: httpx.AsyncClient, emulator_flavour: str
) -> None:
    body = (await emulator_client.get(f"/drives/{emulator.drive_id}/root")).json()
    assert body["root"] == {} and "folder" in body
    assert body["parentReference"] == {"driveId": emulator.drive_id, "driveType": emulator_flavour}


@both
async def test_create_folder_is_201_with_child_count_zero(
    emulator_client: httpx.AsyncClient,
) -> None:
    response = await emulator_client.post(
        "/me/drive/root/children", json={"name": "New Folder", "folder": {}}
    )
    assert response.status_code == 201
    assert response.json()["folder"] == {"childCount": 0}
    assert response.json()["parentReference"]["path"] == "/drive/root:"


@pytest.mark.parametrize(
    "spelling", ["@microsoft.graph.conflictBehavior", "@name.conflictBehavior"]
)
async def test_create_folder_conflicts_fail_by_default_and_rename_on_request(
    emulator_client: httpx.AsyncClient, spelling: str
) -> None:
    url = "/me/drive/root/children"
    await emulator_client.post(url, json={"name": "Docs", "folder": {}})
    again = await emulator_client.post(url, json={"name": "docs", "folder": {}})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "nameAlreadyExists"
    failed = await emulator_client.post(url, json={"name": "DOCS", "folder": {}, spelling: "fail"})
    assert failed.status_code == 409
    renamed = await emulator_client.post(
        url, json={"name": "Docs", "folder": {}, spelling: "rename"}
    )
    assert renamed.status_code == 201 and renamed.json()["name"] == "Docs 1"


async def test_creating_anything_but_a_folder_by_post_is_refused(
    emulator_client: httpx.AsyncClient,
) -> None:
    response = await emulator_client.post("/me/drive/root/children", json={"name": "x.txt"})
    assert response.status_code == 400


@pytest.mark.parametrize(
    "name",
    [
        "a*b",
        "a:b",
        "what?",
        "pipe|",
        'quote"',
        "back\\slash",
        "lt<",
        "CON",
        "nul",
        "LPT1",
        ".lock",
        "desktop.ini",
        "~$doc.docx",
        "x_vti_y",
        " lead",
        "trail ",
        "dot.",
        "tab\tname",
    ],
)
async def test_reserved_names_are_400_invalid_path(
    emulator_client: httpx.AsyncClient, name: str
) -> None:
    response = await emulator_client.post(
        "/me/drive/root/children", json={"name": name, "folder": {}}
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalidRequest"
    assert error["innerError"]["code"] == "invalidPath"


@pytest.mark.parametrize("emulator_flavour", ["business"])
async def test_business_refuses_a_leading_tilde(emulator_client: httpx.AsyncClient) -> None:
    response = await emulator_client.post(
        "/me/drive/root/children", json={"name": "~temp", "folder": {}}
    )
    assert response.json()["error"]["innerError"]["code"] == "invalidPath"


async def test_path_longer_than_400_characters_is_path_is_too_long(
    emulator: Emulator, emulator_client: httpx.AsyncClient
) -> None:
    emulator.mkdir("d" * 200)
    ok = await emulator_client.put(f"/me/drive/root:/{'d' * 200}/{'f' * 199}:/content", content=b"")
    assert ok.status_code == 201  # 400 characters exactly
    too_long = await emulator_client.put(
        f"/me/drive/root:/{'d' * 200}/{'f' * 200}:/content", content=b""
    )
    assert too_long.status_code == 400
    assert too_long.json()["error"]["innerError"]["code"] == "pathIsTooLong"


async def test_names_are_case_insensitive(
    emulator: Emulator, emulator_client: httpx.AsyncClient
) -> None:
    item = emulator.put_file("Folder/Hello.txt", b"hi")
    response = await emulator_client.get("/me/drive/root:/FOLDER/hello.TXT")
    assert response.status_code == 200
    assert response.json()["id"] == item.id and response.json()["name"] == "Hello.txt"


async def test_item_addressing_by_path_and_relative_to_an_item(
    emulator: Emulator, emulator_client: httpx.AsyncClient
) -> None:
    folder = emulator.mkdir("A/B")
    file = emulator.put_file("A/B/c d#.txt", b"x")
    drive = f"/drives/{emulator.drive_id}"
    assert (await emulator_client.get("/me/drive/root:/A/B:")).json()["id"] == folder.id
    assert (await emulator_client.get("/me/drive/root:/A/B")).json()["id"] == folder.id
    children = (await emulator_client.get("/me/drive/root:/A/B:/children")).json()["value"]
    assert [c["id"] for c in children] == [file.id]
    a_id = emulator.item("A").id
    relative = await emulator_client.get(f"{drive}/items/{a_id}:/B/c%20d%23.txt:")
    assert relative.json()["id"] == file.id
    assert relative.json()["parentReference"]["path"] == "/drive/root:/A/B"
    content = await emulator_client.get(f"{drive}/items/{a_id}:/B/c%20d%23.txt:/content")
    assert content.status_code == 302
    assert (await emulator_client.get("/me/drive/root:/A/missing:")).status_code == 404
    assert (await emulator_client.get("/me/drive/items/NOPE!1")).status_code == 404


async def test_children_page_by_200_by_default_with_an_absolute_next_link(
    emulator: Emulator, emulator_client: httpx.AsyncClient
) -> None:
    folder = emulator.add_files("many", 450)
    url: str | None = f"/drives/{emulator.drive_id}/items/{folder.id}/children"
    sizes, names = [], []
    while url:
        body = (await emulator_client.get(url)).json()
        sizes.append(len(body["value"]))
        names += [v["name"] for v in body["value"]]
        url = body.get("@odata.nextLink")
        if url:
            assert url.startswith("https://127.0.0.1/v1.0/drives/") and "$skiptoken=" in url
    assert sizes == [200, 200, 50]
    assert names == sorted(names) and len(set(names)) == 450


async def test_top_is_capped_at_1000_and_select_keeps_only_named_fields(
    emulator: Emulator, emulator_client: httpx.AsyncClient
) -> None:
    emulator.add_files("many", 1500)
    body = (await emulator_client.get("/me/drive/root:/many:/children?$top=5000")).json()
    assert len(body["value"]) == 1000
    small = await emulator_client.get("/me/drive/root:/many:/children?$top=2&$select=name,size")
    assert [set(v) for v in small.json()["value"]] == [{"name", "size"}] * 2
    assert "$select=name,size" in small.json()["@odata.nextLink"]
    bad = await emulator_client.get("/me/drive/root:/many:/children?$top=0")
    assert bad.status_code == 400


async def test_orderby_size_descending_on_personal(
    emulator: Emulator, emulator_client: httpx.AsyncClient
) -> None:
    for name, size in (("a", 3), ("b", 1), ("c", 2)):
        emulator.put_file(f"o/{name}", b"x" * size)
    body = (await emulator_client.get("/me/drive/root:/o:/children?$orderby=size desc")).json()
    assert [v["name"] for v in body["value"]] == ["a", "c", "b"]


async def test_expand_children_inlines_them(
    emulator: Emulator, emulator_client: httpx.AsyncClient
) -> None:
    emulator.put_file("x/one.txt", b"1")
    body = (await emulator_client.get("/me/drive/root:/x?$expand=children")).json()
    assert [c["name"] for c in body["children"]] == ["one.txt"]


async def test_listing_a_file_as_a_folder_is_400(
    emulator: Emulator, emulator_client: httpx.AsyncClient
) -> None:
    emulator.put_file("f.txt", b"1")
    assert (await emulator_client.get("/me/drive/root:/f.txt:/children")).status_code == 400


@both
async def test_rename_changes_etag_but_not_ctag(
    emulator: Emulator, emulator_client: httpx.AsyncClient
) -> None:
    item = emulator.put_file("a.txt", b"1")
    before = (await emulator_client.get(f"/me/drive/items/{item.id}")).json()
    after = await emulator_client.patch(f"/me/drive/items/{item.id}", json={"name": "b.txt"})
    assert after.status_code == 200
    assert after.json()["name"] == "b.txt" and after.json()["id"] == item.id
    assert after.json()["eTag"] != before["eTag"]
    assert after.json()["cTag"] == before["cTag"]


async def test_content_change_changes_etag_and_ctag_and_folder_ctag_on_personal(
    emulator: Emulator, emulator_client: httpx.AsyncClient
) -> None:
    emulator.put_file("d/a.txt", b"1")
    file_before = (await emulator_client.get("/me/drive/root:/d/a.txt")).json()
    folder_before = (await emulator_client.get("/me/drive/root:/d")).json()
    await emulator_client.put("/me/drive/root:/d/a.txt:/content", content=b"2")
    file_after = (await emulator_client.get("/me/drive/root:/d/a.txt")).json()
    folder_after = (await emulator_client.get("/me/drive/root:/d")).json()
    assert file_after["eTag"] != file_before["eTag"]
    assert file_after["cTag"] != file_before["cTag"]
    assert folder_after["cTag"] != folder_before["cTag"]
    assert folder_after["eTag"] == folder_before["eTag"]


@pytest.mark.parametrize("emulator_flavour", ["business"])
async def test_business_folders_have_no_ctag(
    emulator: Emulator, emulator_client: httpx.AsyncClient
) -> None:
    emulator.mkdir("d")
    body = (await emulator_client.get("/me/drive/root:/d")).json()
    assert "cTag" not in body and "eTag" in body


async def test_if_match_mismatch_is_412_and_if_none_match_is_304(
    emulator: Emulator, emulator_client: httpx.AsyncClient
) -> None:
    item = emulator.put_file("a.txt", b"1")
    url = f"/me/drive/items/{item.id}"
    etag = (await emulator_client.get(url)).json()["eTag"]
    assert (await emulator_client.get(url, headers={"If-None-Match": etag})).status_code == 304
    stale = await emulator_client.patch(url, json={"name": "b"}, headers={"If-Match": '"x,1"'})
    assert stale.status_code == 412
    assert stale.json()["error"]["code"] == "resourceModified"
    fresh = await emulator_client.patch(url, json={"name": "b"}, headers={"If-Match": etag})
    assert fresh.status_code == 200
    assert (await emulator_client.delete(url, headers={"If-Match": etag})).status_code == 412


async def test_move_by_parent_reference_keeps_the_id(
    emulator: Emulator, emulator_client: httpx.AsyncClient
) -> None:
    item = emulator.put_file("from/a.txt", b"1")
    target = emulator.mkdir("to")
    response = await emulator_client.patch(
        f"/me/drive/items/{item.id}",
        json={"parentReference": {"id": target.id}, "name": "moved.txt"},
    )
    assert response.status_code == 200
    assert response.json()["parentReference"]["path"] == "/drive/root:/to"
    assert emulator.item("to/moved.txt").id == item.id
    assert (await emulator_client.get("/me/drive/root:/from/a.txt")).status_code == 404


async def test_move_to_the_literal_root_id_is_refused_but_the_real_root_id_works(
    emulator: Emulator, emulator_client: httpx.AsyncClient
) -> None:
    item = emulator.put_file("sub/a.txt", b"1")
    url = f"/me/drive/items/{item.id}"
    literal = await emulator_client.patch(url, json={"parentReference": {"id": "root"}})
    assert literal.status_code == 400
    real = await emulator_client.patch(
        url, json={"parentReference": {"id": emulator.drive.root.id}}
    )
    assert real.status_code == 200 and real.json()["parentReference"]["path"] == "/drive/root:"


async def test_rename_onto_an_existing_name_is_409_and_into_itself_is_400(
    emulator: Emulator, emulator_client: httpx.AsyncClient
) -> None:
    emulator.put_file("a.txt", b"1")
    b = emulator.put_file("b.txt", b"2")
    clash = await emulator_client.patch(f"/me/drive/items/{b.id}", json={"name": "A.TXT"})
    assert clash.status_code == 409
    folder = emulator.mkdir("p/q")
    parent = emulator.item("p")
    loop = await emulator_client.patch(
        f"/me/drive/items/{parent.id}", json={"parentReference": {"id": folder.id}}
    )
    assert loop.status_code == 400


async def test_rename_changing_only_case_is_allowed(
    emulator: Emulator, emulator_client: httpx.AsyncClient
) -> None:
    item = emulator.put_file("readme.md", b"1")
    response = await emulator_client.patch(f"/me/drive/items/{item.id}", json={"name": "README.md"})
    assert response.status_code == 200 and response.json()["name"] == "README.md"


@both
async def test_patch_file_system_info_sets_client_times(
    emulator: Emulator, emulator_client: httpx.AsyncClient, emulator_flavour: str
) -> None:
    item = emulator.put_file("a.txt", b"1")
    response = await emulator_client.patch(
        f"/me/drive/items/{item.id}",
        json={
            "fileSystemInfo": {
                "createdDateTime": "2020-01-02T03:04:05Z",
                "lastModifiedDateTime": "2021-06-07T08:09:10.250Z",
            }
        },
    )
    info = response.json()["fileSystemInfo"]
    assert info["createdDateTime"] == "2020-01-02T03:04:05Z"
    expected = (
        "2021-06-07T08:09:10.250Z" if emulator_flavour == "personal" else ("2021-06-07T08:09:10Z")
    )
    assert info["lastModifiedDateTime"] == expected


async def test_content_update_without_file_system_info_resets_mtime(
    emulator: Emulator, emulator_client: httpx.AsyncClient
) -> None:
    await emulator_client.patch(
        f"/me/drive/items/{emulator.put_file('a.txt', b'1').id}",
        json={"fileSystemInfo": {"lastModifiedDateTime": "2001-01-01T00:00:00Z"}},
    )
    replaced = await emulator_client.put("/me/drive/root:/a.txt:/content", content=b"2")
    assert not replaced.json()["fileSystemInfo"]["lastModifiedDateTime"].startswith("2001")


@both
async def test_delete_moves_to_the_recycle_bin_and_grows_deleted_quota(
    emulator: Emulator, emulator_client: httpx.AsyncClient
) -> None:
    item = emulator.put_file("d/a.txt", b"12345")
    folder = emulator.item("d")
    assert (await emulator_client.delete(f"/me/drive/items/{folder.id}")).status_code == 204
    assert (await emulator_client.get(f"/me/drive/items/{item.id}")).status_code == 404
    assert (await emulator_client.get("/me/drive/root:/d")).status_code == 404
    quota = (await emulator_client.get("/me/drive")).json()["quota"]
    assert quota["deleted"] == 5 and quota["used"] == 5


async def test_permanent_delete_frees_the_space(
    emulator: Emulator, emulator_client: httpx.AsyncClient
) -> None:
    item = emulator.put_file("a.txt", b"12345")
    response = await emulator_client.post(f"/me/drive/items/{item.id}/permanentDelete")
    assert response.status_code == 204
    quota = (await emulator_client.get("/me/drive")).json()["quota"]
    assert quota["deleted"] == 0 and quota["used"] == 0
    assert (await emulator_client.get(f"/me/drive/items/{item.id}")).status_code == 404


async def test_the_root_cannot_be_deleted(
    emulator: Emulator, emulator_client: httpx.AsyncClient
) -> None:
    response = await emulator_client.delete(f"/me/drive/items/{emulator.drive.root.id}")
    assert response.status_code == 403


async def test_folder_reports_child_count_and_subtree_size(
    emulator: Emulator, emulator_client: httpx.AsyncClient
) -> None:
    emulator.put_file("d/a.txt", b"123")
    emulator.put_file("d/e/b.txt", b"4567")
    body = (await emulator_client.get("/me/drive/root:/d")).json()
    assert body["folder"]["childCount"] == 2 and body["size"] == 7


async def test_parent_reference_path_is_percent_encoded(
    emulator: Emulator, emulator_client: httpx.AsyncClient
) -> None:
    emulator.put_file("My Folder/a b.txt", b"x")
    body = (await emulator_client.get("/me/drive/root:/My%20Folder/a%20b.txt")).json()
    assert body["parentReference"]["path"] == "/drive/root:/My%20Folder"
    assert body["parentReference"]["name"] == "My Folder"


async def test_select_drops_the_download_url(
    emulator: Emulator, emulator_client: httpx.AsyncClient
) -> None:
    emulator.put_file("a.txt", b"x")
    full = (await emulator_client.get("/me/drive/root:/a.txt")).json()
    assert "@microsoft.graph.downloadUrl" in full
    selected = await emulator_client.get(
        "/me/drive/root:/a.txt?$select=id,@microsoft.graph.downloadUrl"
    )
    assert selected.json() == {"id": full["id"]}


@both
async def test_the_download_url_survives_select_only_as_graph_lets_it(
    emulator: Emulator,
    emulator_flavour: str,
    emulator_client: httpx.AsyncClient,
    emulator_anon: httpx.AsyncClient,
) -> None:
    emulator.put_file("d/a.txt", b"x")
    annotation = "@microsoft.graph.downloadUrl"

    async def fields(query: str) -> set[str]:
        item = (await emulator_client.get(f"/me/drive/root:/d/a.txt?{query}")).json()
        listed = (await emulator_client.get(f"/me/drive/root:/d:/children?{query}")).json()
        assert set(listed["value"][0]) == set(item)
        return set(item)

    # Named with select= it is kept; with $select= dropped (Personal, 2023; 2018 maintainer).
    assert await fields(f"select=id,{annotation}") == {"id", annotation}
    assert await fields(f"$select=id,{annotation}") == {"id"}
    assert await fields("$select=id,name") == {"id", "name"}
    # SharePoint gives it for content.downloadUrl.
    business = emulator_flavour == "business"
    assert await fields("$select=id,content.downloadUrl") == (
        {"id", annotation} if business else {"id"}
    )
    url = (await emulator_client.get(f"/me/drive/root:/d/a.txt?select=id,{annotation}")).json()
    assert (await emulator_anon.get(url[annotation])).content == b"x"
    # Delta gives it when the request that started it selected it (msgraph-sdk-dotnet #3069).
    for spelling, kept in (("select", True), ("$select", False)):
        delta = await emulator_client.get(f"/me/drive/root/delta?{spelling}=id,{annotation}")
        mine = [v for v in delta.json()["value"] if v["id"] == url["id"]]
        assert (annotation in mine[0]) is kept, spelling


async def test_items_of_another_drive_show_their_drive_in_the_path(
    emulator: Emulator, emulator_client: httpx.AsyncClient
) -> None:
    _, other = emulator.add_user("Bob", "bob")
    emulator.put_file("x/y.txt", b"1", drive=other)
    body = (await emulator_client.get(f"/drives/{other.id}/root:/x/y.txt")).json()
    assert body["parentReference"]["path"] == f"/drives/{other.id}/root:/x"


@both
async def test_a_path_address_resolves_with_a_trailing_slash_and_an_encoded_slash(
    emulator: Emulator, emulator_client: httpx.AsyncClient
) -> None:
    file = emulator.put_file("Misc/x.dat", b"x")
    folder = emulator.item("Misc")
    for address in (
        "root:/Misc/x.dat",
        "root:/Misc/x.dat:",
        "root:/Misc/x.dat:/",
        "root:/Misc/x.dat/",
        "root:/Misc%2Fx.dat:",
        "root:/Misc%2Fx.dat:/",
        "root:/Misc%2fx.dat:/",
        f"items/{folder.id}:/x.dat:/",
    ):
        response = await emulator_client.get(f"/me/drive/{address}")
        assert response.status_code == 200, (address, response.text)
        assert response.json()["id"] == file.id, address
    assert (await emulator_client.get("/me/drive/root:/Misc/:/")).json()["id"] == folder.id
    content = await emulator_client.get("/me/drive/root:/Misc%2Fx.dat:/content")
    assert content.status_code == 302
    children = await emulator_client.get("/me/drive/root:/Misc/:/children")
    assert [c["id"] for c in children.json()["value"]] == [file.id]
    created = await emulator_client.put("/me/drive/root:/Misc%2Fnew.txt:/content", content=b"n")
    assert created.status_code == 201 and emulator.read("Misc/new.txt") == b"n"
    assert (await emulator_client.get("/me/drive/root:/Misc%2Fmissing:/")).status_code == 404


@both
async def test_children_literal_and_its_parameter_alias_address_by_path(
    emulator: Emulator, emulator_client: httpx.AsyncClient
) -> None:
    file = emulator.put_file("A b/it's here.txt", b"x")
    folder = emulator.item("A b")
    one = await emulator_client.get("/me/drive/root/children('A b')")
    assert one.json()["id"] == folder.id
    alias = "/me/drive/root/children('@a1')"
    found = await emulator_client.get(alias, params={"@a1": "'A b/it''s here.txt'"})
    assert found.status_code == 200 and found.json()["id"] == file.id
    below = await emulator_client.get(
        f"/me/drive/items/{folder.id}/children('@a1')/content", params={"@a1": "'it''s here.txt'"}
    )
    assert below.status_code == 302
    listed = await emulator_client.get(f"{alias}/children", params={"@a1": "'A b'"})
    assert [c["id"] for c in listed.json()["value"]] == [file.id]
    made = await emulator_client.put(
        f"{alias}/content", params={"@a1": "'A b/new''s.txt'"}, content=b"n"
    )
    assert made.status_code == 201 and emulator.read("A b/new's.txt") == b"n"
    for params in ({"@a1": "'A b/it's here.txt'"}, {"@a1": "A b"}, {}):
        refused = await emulator_client.get(alias, params=params)
        assert refused.status_code == 400, params
        assert refused.json()["error"]["code"] == "BadRequest"
    missing = await emulator_client.get(alias, params={"@a1": "'A b/nothing'"})
    assert missing.status_code == 404
