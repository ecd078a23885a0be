"""Asynchronous copy (GRAPH.md §8): 202 + a monitor URL that needs no token."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from .auth import refuse_authorization
from .context import Ctx, json_response
from .errors import GraphError, bad_request, error_response, not_found
from .model import Item

if TYPE_CHECKING:
    from .emulator import Emulator


@dataclass
class CopyJob:
    id: str
    resource_id: str
    polls_left: int


def _destination(ctx: Ctx, item: Item, reference: object) -> Item:
    store = ctx.store
    if reference is None:
        assert item.parent is not None
        return item.parent
    if not isinstance(reference, dict):
        raise bad_request("parentReference must be an object")
    drive = item.drive
    if reference.get("driveId"):
        drive = store.drive(str(reference["driveId"]))
    parent: Item | None = None
    if reference.get("id"):
        parent = drive.items.get(str(reference["id"]))
        if parent is None or parent.trashed:
            raise not_found("The destination folder does not exist")
    if reference.get("path"):
        from urllib.parse import unquote

        path = str(reference["path"])
        by_path = store.resolve(drive.root, unquote(path.split(":", 1)[1] if ":" in path else path))
        if parent is not None and by_path is not parent:
            raise bad_request("parentReference id and path name different folders")
        parent = by_path
    if parent is None:
        raise bad_request("parentReference needs an id or a path")
    if parent.children is None:
        raise bad_request("The destination is not a folder")
    return parent


async def copy_item(ctx: Ctx) -> Response:
    item = ctx.target.existing()
    body = await ctx.json()
    if item.parent is None:
        raise bad_request("The root can't be copied")
    # Personal ignores the conflictBehavior option of copy (GRAPH.md §8).
    behaviour = "fail" if ctx.store.flavour == "personal" else ctx.conflict_behaviour(None, "fail")
    with ctx.emulator.lock:
        parent = _destination(ctx, item, body.get("parentReference"))
        name = body.get("name") or item.name
        if not isinstance(name, str):
            raise bad_request("name must be a string")
        copied = ctx.store.copy(item, parent, name, behaviour, ctx.user.id)
        job = CopyJob(
            secrets.token_urlsafe(24), copied.id, ctx.emulator.config.copy_polls_in_progress
        )
        ctx.emulator.copy_jobs[job.id] = job
    return Response(status_code=202, headers={"Location": f"{ctx.files}/monitor/{job.id}"})


async def monitor(request: Request) -> Response:
    emulator: Emulator = request.app.state.emulator
    try:
        refuse_authorization(request)
        with emulator.lock:
            job = emulator.copy_jobs.get(request.path_params["job"])
            if job is None:
                raise GraphError(404, "itemNotFound", "The monitor does not exist")
            if job.polls_left > 0:
                job.polls_left -= 1
                return json_response(
                    {"operation": "ItemCopy", "percentageComplete": 50.0, "status": "inProgress"},
                    202,
                )
        return json_response(
            {
                "operation": "ItemCopy",
                "percentageComplete": 100.0,
                "resourceId": job.resource_id,
                "status": "completed",
            },
            200,
        )
    except GraphError as error:
        return error_response(error)
