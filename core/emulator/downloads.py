"""The pre-authenticated download URL: no bearer token, single ranges (206/416).

As on OneDrive (GRAPH-second-wave §6), a suffix range (``bytes=-N``) and any range on an
old version's content are ignored: the answer is 200 with the whole body.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING
from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from .auth import refuse_authorization
from .blobs import Blob
from .errors import GraphError, error_response

if TYPE_CHECKING:
    from .emulator import Emulator

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def parse_range(header: str | None, size: int) -> tuple[int, int] | str | None:
    """(start, end) inclusive, None to send everything, "unsatisfiable" for 416."""
    if not header:
        return None
    match = _RANGE.match(header.strip())
    if match is None:
        return None  # several ranges or garbage: Graph may answer with the whole file
    first, last = match.groups()
    if not first:
        return None  # "bytes=-N" counts from the end: OneDrive ignores those
    start = int(first)
    end = int(last) if last else size - 1
    if start >= size or end < start:
        return "unsatisfiable"
    return start, min(end, size - 1)


def _find_blob(
    emulator: Emulator, drive_id: str, item_id: str, blob_id: str
) -> tuple[Blob, bool] | None:
    """The content and whether it is the file's current one."""
    with emulator.lock:
        drive = emulator.store.drives.get(drive_id)
        item = drive.items.get(item_id) if drive else None
        if item is None or item.trashed or not item.versions:
            return None
        for version in item.versions:
            if version.blob.id == blob_id:
                return version.blob, version.blob is item.versions[-1].blob
    return None


async def _stream(blob: Blob, start: int, end: int) -> AsyncIterator[bytes]:
    for piece in blob.iter_range(start, end):
        yield piece


async def download_content(request: Request) -> Response:
    emulator: Emulator = request.app.state.emulator
    params = request.path_params
    drive_id, item_id, blob_id = unquote(params["drive"]), unquote(params["item"]), params["blob"]
    try:
        refuse_authorization(request)
        expires = request.query_params.get("exp", "0")
        signature = request.query_params.get("tempauth", "")
        if not emulator.check_signature(signature, drive_id, item_id, blob_id, expires):
            raise GraphError(401, "unauthenticated", "The download URL is not valid")
        if not expires.isdigit() or emulator.clock.now() > int(expires):
            raise GraphError(
                401, "unauthenticated", "The download URL has expired", inner="expiredToken"
            )
        found = _find_blob(emulator, drive_id, item_id, blob_id)
        if found is None:
            raise GraphError(404, "itemNotFound", "The item no longer exists")
    except GraphError as error:
        return error_response(error)
    blob, current = found
    size = blob.size
    wanted = parse_range(request.headers.get("range"), size) if current else None
    headers = {"Accept-Ranges": "bytes", "Content-Type": "application/octet-stream"}
    if wanted == "unsatisfiable":
        return Response(status_code=416, headers={"Content-Range": f"bytes */{size}"})
    if wanted is None:
        start, end, status = 0, size - 1, 200
    else:
        assert not isinstance(wanted, str)
        start, end = wanted
        status = 206
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    headers["Content-Length"] = str(max(0, end - start + 1))
    if request.method == "HEAD" or size == 0:
        return Response(status_code=status, headers=headers)
    return StreamingResponse(_stream(blob, start, end), status_code=status, headers=headers)
