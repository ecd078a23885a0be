"""Reads against the TLS emulator: the 302 without bearer, Range, resume, hash checks."""

from __future__ import annotations

import os

import pytest

from core import errors
from core.backend import WriteRequest
from core.paths import join
from tests.onedrive.helpers import read_all, source_of
from tests.onedrive.world import World


async def put(w: World, name: str, data: bytes) -> str:
    path = join(w.root, name)
    await w.backend.write(path, source_of(data), WriteRequest(len(data)))
    return path


async def test_listed_download_url_is_read_without_the_bearer(od: World) -> None:
    path = await put(od, "r.bin", b"redirected")
    od.backend.download_urls.clear()  # nothing listed: the item is asked for first
    before = len(od.transport.requests)
    assert await read_all(od.backend, path) == b"redirected"
    item, download = od.transport.requests[before:]
    assert "Authorization" in item.headers and not item.url.path.endswith("/content")
    assert "/dl/" in download.url.path and "Authorization" not in download.headers


async def test_redirect_is_followed_without_the_bearer(od: World) -> None:
    path = await put(od, "r.bin", b"redirected")
    od.emulator.faults.fail_next(1, 410, retry_after=None, path="/dl/")
    before = len(od.transport.requests)
    assert await read_all(od.backend, path) == b"redirected"
    stale, content, download = od.transport.requests[before:]
    assert "/dl/" in stale.url.path
    assert content.url.path.endswith("/content") and "Authorization" in content.headers
    assert "/dl/" in download.url.path and "Authorization" not in download.headers


async def test_offset_read_asks_for_a_range(od: World) -> None:
    data = os.urandom(200_000)
    path = await put(od, "range.bin", data)
    assert await read_all(od.backend, path, offset=123_456) == data[123_456:]
    assert od.transport.sent("GET", "/dl/")[-1].headers["Range"] == "bytes=123456-"


async def test_offset_at_the_end_reads_nothing(od: World) -> None:
    path = await put(od, "end.bin", b"abc")
    assert await read_all(od.backend, path, offset=3) == b""


async def test_dropped_download_resumes_from_where_it_stopped(od: World) -> None:
    data = os.urandom(3 * 1024 * 1024)
    path = await put(od, "drop.bin", data)
    od.emulator.faults.drop_next(1, path="/dl/")
    assert await read_all(od.backend, path) == data
    first, second = od.transport.sent("GET", "/dl/")[-2:]
    assert "Range" not in first.headers
    resumed_at = int(second.headers["Range"].removeprefix("bytes=").rstrip("-"))
    assert 0 < resumed_at < len(data)


async def test_corrupted_download_is_an_integrity_error_at_the_end(od: World) -> None:
    data = os.urandom(100_000)
    path = await put(od, "corrupt.bin", data)
    od.transport.corrupt_download = True
    received = bytearray()
    with pytest.raises(errors.IntegrityError, match="hash"):
        async for chunk in od.backend.open_read(path):
            received += chunk
    assert len(received) == len(data)  # every byte was handed over before the verdict


async def test_expired_download_url_is_replaced(od: World) -> None:
    data = os.urandom(50_000)
    path = await put(od, "late.bin", data)
    stream = od.backend.open_read(path)
    od.emulator.faults.fail_next(1, 403, retry_after=None, path="/dl/")
    assert b"".join([c async for c in stream]) == data
    assert len(od.transport.sent("GET", "/content")) == 1  # a fresh URL after the refusal


async def test_onenote_notebook_cannot_be_read(od: World) -> None:
    folder = od.emulator.mkdir(od.root.strip("/"))
    with od.emulator.lock:
        od.emulator.store.create_folder(
            folder, "Notes", "fail", folder.drive.owner.id, package="oneNote"
        )
    backend = await od.reopen(expose_onenote_files=True)
    with pytest.raises(errors.Unsupported, match="OneNote"):
        await read_all(backend, join(od.root, "Notes"))
