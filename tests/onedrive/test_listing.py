"""Listing against the TLS emulator: paging, hidden items, names through the server."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest

from core.backend import WriteRequest
from core.paths import join
from tests.onedrive.helpers import listing, read_all, source_of
from tests.onedrive.world import World


async def test_pages_of_list_chunk_follow_next_link_verbatim(od: World) -> None:
    od.emulator.add_files(join(od.root, "many").strip("/"), 25)
    backend = await od.reopen(list_chunk=10)
    before = len(od.transport.requests)
    pages = [page async for page in backend.list(join(od.root, "many"))]
    assert [len(p) for p in pages] == [10, 10, 5]
    requests = od.transport.requests[before:]
    assert parse_qs(requests[0].url.query.decode())["$top"] == ["10"]
    # Later pages use the server's nextLink exactly as given.
    assert all("skiptoken" in r.url.query.decode() for r in requests[1:])
    names = [e.name for p in pages for e in p]
    assert names == sorted(names) and len(set(names)) == 25


async def test_onenote_notebooks_are_hidden_unless_exposed(od: World) -> None:
    folder = od.emulator.mkdir(od.root.strip("/"))
    with od.emulator.lock:
        od.emulator.store.create_folder(
            folder, "Notes", "fail", folder.drive.owner.id, package="oneNote"
        )
    await od.backend.mkdir(join(od.root, "plain"))
    assert set(await listing(od.backend, od.root)) == {"plain"}
    shown = await listing(await od.reopen(expose_onenote_files=True), od.root)
    assert shown["Notes"].is_package and not shown["Notes"].is_dir


async def test_entries_carry_id_web_url_mime_and_file_system_mtime(od: World) -> None:
    from datetime import UTC, datetime

    when = datetime(2001, 2, 3, 4, 5, 6, tzinfo=UTC)
    path = join(od.root, "doc.txt")
    await od.backend.write(path, source_of(b"text"), WriteRequest(4, modified=when))
    entry = (await listing(od.backend, od.root))["doc.txt"]
    item = od.emulator.item(path.strip("/"))
    assert entry.id == item.id and entry.web_url and entry.web_url.endswith("doc.txt")
    assert entry.modified == when and entry.mime_type == "text/plain"


HOSTILE = [
    'a:b*c?d"e<f>g|h\\i',
    " lead and trail ",
    "ends with dot.",
    "~tilde",
    "tab\there",
    "full＊width",
    "quote‛mark",
    "percent %41 #hash",
    "ünïcödé 名前 🚀",
    "bad\udcffbyte",
]


@pytest.mark.parametrize("name", HOSTILE)
async def test_names_round_trip_through_the_server(od: World, name: str) -> None:
    path = join(od.root, name)
    od.backend.check_path(path, 1)
    await od.backend.write(path, source_of(b"x"), WriteRequest(1))
    listed = await listing(od.backend, od.root)
    assert name in listed
    assert await read_all(od.backend, listed[name].path) == b"x"
    stored = od.emulator.item(od.root.strip("/")).children
    assert stored is not None
    assert len(stored) == 1  # one item, under the encoded (look-alike) name


async def test_encoding_off_refuses_restricted_names_before_any_request(od: World) -> None:
    from core import errors

    backend = await od.reopen(encoding=False)
    before = len(od.transport.requests)
    with pytest.raises(errors.InvalidName):
        await backend.write(join(od.root, "a:b"), source_of(b"x"), WriteRequest(1))
    assert len(od.transport.requests) == before  # refused before any request


async def test_reserved_name_is_refused_clearly(od: World) -> None:
    from core import errors

    with pytest.raises(errors.InvalidName, match="reserved"):
        od.backend.check_path(join(od.root, "CON"))


async def test_listing_a_file_is_not_a_directory(od: World) -> None:
    from core import errors

    path = join(od.root, "file")
    await od.backend.write(path, source_of(b"f"), WriteRequest(1))
    with pytest.raises(errors.NotADirectory):
        await listing(od.backend, path)


async def test_stopping_after_the_first_page_cancels_the_prefetch(od: World) -> None:
    import contextlib

    od.emulator.add_files(join(od.root, "early").strip("/"), 30)
    backend = await od.reopen(list_chunk=10)
    stream = backend.list(join(od.root, "early"))
    async with contextlib.aclosing(stream):
        async for page in stream:
            assert len(page) == 10
            break
    assert len(await listing(backend, join(od.root, "early"))) == 30


async def test_listing_asks_only_for_what_entries_hold_and_they_equal_a_stat(od: World) -> None:
    folder = join(od.root, "sel")
    await od.backend.mkdir(folder)
    await od.backend.mkdir(join(folder, "inner"))
    await od.backend.write(join(folder, "doc.txt"), source_of(b"text"), WriteRequest(4))
    before = len(od.transport.requests)
    listed = await listing(od.backend, folder)
    query = parse_qs(od.transport.requests[before].url.query.decode())
    # The download URL survives $select only in the spelling each flavour honours.
    wanted = "@microsoft.graph.downloadUrl" if od.flavour == "personal" else "content.downloadUrl"
    assert "$select" not in query and wanted in query["select"][0].split(",")
    assert set(listed) == {"inner", "doc.txt"}
    for entry in listed.values():
        assert entry == await od.backend.stat(entry.path)
    assert listed["doc.txt"].etag and listed["doc.txt"].hashes and listed["doc.txt"].web_url
    assert listed["doc.txt"].mime_type == "text/plain"
