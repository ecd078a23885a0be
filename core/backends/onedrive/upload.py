"""Writing files: one ``PUT /content`` for small files, an upload session for the rest.

Upload sessions (GRAPH.md §6) send fragments of ``chunk_size`` bytes (a multiple of
320 KiB) in order to the pre-authenticated ``uploadUrl``. The next fragment is read while
the current one is in flight, so memory stays near two fragments whatever the file size.
The hash is computed as the bytes are read and compared with the server's at the end.
After each fragment the session URL and offset go to ``WriteProgress.checkpoint`` so a new
process can resume with ``WriteRequest.resume``: it asks the session for
``nextExpectedRanges`` and sends only what is missing (at most one fragment again).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

from core import errors
from core.backend import ByteSource, WriteProgress, WriteRequest
from core.backends.onedrive.graph import GraphClient
from core.backends.onedrive.items import Address
from core.backends.onedrive.pacer import settle
from core.hashing import Hasher, new_hasher

SIMPLE_LIMIT = 4 * 1024 * 1024
CHUNK_UNIT = 320 * 1024
#: Times a lost session is replaced by a new one (starting again from byte 0) in one write.
MAX_RESTARTS = 4
#: Tries per fragment when the session answers 416/404 and we re-sync with its status.
MAX_FRAGMENT_SYNCS = 6
#: Answers of an upload URL whose session cannot be used any more: 404 (expired, unknown or
#: completed), 401 (the URL's own credential expired), 403 (Business: expired tempauth).
SESSION_GONE = (401, 403, 404)
#: Seconds a resume waits for a stored session's status before it opens a new session.
PROBE_TIMEOUT = 10.0
#: A stored session that expires within this many seconds is not worth asking about.
EXPIRY_MARGIN = 60.0

#: Asks the drive whether it now holds the file with this hash; the item if so.
Completed = Callable[[str | None], Awaitable[dict[str, Any] | None]]


class _SessionLost(Exception):
    """The upload session is gone (404/401/403 on its URL and on its status)."""

    def __init__(self, final: bool) -> None:
        super().__init__("upload session lost")
        #: Lost while sending the last fragment: the upload may have completed.
        self.final = final


@dataclass(slots=True)
class Fragment:
    start: int
    pieces: list[bytes] = field(default_factory=list)
    length: int = 0

    @property
    def end(self) -> int:
        return self.start + self.length

    def body(self, skip: int) -> AsyncIterator[bytes]:
        """The fragment's bytes from ``skip`` on, without copying whole pieces."""

        async def gen() -> AsyncIterator[bytes]:
            left = skip
            for piece in self.pieces:
                if left >= len(piece):
                    left -= len(piece)
                    continue
                yield piece[left:] if left else piece
                left = 0

        return gen()


class FragmentReader:
    """Cuts a ``ByteSource`` into fragments and hashes every byte once, in order.

    With a hash to compute the source is opened at 0 and the bytes before ``start`` (already
    on the server after a resume) are hashed and dropped; otherwise it is opened at ``start``.
    """

    def __init__(
        self, source: ByteSource, size: int, start: int, chunk: int, hasher: Hasher | None
    ) -> None:
        self.size = size
        self.pos = start
        #: Bytes the server confirmed (kept up to date by the uploader).
        self.sent = start
        self.chunk = chunk
        self.hasher = hasher
        self._skip = start if hasher is not None else 0
        self._iter = source(0 if hasher is not None else start)
        self._left = b""

    async def _pull(self) -> bytes:
        if self._left:
            data, self._left = self._left, b""
            return data
        try:
            while True:
                data = await anext(self._iter)
                if data:
                    return bytes(data)
        except StopAsyncIteration:
            return b""

    async def _take(self, wanted: int) -> list[bytes]:
        pieces: list[bytes] = []
        while wanted > 0:
            data = await self._pull()
            if not data:
                raise errors.IntegrityError(
                    "the source ended early", detail=f"expected {self.size:,} bytes"
                )
            if len(data) > wanted:
                data, self._left = data[:wanted], data[wanted:]
            if self.hasher is not None:
                self.hasher.update(data)
            pieces.append(data)
            wanted -= len(data)
        return pieces

    async def next(self) -> Fragment:
        """The next fragment (the last one is shorter); checks the source ends where it should."""
        if self._skip:
            skip, self._skip = self._skip, 0
            await self._take(skip)
        frag = Fragment(self.pos)
        wanted = min(self.chunk, self.size - self.pos)
        frag.pieces = await self._take(wanted)
        frag.length = wanted
        self.pos += wanted
        if self.pos >= self.size:
            await self.check_end()
        return frag

    async def check_end(self) -> None:
        """``IntegrityError`` if the source has bytes beyond the announced size."""
        if await self._pull():
            raise errors.IntegrityError(
                "the source is longer than announced", detail=f"expected {self.size:,} bytes"
            )

    def value(self) -> str | None:
        return self.hasher.value() if self.hasher is not None else None

    async def aclose(self) -> None:
        closer = getattr(self._iter, "aclose", None)
        if closer is not None:
            with contextlib.suppress(Exception):
                await closer()


