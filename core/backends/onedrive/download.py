"""Reading files from a pre-authenticated download URL, never with the bearer.

The URL comes from the listing or item that described the file; when there is none, or the
service refuses it (401, 403, 404, 410: expired or replaced), a fresh one comes from
``GET /content``'s 302. A dropped connection is resumed with a ``Range`` request from the
last byte received. Every response is read to its end (a redirect's body too) so that its
connection goes back to the keep-alive pool instead of being closed.

A whole-file read is hashed as it streams and compared with the hash Graph lists; a
mismatch raises ``IntegrityError`` after the last chunk, so a caller writing to a temporary
file discards it instead of renaming. A caller that verifies the bytes itself (the engine,
when the destination checks ``WriteRequest.expected_hashes``) asks for ``check_hash=False`` so
each byte is hashed once.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, Callable

import httpx

from core import errors
from core.backends.onedrive.graph import GraphClient
from core.backends.onedrive.items import Address
from core.hashing import new_hasher

#: Bytes handed out per chunk: network reads are joined up to this size, so the consumer
#: (a file write in a thread, a hash) is called once per MiB, not once per TLS read.
CHUNK = 1024 * 1024
#: Statuses of a download URL that mean "get a new URL" rather than "fail".
STALE_URL = (401, 403, 404, 410)
#: Largest body read just to keep a connection (a redirect's, an error's); bigger ones close it.
DRAIN_LIMIT = 64 * 1024

_REDIRECTS = (301, 302, 303, 307, 308)


async def finish(response: httpx.Response) -> None:
    """Close ``response``, reading a small unread body first so the connection is reused."""
    with contextlib.suppress(httpx.HTTPError):
        if not response.is_stream_consumed:
            length = response.headers.get("Content-Length")
            if length is not None and length.isdigit() and int(length) <= DRAIN_LIMIT:
                await response.aread()
    with contextlib.suppress(httpx.HTTPError):
        await response.aclose()


async def download_url(graph: GraphClient, content: Address, path: str) -> str | None:
    """Follow ``…/content``'s redirect by hand: the Location, or None if it served the body."""
    response = await graph.request(
        "GET", content.url, params=content.params, path=path, stream=True
    )
    try:
        if response.status_code in _REDIRECTS:
            location = response.headers.get("Location")
            if location:
                return str(response.url.join(location))
        if response.status_code == 200:
            return None
        raise errors.TransientError(
            "OneDrive gave no download location", path=path, detail=f"HTTP {response.status_code}"
        )
    finally:
        await finish(response)


async def read_stream(
    graph: GraphClient,
    content: Address,
    *,
    path: str,
    size: int,
    offset: int,
    expected: str | None,
    hash_type: str,
    url: str | None = None,
    check_hash: bool = True,
    on_stale: Callable[[], None] | None = None,
    end: int | None = None,
    join: bool = True,
) -> AsyncGenerator[bytes, None]:
    """Yield the bytes from ``offset`` (to ``end``, else the end of the file); verify
    ``expected`` (the listed hash) on a whole read.

    ``url`` is a download URL already known (from a listing); ``on_stale`` is told when the
    service refuses it, and ``content`` (``…/content`` of the item) gives the next one.
    A bounded read (one of several ranged streams of a file) asks for ``bytes=offset-(end-1)``
    and, after a dropped connection, for the rest of its range only. Without ``join`` each
    network read is handed out as it came (a consumer that writes a list of pieces at once
    saves the copy that joining them into ``CHUNK`` bytes costs).
    """
    least = CHUNK if join else 1
    stop = size if end is None else min(end, size)
    check = check_hash and expected and offset == 0 and stop == size and hash_type != "none"
    hasher = new_hasher(hash_type) if check else None
    pos = offset
    inline = False  # /content served the bytes itself instead of redirecting
    failures = 0
    while pos < stop:
        if stop < size:
            wanted: str | None = f"bytes={pos}-{stop - 1}"
        else:
            wanted = f"bytes={pos}-" if pos else None
        if url is None and not inline:
            url = await download_url(graph, content, path)
            inline = url is None
        response = await graph.request(
            "GET",
            content.url if inline or url is None else url,
            params=content.params if inline else None,
            headers={"Range": wanted} if wanted else None,
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
                if on_stale is not None and not inline:
                    on_stale()
                url, inline = None, False
                continue
            skip = pos if (pos and response.status_code == 200) else 0  # Range ignored
            pieces: list[bytes] = []
            held = 0
            async for data in response.aiter_bytes():
                if skip:
                    if len(data) <= skip:
                        skip -= len(data)
                        continue
                    data, skip = data[skip:], 0
                room = stop - pos - held
                if room <= 0:
                    break  # more than announced: drop the rest (and this connection)
                if len(data) > room:
                    data = data[:room]
                pieces.append(data)
                held += len(data)
                if held >= least or pos + held >= stop:
                    chunk = pieces[0] if len(pieces) == 1 else b"".join(pieces)
                    pieces, held = [], 0
                    pos += len(chunk)
                    if hasher is not None:
                        hasher.update(chunk)
                    yield chunk
            if pieces:  # the body ended before the file did; hand over what came
                chunk = b"".join(pieces)
                pos += len(chunk)
                if hasher is not None:
                    hasher.update(chunk)
                yield chunk
            if pos < stop:
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
            await finish(response)
    if hasher is not None:
        computed = hasher.value()
        if computed != expected:
            raise errors.IntegrityError(
                "the downloaded bytes differ from OneDrive's hash",
                path=path,
                detail=f"{hash_type} listed {expected}, received {computed}",
            )
