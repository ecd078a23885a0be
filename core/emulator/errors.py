"""Graph error bodies (GRAPH.md §13.1) raised by handlers and rendered in one place."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Mapping

from starlette.responses import Response


class GraphError(Exception):
    """An error a Graph route answers with: status, top-level code, optional inner code."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        inner: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.inner = inner
        self.headers = dict(headers or {})


def not_found(message: str = "Item does not exist") -> GraphError:
    return GraphError(404, "itemNotFound", message)


def bad_request(message: str, inner: str | None = None) -> GraphError:
    return GraphError(400, "invalidRequest", message, inner=inner)


def conflict(message: str = "Name already exists") -> GraphError:
    return GraphError(409, "nameAlreadyExists", message)


def precondition_failed() -> GraphError:
    return GraphError(
        412,
        "resourceModified",
        "ETag does not match current item's value",
        inner="entityTagDoesNotMatch",
    )


def error_body(
    code: str,
    message: str,
    *,
    inner: str | None = None,
    client_request_id: str | None = None,
    request_id: str | None = None,
) -> dict[str, object]:
    """The JSON body of a Graph error, with the nested ``innerError`` Graph sends."""
    inner_error: dict[str, object] = {}
    if inner is not None:
        inner_error["code"] = inner
    inner_error["date"] = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
    inner_error["request-id"] = request_id or str(uuid.uuid4())
    inner_error["client-request-id"] = client_request_id or inner_error["request-id"]
    return {"error": {"code": code, "message": message, "innerError": inner_error}}


def error_response(error: GraphError, client_request_id: str | None = None) -> Response:
    """Render a :class:`GraphError` as Graph would."""
    request_id = str(uuid.uuid4())
    body = error_body(
        error.code,
        error.message,
        inner=error.inner,
        client_request_id=client_request_id,
        request_id=request_id,
    )
    headers = {"request-id": request_id, **error.headers}
    if client_request_id:
        headers["client-request-id"] = client_request_id
    return Response(
        json.dumps(body),
        status_code=error.status,
        headers=headers,
        media_type="application/json",
    )