def _expiry(when: object) -> float | None:
    """Epoch seconds of a session's ``expirationDateTime`` (None when absent or unreadable)."""
    if not isinstance(when, str):
        return None
    try:
        return datetime.fromisoformat(when.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _first_missing(status: Mapping[str, Any]) -> int | None:
    ranges = status.get("nextExpectedRanges")
    if not isinstance(ranges, list) or not ranges:
        return None
    head = str(ranges[0]).split("-", 1)[0]
    return int(head) if head.isdigit() else None


@dataclass
class Uploader:
    """Writes one file; ``hash_type`` is "quickxor", "sha1" or "none"."""

    graph: GraphClient
    chunk_size: int
    hash_type: str

    def _hasher(self) -> Hasher | None:
        return None if self.hash_type == "none" else new_hasher(self.hash_type)

    def _check_expected(self, request: WriteRequest, computed: str | None, path: str) -> None:
        expected = request.expected_hashes.get(self.hash_type)
        if computed is not None and expected is not None and expected != computed:
            raise errors.IntegrityError(
                "the bytes read differ from the source's hash",
                path=path,
                detail=f"{self.hash_type} expected {expected}, read {computed}",
            )

    async def simple(
        self,
        address: Address,
        source: ByteSource,
        request: WriteRequest,
        path: str,
        progress: WriteProgress | None,
    ) -> tuple[dict[str, Any], str | None]:
        """``PUT /content`` with the whole (small) file; returns the item and our hash."""
        reader = FragmentReader(source, request.size, 0, max(request.size, 1), self._hasher())
        try:
            if request.size:
                frag = await reader.next()
            else:
                frag = Fragment(0)
                await reader.check_end()
        finally:
            await reader.aclose()
        computed = reader.value()
        self._check_expected(request, computed, path)
        response = await self.graph.request(
            "PUT",
            address.url,
            params={**address.params, "@microsoft.graph.conflictBehavior": "replace"},
            content=b"".join(frag.pieces),
            headers={"Content-Type": "application/octet-stream"},
            path=path,
        )
        if progress is not None:
            progress.advance(request.size)
        return _item(response), computed

    async def session(
        self,
        address: Address,
        source: ByteSource,
        request: WriteRequest,
        path: str,
        progress: WriteProgress | None,
        fsi: dict[str, str] | None,
        completed: Completed,
    ) -> tuple[dict[str, Any], str | None]:
        """Upload through a session; returns the stored item and our hash.

        A session that is lost (its URL answers 404, 401 or 403) is replaced by a new one
        and the file sent again from byte 0; when it was lost on the last fragment,
        ``completed`` first asks whether the drive holds the file already (a completed
        session answers 404 too).
        """
        url, offset, stale = await self._resumable(request)
        expires: str | None = None
        restarts = 0
        while True:
            if url is None:
                url, expires = await self._create(address, request.size, fsi, path, stale)
                offset, stale = 0, None
                if progress is not None:
                    progress.checkpoint(_state(url, 0, request.size, expires))
            reader = FragmentReader(source, request.size, offset, self.chunk_size, self._hasher())
            try:
                return await self._send_all(url, reader, request, path, progress, expires)
            except _SessionLost as lost:
                if lost.final:
                    computed = reader.value()
                    item = await completed(computed)
                    if item is not None:
                        return item, computed
                restarts += 1
                if restarts > MAX_RESTARTS:
                    raise errors.ResumeLost(
                        "the upload session was lost repeatedly", path=path, detail=_where(url)
                    ) from None
                if progress is not None and reader.sent:
                    progress.advance(-reader.sent)
                url, stale = None, url
            except errors.IntegrityError:
                await self.discard(url)
                raise
            finally:
                await reader.aclose()

    async def _resumable(self, request: WriteRequest) -> tuple[str | None, int, str | None]:
        """(URL, offset, None) to go on with the stored session, else (None, 0, its URL).

        A restarted process asks the stored session's status once, with a short timeout:
        a URL that has expired, is refused, or cannot be reached (the server moved, say)
        means a new session at once, not a wait through the pacer's retries.
        """
        resume = request.resume or {}
        url = resume.get("upload_url")
        if not isinstance(url, str) or resume.get("size") != request.size:
            return None, 0, None
        expires = _expiry(resume.get("expires"))
        if expires is not None and expires < time.time() + EXPIRY_MARGIN:
            return None, 0, url
        try:
            expected = await self._status(url, request.size, retry=False, timeout=PROBE_TIMEOUT)
        except errors.SkypaneError:
            expected = None
        if expected is None or expected >= request.size:
            return None, 0, url
        return url, expected, None

    async def _create(
        self,
        address: Address,
        size: int,
        fsi: dict[str, str] | None,
        path: str,
        stale: str | None,
    ) -> tuple[str, str | None]:
        """A new session's URL and expiry. A 409 while an older session of ours may still
        live (GRAPH-second-wave.md §7) cancels that one and asks once more."""
        item: dict[str, Any] = {"@microsoft.graph.conflictBehavior": "replace", "fileSize": size}
        if fsi:
            item["fileSystemInfo"] = fsi
        while True:
            try:
                answer = await self.graph.send_json(
                    "POST", address.url, {"item": item}, params=address.params, path=path
                )
            except errors.AlreadyExists:
                if stale is None:
                    raise
                await self.discard(stale)
                stale = None
                continue
            break
        url = answer.get("uploadUrl")
        if not isinstance(url, str):
            raise errors.TransientError("OneDrive gave no upload URL", path=path)
        expires = answer.get("expirationDateTime")
        return url, expires if isinstance(expires, str) else None

    async def _status(
        self, url: str, total: int, *, retry: bool = True, timeout: float | None = None
    ) -> int | None:
        """The first byte the session still expects (``total``: all there); None when gone."""
        response = await self.graph.request(
            "GET", url, auth=False, accept=SESSION_GONE, retry=retry, timeout=timeout
        )
        if response.status_code in SESSION_GONE:
            return None
        first = _first_missing(_item(response))
        return total if first is None else first

    async def _send_all(
        self,
        url: str,
        reader: FragmentReader,
        request: WriteRequest,
        path: str,
        progress: WriteProgress | None,
        expires: str | None,
    ) -> tuple[dict[str, Any], str | None]:
        size = request.size
        if progress is not None and reader.pos:
            progress.advance(reader.pos)  # bytes the server already holds (resume)
        # The first fragment is awaited here, not in a task of its own: nothing could overlap
        # with reading it, and a small file is that one fragment (a task per file is CPU).
        first: Fragment | None = await reader.next()
        pending: asyncio.Task[Fragment] | None = None
        try:
            while first is not None or pending is not None:
                if first is not None:
                    frag, first = first, None
                else:
                    assert pending is not None
                    frag = await pending
                    pending = None
                if frag.end < size:
                    pending = asyncio.ensure_future(reader.next())  # read while this one flies
                else:
                    self._check_expected(request, reader.value(), path)
                done, body = await self._put_fragment(url, frag, size, path)
                # httpx keeps each response in a reference cycle with its request until the
                # garbage collector runs; let go of the bytes now so memory stays bounded.
                frag.pieces = []
                reader.sent = frag.end
                if progress is not None:
                    progress.advance(frag.length)
                if done:
                    return body, reader.value()
                if frag.end >= size:
                    raise errors.TransientError(
                        "OneDrive did not finish the upload", path=path, detail=_where(url)
                    )
                later = body.get("expirationDateTime")
                expires = later if isinstance(later, str) else expires
                if progress is not None:
                    progress.checkpoint(_state(url, frag.end, size, expires))
            raise AssertionError("unreachable")
        finally:
            if pending is not None:
                await settle(pending)

    async def _put_fragment(
        self, url: str, frag: Fragment, total: int, path: str
    ) -> tuple[bool, dict[str, Any]]:
        """Send one fragment; re-sync with the session on 416/404.

        Returns (True, item) when the file is complete, else (False, session status)."""
        skip = 0
        for _ in range(MAX_FRAGMENT_SYNCS):
            start = frag.start + skip
            response = await self.graph.request(
                "PUT",
                url,
                content=functools.partial(frag.body, skip),
                headers={
                    "Content-Range": f"bytes {start}-{frag.end - 1}/{total}",
                    "Content-Length": str(frag.end - start),
                },
                auth=False,
                accept=(*SESSION_GONE, 416),
                path=path,
            )
            status = response.status_code
            if status in (200, 201):
                return True, _item(response)
            if status == 202:
                return False, _item(response)
            expected = None if status in (401, 403) else await self._status(url, total)
            if expected is None or expected < frag.start:
                # Gone, or it lost bytes we can no longer re-read: start a new session.
                raise _SessionLost(final=frag.end >= total)
            if expected >= frag.end:
                return False, {}  # stored already (a retried request overlapped)
            skip = expected - frag.start
        raise errors.TransientError(
            "a fragment was refused repeatedly", path=path, detail=_where(url)
        )

    async def discard(self, url: str | None) -> None:
        """Cancel a session (no bearer: the URL carries its own credential)."""
        if not url:
            return
        with contextlib.suppress(errors.SkypaneError):
            await self.graph.request("DELETE", url, auth=False, accept=(404,), retry=False)


def _item(response: httpx.Response) -> dict[str, Any]:
    data = response.json()
    return data if isinstance(data, dict) else {}


def _state(url: str, offset: int, size: int, expires: str | None) -> dict[str, Any]:
    """The checkpoint a restarted process resumes from."""
    state: dict[str, Any] = {"upload_url": url, "offset": offset, "size": size}
    if expires is not None:
        state["expires"] = expires
    return state


def _where(url: str) -> str:
    """An upload session URL fit for an error message: its host only. The URL itself is
    pre-authenticated (anyone holding it can write the file) and must not reach logs."""
    return f"upload session at {httpx.URL(url).host}"
