"""Upload sessions (GRAPH.md §6): create, fragments, status, cancel, commit, expiry.

What a session's URL answers once it is no longer usable (GRAPH-second-wave §7):
expired, cancelled, unknown or completed → 404 itemNotFound; the credential in the URL past
its lifetime → 401 unauthenticated/expiredToken (Personal) or 403 accessDenied (Business),
whatever became of the session. A second session for a file that still has a live one
→ 409 nameAlreadyExists, even with conflictBehavior replace.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from .auth import refuse_authorization
from .blobs import Blob, BlobWriter
from .context import Ctx, json_response
from .errors import GraphError, bad_request, error_response, not_found
from .items import _times
from .model import Item
from .names import fold
from .origins import files_base
from .render import Renderer, iso
from .rewrite import library_blob

if TYPE_CHECKING:
    from .emulator import Emulator

FRAGMENT_UNIT = 320 * 1024
#: Each fragment request must be smaller than this.
MAX_FRAGMENT = 60 * 1024 * 1024
_CONTENT_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+)$")


@dataclass(eq=False)
class UploadSession:
    id: str
    drive_id: str
    user_id: str
    #: The file being replaced when the session was made for an item id.
    item_id: str | None
    parent_id: str | None
    name: str
    behaviour: str
    fs_created: int | None
    fs_modified: int | None
    description: str | None
    total: int | None
    writer: BlobWriter
    expires_at: float
    defer_commit: bool
    #: When the credential in the session's URL lapses (see ``upload_url_lifetime``).
    url_expires_at: int = 0
    blob: Blob | None = None
    busy: bool = False

    @property
    def received(self) -> int:
        return self.writer.committed if self.blob is None else self.blob.size

    def ranges(self) -> list[str]:
        if self.total is not None and self.received >= self.total:
            return []
        return [f"{self.received}-"]


def _session_error(message: str = "The upload session does not exist or has expired") -> GraphError:
    return GraphError(404, "itemNotFound", message, inner="uploadSessionNotFound")


def upload_url(emulator: Emulator, files: str, session: UploadSession) -> str:
    """The session's pre-authenticated URL: its id and a credential that lapses."""
    expires = str(session.url_expires_at)
    signature = emulator.sign("up", session.id, expires)
    return f"{files}/up/{session.id}?exp={expires}&tempauth={signature}"


def check_url_credential(emulator: Emulator, session_id: str, query: dict[str, str]) -> None:
    """401/403 unless the URL's ``tempauth`` is ours and still valid (the session aside)."""
    expires, signature = query.get("exp", ""), query.get("tempauth", "")
    if not emulator.check_signature(signature, "up", session_id, expires):
        raise GraphError(401, "unauthenticated", "The upload URL is not valid")
    if not expires.isdigit() or emulator.clock.now() < int(expires):
        return
    if emulator.config.flavour == "business":
        raise GraphError(403, "accessDenied", "You do not have authorization to access the file")
    lifetime = emulator.config.upload_url_lifetime
    raise GraphError(
        401,
        "unauthenticated",
        f"The access token has expired. It's valid from '{iso((int(expires) - lifetime) * 1000)}'"
        f" and to '{iso(int(expires) * 1000)}'.",
        inner="expiredToken",
    )


def _holder(emulator: Emulator, parent: Item, name: str) -> UploadSession | None:
    """A live session that will write ``name`` in ``parent``.

    Expired ones are dropped, and so are those whose URL's credential lapsed: nobody can use
    them any more, and a client that meets the 401/403 is told to start a new session.
    """
    now, key = emulator.clock.now(), fold(name)
    found = None
    for session in list(emulator.upload_sessions.values()):
        if now >= session.expires_at or now >= session.url_expires_at:
            if not session.busy:  # a fragment still streaming in keeps its writer
                discard_session(emulator, session)
        elif (
            session.parent_id == parent.id
            and session.drive_id == parent.drive.id
            and session.behaviour != "rename"
            and fold(session.name) == key
        ):
            found = session
    return found


