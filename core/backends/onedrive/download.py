"""Reading files: ``GET /content`` → 302 → the pre-authenticated URL, without the bearer.

A dropped connection is resumed with a ``Range`` request from the last byte received (a fresh
download URL is fetched if the old one stopped working). A whole-file read is hashed as it
streams and compared with the hash Graph lists; a mismatch raises ``IntegrityError`` after
the last chunk, so a caller writing to a temporary file discards it instead of renaming.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator

import httpx

from core import errors
from core.backends.onedrive.graph import GraphClient
from core.backends.onedrive.items import Address
from core.hashing import new_hasher

CHUNK = 1024 * 1024
#: Statuses of a download URL that mean "get a new URL" rather than "fail".
STALE_URL = (401, 403, 404, 410)


async def download_url(graph: GraphClient, content: Address, path: str) -> str | None:
    """Follow ``…/content``'s redirect by hand: the Location, or None if it served the body."""
    response = await graph.request(
        "GET", content.url, params=content.params, path=path, stream=True
    )
    try:
        if response.status_code in (301, 302, 303, 307, 308):
            location = response.headers.get("Location")
            if location:
                return str(response.url.join(location))
        if response.status_code == 200:
            return None
        raise errors.TransientError(
            "OneDrive gave no download location", path=path, detail=f"HTTP {response.status_code}"
        )
    finally:
        await response.aclose()


async def read_stream(
    graph: GraphClient,
    content: Address,
    *,
    path: str,
    size: int,
    offset: int,
    expected: str | None,
    hash_type: str,
) -> AsyncGenerator[bytes, None]:
    """Yield the bytes from ``offset``; verify ``expected`` (the listed hash) on a whole read."""
    hasher = new_hasher(hash_type) if (expected and offset == 0 and hash_type != "none") else None
    pos = offset
    url: str | None = None
    inline = False  # /content served the bytes itself instead of redirecting
    failures = 0
    while pos < size:
        if url is None and not inline:
            url = await download_url(graph, content, path)
            inline = url is None
        headers = {"Range": f"bytes={pos}-"} if pos else {}
        response = await graph.request(
            "GET",
            content.url if inline or url is None else url,
            params=content.params if inline else None,
            headers=headers,
            auth=inline,
            accept=STALE_URL,
            path=path,
            stream=True,
        )
        try:
            if response.status_code in STALE_URL:
                failures += 1
                if failures > graph.pacer.max_attempts:
                    raise errors.TransientError(
                        "the download URL kept failing",
                        path=path,
                        detail=f"HTTP {response.status_code}",
                    )
                url, inline = None, False
                continue
            skip = pos if (pos and response.status_code == 200) else 0  # Range ignored
            async for chunk in response.aiter_bytes(CHUNK):
                if skip:
                    if len(chunk) <= skip:
                        skip -= len(chunk)
                        continue
                    chunk, skip = chunk[skip:], 0
                if pos + len(chunk) > size:
                    chunk = chunk[: size - pos]
                pos += len(chunk)
                if hasher is not None:
                    hasher.update(chunk)
                if chunk:
                    yield chunk
                if pos >= size:
                    break
            if pos < size and response.is_stream_consumed:
                raise httpx.ReadError("the download ended early")
        except httpx.TransportError as exc:
            failures += 1
            if failures > graph.pacer.max_attempts:
                raise errors.TransientError(
                    "the download kept failing", path=path, detail=str(exc)
                ) from exc
            graph.pacer.failure()  # the next request waits out the back-off
            continue
        finally:
            with contextlib.suppress(httpx.HTTPError):
                await response.aclose()
    if hasher is not None:
        computed = hasher.value()
        if computed != expected:
            raise errors.IntegrityError(
                "the downloaded bytes differ from OneDrive's hash",
                path=path,
                detail=f"{hash_type} listed {expected}, received {computed}",
            )
