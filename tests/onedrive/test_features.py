"""Share links, versions and search in both flavours, on the TLS emulator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core import errors
from core.backend import Links, Search, Versions, WriteRequest
from core.model import LinkRequest, LinkScope, LinkType
from core.paths import join
from tests.onedrive.helpers import read_all, source_of
from tests.onedrive.world import World


async def put(w: World, name: str, data: bytes) -> str:
    path = join(w.root, name)
    await w.backend.write(path, source_of(data), WriteRequest(len(data)))
    return path


async def test_backend_offers_the_optional_capabilities(od: World) -> None:
    assert isinstance(od.backend, Links | Versions | Search)
    assert all(isinstance(od.backend, p) for p in (Links, Versions, Search))


async def test_link_support_follows_the_drive_type(od: World) -> None:
    support = od.backend.link_support()
    if od.flavour == "personal":
        assert LinkScope.ORGANIZATION not in support.scopes
        assert "organization" in support.reasons and LinkType.EMBED in support.types
    else:
        assert LinkScope.ORGANIZATION in support.scopes and LinkType.EMBED not in support.types
        assert not support.password


async def test_create_list_and_revoke_a_link(od: World) -> None:
    path = await put(od, "shared.txt", b"share")
    expires = datetime.now(UTC).replace(microsecond=0) + timedelta(days=7)
    link = await od.backend.create_link(
        path, LinkRequest(LinkType.VIEW, LinkScope.ANONYMOUS, expires=expires)
    )
    assert link.url.startswith("https://") and link.type == "view" and link.scope == "anonymous"
    assert link.expires == expires
    assert [x.id for x in await od.backend.list_links(path)] == [link.id]
    await od.backend.revoke_link(path, link.id)
    assert await od.backend.list_links(path) == []


async def test_refused_link_options_fail_before_any_request(od: World) -> None:
    path = await put(od, "nope.txt", b"n")
    if od.flavour == "personal":
        request = LinkRequest(LinkType.VIEW, LinkScope.ORGANIZATION)
        match = "no organization scope"
    else:
        request = LinkRequest(LinkType.EMBED, LinkScope.ANONYMOUS)
        match = "only on OneDrive Personal"
    before = len(od.transport.requests)
    with pytest.raises(errors.Unsupported, match=match):
        await od.backend.create_link(path, request)
    assert len(od.transport.requests) == before


async def test_versions_list_open_restore(od: World) -> None:
    path = join(od.root, "v.txt")
    for text in (b"first", b"second", b"third"):
        await od.backend.write(path, source_of(text), WriteRequest(len(text)))
    versions = await od.backend.list_versions(path)
    assert [v.size for v in versions] == [5, 6, 5] and versions[0].current
    assert not any(v.current for v in versions[1:])
    oldest = versions[-1]
    assert b"".join([c async for c in od.backend.open_version(path, oldest.id)]) == b"first"
    current = b"".join([c async for c in od.backend.open_version(path, versions[0].id)])
    assert current == b"third"
    await od.backend.restore_version(path, oldest.id)
    assert await read_all(od.backend, path) == b"first"


async def test_deleting_versions_per_flavour(od: World) -> None:
    path = join(od.root, "d.txt")
    for text in (b"a", b"bb"):
        await od.backend.write(path, source_of(text), WriteRequest(len(text)))
    old = (await od.backend.list_versions(path))[-1]
    support = od.backend.version_support()
    if od.flavour == "personal":
        assert not support.can_delete
        assert support.delete_refusal == "OneDrive Personal does not allow deleting versions"
        with pytest.raises(errors.Unsupported, match="does not allow deleting versions"):
            await od.backend.delete_version(path, old.id)
    else:
        assert support.can_delete
        await od.backend.delete_version(path, old.id)
        assert [v.id for v in await od.backend.list_versions(path)] != [] and old.id not in [
            v.id for v in await od.backend.list_versions(path)
        ]


async def test_search_finds_by_name_with_paths_below_the_root(od: World) -> None:
    await od.backend.mkdir(join(od.root, "deep/er"), parents=True)
    await put(od, "deep/er/needle-report.txt", b"x")
    await put(od, "hay.txt", b"y")
    found = [e async for page in od.backend.search("needle", od.root) for e in page]
    assert [e.path for e in found] == [join(od.root, "deep/er/needle-report.txt")]


async def test_search_decodes_encoded_names(od: World) -> None:
    await put(od, "what?.txt", b"q")
    found = [e async for page in od.backend.search("what", od.root) for e in page]
    assert [e.name for e in found] == ["what?.txt"]


async def test_search_text_with_quotes_and_slashes_reaches_graph_as_a_valid_literal(
    od: World,
) -> None:
    await put(od, "O'Brien's notes.txt", b"q")
    for query in ("o'brien's", "O'Brien's/"):
        found = [e async for page in od.backend.search(query, od.root) for e in page]
        assert [e.name for e in found] == ["O'Brien's notes.txt"], query