async def create_upload_session(ctx: Ctx) -> Response:
    """POST …/createUploadSession: a session for a new file by path or an existing file."""
    target = ctx.target
    body = await ctx.json()
    item_props = body.get("item") or {}
    if not isinstance(item_props, dict):
        raise bad_request("'item' must be an object")
    behaviour = ctx.conflict_behaviour(item_props, "replace")
    created, modified = _times(item_props.get("fileSystemInfo"))
    size = item_props.get("fileSize")
    if size is not None and (not isinstance(size, int) or size < 0):
        raise bad_request("fileSize must be a non-negative integer")
    store, emulator = ctx.store, ctx.emulator
    with emulator.lock:
        existing = target.item
        if existing is not None:
            ctx.check_if_match(existing)
            if existing.kind != "file":
                raise GraphError(409, "nameAlreadyExists", "A folder has that name")
        if existing is not None and not target.by_path:
            item_id, parent, name = existing.id, existing.parent, existing.name
        else:
            item_id = None
            parent = existing.parent if existing is not None else target.parent
            name = existing.name if existing is not None else target.name or ""
        if parent is None:
            raise not_found()
        wanted_name = item_props.get("name")
        if wanted_name is not None and str(wanted_name) != name and target.by_path:
            raise bad_request("item.name must match the name in the path")
        if item_id is None:
            store.place(parent, name, behaviour, is_folder=False)  # names and fail-conflicts
        if size is not None:
            store.check_quota(parent.drive, size)
        if behaviour != "rename" and _holder(emulator, parent, name) is not None:
            raise GraphError(
                409, "nameAlreadyExists", "An upload session already exists for this file"
            )
        session = UploadSession(
            id=secrets.token_urlsafe(32),
            drive_id=parent.drive.id,
            user_id=ctx.user.id,
            item_id=item_id,
            parent_id=parent.id,
            name=name,
            behaviour=behaviour,
            fs_created=created,
            fs_modified=modified,
            description=item_props.get("description"),
            total=size,
            writer=emulator.blobs.writer(store.flavour == "personal"),
            expires_at=emulator.clock.now() + emulator.config.upload_session_lifetime,
            defer_commit=bool(body.get("deferCommit", False)),
            url_expires_at=int(emulator.clock.now()) + emulator.config.upload_url_lifetime,
        )
        emulator.upload_sessions[session.id] = session
    return json_response(
        {
            "uploadUrl": upload_url(emulator, ctx.files, session),
            "expirationDateTime": iso(int(session.expires_at * 1000)),
            "nextExpectedRanges": ["0-"],
        }
    )


def _live_session(emulator: Emulator, request: Request, session_id: str) -> UploadSession:
    with emulator.lock:
        session = emulator.upload_sessions.get(session_id)
        if session is None:
            raise _session_error()
        lost = emulator.faults.eligible(request.method, request.url.path) and emulator.faults.roll(
            emulator.faults.lose_upload_sessions
        )
        if lost or emulator.clock.now() >= session.expires_at:
            discard_session(emulator, session)
            raise _session_error()
        return session


def discard_session(emulator: Emulator, session: UploadSession) -> None:
    emulator.upload_sessions.pop(session.id, None)
    if session.blob is not None:
        emulator.blobs.drop_if_unused(session.blob)
    else:
        session.writer.discard()


def _status_body(session: UploadSession) -> dict[str, object]:
    return {
        "expirationDateTime": iso(int(session.expires_at * 1000)),
        "nextExpectedRanges": session.ranges(),
    }


async def upload_session_endpoint(request: Request) -> Response:
    """The pre-authenticated uploadUrl: PUT a fragment, GET status, DELETE, POST commit."""
    emulator: Emulator = request.app.state.emulator
    try:
        if request.method != "GET":
            # The status GET tolerates a bearer token (rclone sends one); nothing else does.
            refuse_authorization(request)
        session_id = request.path_params["session"]
        check_url_credential(emulator, session_id, dict(request.query_params))
        session = _live_session(emulator, request, session_id)
        if request.method == "GET":
            return json_response(_status_body(session))
        if request.method == "DELETE":
            with emulator.lock:
                discard_session(emulator, session)
            return Response(status_code=204)
        if request.method == "POST":
            if session.total is None or session.received < session.total:
                raise bad_request("Not all bytes have been uploaded", "uploadSessionIncomplete")
            return commit(emulator, session, files_base(request))
        return await _put_fragment(emulator, session, request)
    except GraphError as error:
        return error_response(error, request.headers.get("client-request-id"))
    except ClientDisconnect:
        # The fragment was rolled back; nobody reads this answer (499 as nginx logs it).
        return Response(status_code=499)


