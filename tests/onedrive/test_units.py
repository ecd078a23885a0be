"""In-process checks of the backend's pieces: addressing, settings, times, memory bounds."""

from __future__ import annotations

import json
import os
import tracemalloc
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import unquote

import httpx
import pytest

from core import errors
from core.backend import WriteRequest
from core.backends.onedrive.backend import OneDriveBackend
from core.backends.onedrive.http import make_http_client
from core.backends.onedrive.items import Addressing, format_time, parse_time
from core.backends.onedrive.pacer import Pacer
from core.backends.onedrive.settings import Settings
from core.hashing import QuickXorHasher

UNIT = 320 * 1024


class StaticTokens:
    async def access_token(self, *, force_refresh: bool = False) -> str:
        return "token"


class StreamingMock(httpx.AsyncBaseTransport):
    """Like ``httpx.MockTransport`` but without reading the whole request body first."""

    def __init__(self, handler) -> None:  # type: ignore[no-untyped-def]
        self.handler = handler

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self.handler(request)


def backend_on(handler, *, streaming: bool = False, **options) -> OneDriveBackend:  # type: ignore[no-untyped-def]
    opts = {"client_id": "x", "drive_id": "d1", "drive_type": "business", **options}
    transport = StreamingMock(handler) if streaming else httpx.MockTransport(handler)
    return OneDriveBackend(
        "t",
        opts,
        StaticTokens(),
        http=make_http_client(transport=transport),
        pacer=Pacer(min_sleep=0.0),
    )


def item(name: str, **extra) -> dict:  # type: ignore[no-untyped-def]
    return {"id": name, "name": name, "size": 1, "file": {"hashes": {}}, **extra}


def test_path_addressing_escapes_each_segment() -> None:
    a = Addressing("drives/b!x")
    assert a.by_path("").url == "drives/b!x/root"
    assert a.by_path("A b/c#d%e", "children").url == "drives/b!x/root:/A%20b/c%23d%25e:/children"
    assert a.by_path("Ryan's (1)+x@y").url == "drives/b!x/root:/Ryan's%20(1)+x@y:"
    below = Addressing("me/drive", root_id="ID!7")
    assert below.by_path("n", "content").url == "me/drive/items/ID!7:/n:/content"


def test_china_uses_the_children_alias_form() -> None:
    a = Addressing("drives/d", china=True)
    address = a.by_path("a b/it's", "content")
    assert address.url == "drives/d/root/children('@a1')/content"
    assert address.params == {"@a1": "'a b/it''s'"}


async def test_china_region_sends_the_alias_parameter() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=item("f"))

    backend = backend_on(handler, region="cn")
    await backend.stat("/dir/f")
    url = seen[0].url
    assert url.host == "microsoftgraph.chinacloudapi.cn"
    assert unquote(str(url)).endswith("/drives/d1/root/children('@a1')?@a1='dir/f'")
    await backend.close()


async def test_listing_skips_deleted_items() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        values = [item("kept"), item("gone", deleted={"state": "deleted"})]
        return httpx.Response(200, json={"value": values})

    backend = backend_on(handler)
    names = [e.name async for page in backend.list("/") for e in page]
    assert names == ["kept"]
    await backend.close()


async def test_not_folder_parent_and_missing_hash_are_handled() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"id": "r", "name": "root", "root": {}, "folder": {}})

    backend = backend_on(handler)
    root = await backend.stat("/")
    assert root.is_dir and root.path == "/" and root.name == ""
    await backend.close()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"chunk_size": 1000}, "multiple of 320 KiB"),
        ({"chunk_size": 200 * UNIT}, "below 60 MiB"),
        ({"list_chunk": 5000}, "between 1 and 1000"),
        ({"hash_type": "md5"}, "quickxor, sha1 or none"),
        ({"hard_delete": "maybe"}, "true or false"),
        ({"region": "de"}, "retired"),
    ],
)
def test_bad_options_are_config_errors(options: dict, message: str) -> None:
    with pytest.raises(errors.ConfigError, match=message):
        if "region" in options:
            backend_on(lambda r: httpx.Response(200), **options)
        else:
            Settings.from_options(options)


def test_option_strings_from_config_files_are_understood() -> None:
    s = Settings.from_options({"chunk_size": str(2 * UNIT), "no_versions": "true", "encoding": "0"})
    assert s.chunk_size == 2 * UNIT and s.no_versions and not s.encoding


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-02T11:30:12Z", datetime(2024, 5, 2, 11, 30, 12, tzinfo=UTC)),
        ("2024-05-02T11:30:12.5Z", datetime(2024, 5, 2, 11, 30, 12, 500000, tzinfo=UTC)),
        ("2024-05-02T11:30:12.1234567Z", datetime(2024, 5, 2, 11, 30, 12, 123456, tzinfo=UTC)),
        ("garbage", None),
        (None, None),
    ],
)
def test_graph_times_parse(text: str | None, expected: datetime | None) -> None:
    assert parse_time(text) == expected


def test_times_are_written_as_utc_milliseconds() -> None:
    plus2 = timezone(timedelta(hours=2))
    assert format_time(datetime(2024, 1, 1, 12, 0, 0, 120000, tzinfo=plus2)) == (
        "2024-01-01T10:00:00.12Z"
    )
    assert format_time(datetime(2024, 1, 1, tzinfo=UTC)) == "2024-01-01T00:00:00Z"


async def test_upload_memory_stays_near_two_fragments() -> None:
    fragments = 30
    size = fragments * UNIT
    hasher = QuickXorHasher()

    async def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("createUploadSession"):
            await request.aread()
            return httpx.Response(200, json={"uploadUrl": "https://up.test/s"})
        async for chunk in request.stream:  # type: ignore[union-attr]
            hasher.update(chunk)  # streamed, as a server would: the test counts only our bytes
        end = int(request.headers["Content-Range"].split("-")[1].split("/")[0])
        if end + 1 < size:
            return httpx.Response(202, json={"nextExpectedRanges": [f"{end + 1}-"]})
        hashes = {"quickXorHash": hasher.value()}
        return httpx.Response(
            201, json={"id": "i", "name": "f", "size": size, "file": {"hashes": hashes}}
        )

    async def fresh_bytes(offset: int):  # type: ignore[no-untyped-def]
        for _ in range(offset, size, 64 * 1024):
            yield os.urandom(64 * 1024)

    backend = backend_on(handler, streaming=True, chunk_size=UNIT)
    tracemalloc.start()
    try:
        entry = await backend.write("/f", fresh_bytes, WriteRequest(size))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        await backend.close()
    assert entry.size == size
    assert peak < 5 * UNIT, f"peak {peak} for {size}-byte file and {UNIT}-byte fragments"


async def test_json_error_keeps_graph_detail_for_the_user() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        body = {"error": {"code": "accessDenied", "message": "You shall not pass"}}
        return httpx.Response(403, content=json.dumps(body))

    backend = backend_on(handler)
    with pytest.raises(errors.PermissionDenied) as info:
        await backend.stat("/secret")
    assert "You shall not pass" in str(info.value) and "/secret" in str(info.value)
    await backend.close()