async def _put_fragment(emulator: Emulator, session: UploadSession, request: Request) -> Response:
    header = request.headers.get("content-range", "")
    match = _CONTENT_RANGE.match(header.strip())
    if match is None:
        raise bad_request(
            "A Content-Range header 'bytes start-end/total' is required", "invalidRange"
        )
    start, end, total = (int(g) for g in match.groups())
    length = end - start + 1
    declared = request.headers.get("content-length")
    if declared is not None and int(declared) != length:
        raise bad_request("Content-Length does not match Content-Range", "invalidRange")
    if end < start or end >= total:
        raise bad_request("The range is outside the file", "invalidRange")
    if length >= MAX_FRAGMENT:
        raise GraphError(
            413, "invalidRequest", "Fragments must be smaller than 60 MiB", inner="fragmentTooLarge"
        )
    with emulator.lock:
        if session.total is None:
            session.total = total
        if total != session.total:
            raise bad_request(
                "The total size differs from earlier fragments", "fragmentLengthMismatch"
            )
        if end + 1 < total and length % FRAGMENT_UNIT:
            raise bad_request(
                "Fragments other than the last must be a multiple of 320 KiB", "invalidFragmentSize"
            )
        if session.busy or start < session.received or session.blob is not None:
            raise _range_error(session, "fragmentOverlap")
        if start > session.received:
            raise _range_error(session, "fragmentOutOfOrder")
        session.busy = True
    writer = session.writer
    try:
        async for chunk in request.stream():
            writer.write(chunk)
            if writer.size - writer.committed > length:
                writer.rollback()
                raise bad_request("The body is longer than Content-Range says", "invalidRange")
        if writer.size - writer.committed != length:
            writer.rollback()
            raise bad_request("The body is shorter than Content-Range says", "invalidRange")
        writer.commit()
    except ClientDisconnect:
        writer.rollback()
        raise
    finally:
        session.busy = False
    with emulator.lock:
        session.expires_at = emulator.clock.now() + emulator.config.upload_session_lifetime
        final = session.received >= total
        if (
            not final
            and emulator.faults.eligible("PUT", request.url.path)
            and (emulator.faults.roll(emulator.faults.spurious_416_rate))
        ):
            raise _range_error(session, "fragmentOverlap")
    if final and not session.defer_commit:
        return commit(emulator, session, files_base(request))
    return json_response(_status_body(session), 202)


def _range_error(session: UploadSession, inner: str) -> GraphError:
    return GraphError(
        416,
        "invalidRange",
        f"The uploaded fragment does not follow the next expected range {session.ranges()}",
        inner=inner,
    )


def commit(
    emulator: Emulator,
    session: UploadSession,
    files: str,
    *,
    name: str | None = None,
    behaviour: str | None = None,
) -> Response:
    """Turn the received bytes into the file; 409/507 keep the session for another try."""
    store = emulator.store
    with emulator.lock:
        drive = store.drive(session.drive_id)
        if session.blob is None:
            session.blob = library_blob(
                emulator.blobs,
                drive,
                name or session.name,
                session.writer.finish(),
                store.flavour == "personal",
            )
        blob = session.blob
        user = session.user_id
        item: Item
        if session.item_id is not None and name is None:
            item = store.item(drive, session.item_id)
            store.new_version(item, blob, user, session.fs_created, session.fs_modified)
            created = False
        else:
            parent = store.item(drive, session.parent_id or drive.root.id)
            item, created = store.write_file(
                parent,
                name or session.name,
                blob,
                behaviour or session.behaviour,
                user,
                fs_created_ms=session.fs_created,
                fs_modified_ms=session.fs_modified,
                description=session.description,
            )
        if session.description is not None:
            item.description = session.description
        emulator.upload_sessions.pop(session.id, None)
        session.writer.discard()
        render = Renderer(
            store,
            files,
            emulator.drive_of(store.users[user]),
            emulator,
            emulator.config.download_url_lifetime,
        )
        body = render.item(item)
    emulator.after_change()
    return json_response(body, 201 if created else 200)


async def commit_from_source(ctx: Ctx) -> Response:
    """PUT an item path with ``@microsoft.graph.sourceUrl``: commit a finished session."""
    body = await ctx.json()
    source = body.get("@microsoft.graph.sourceUrl")
    if not isinstance(source, str):
        raise bad_request("PUT on an item needs '@microsoft.graph.sourceUrl'")
    parts = urlsplit(source)
    session_id = parts.path.rstrip("/").rsplit("/", 1)[-1]
    emulator = ctx.emulator
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    check_url_credential(emulator, session_id, query)
    session = _live_session(emulator, ctx.request, session_id)
    if session.total is None or session.received < session.total:
        raise bad_request("Not all bytes have been uploaded", "uploadSessionIncomplete")
    target = ctx.target
    with emulator.lock:
        if target.item is not None and target.item.children is not None:
            parent, name = target.item, str(body.get("name") or session.name)
        elif target.item is not None:
            assert target.item.parent is not None
            parent, name = target.item.parent, target.item.name
        else:
            if target.parent is None or target.name is None:
                raise not_found()
            parent, name = target.parent, str(body.get("name") or target.name)
        session.parent_id, session.item_id = parent.id, None
    return commit(
        emulator, session, ctx.files, name=name, behaviour=ctx.conflict_behaviour(body, "fail")
    )
