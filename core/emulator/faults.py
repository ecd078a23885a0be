"""Fault injection (throttling, 5xx, dropped connections…) and the request log.

Decisions are drawn from one ``random.Random(fault_seed)``, so a test run that makes the
same requests in the same order meets the same faults.
"""

from __future__ import annotations

import contextlib
import json
import random
import re
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import error_body
from .origins import request_port

if TYPE_CHECKING:
    from .clock import Clock

#: Paths faults never touch unless ``Faults.include_identity`` is set.
_IDENTITY = re.compile(r"^/(devicelogin|[^/]+/(v2\.0|oauth2)/)")

_ERROR_CODES = {
    401: "InvalidAuthenticationToken",  # the spurious "Unable to initialize RPS" (GRAPH.md §13.3)
    429: "activityLimitReached",
    503: "serviceNotAvailable",
    500: "generalException",
    502: "generalException",
    504: "generalException",
    507: "quotaLimitReached",
    509: "bandwidthLimitExceeded",
}


class ConnectionDropped(httpx.RemoteProtocolError):
    """Raised where the emulator cuts a connection mid-body.

    Over TLS the client sees the connection close; in-process (``httpx.ASGITransport``)
    it sees this exception, which is an ``httpx.TransportError`` like the real thing.
    """

    def __init__(self) -> None:
        super().__init__("the emulator dropped the connection mid-body")


@dataclass(slots=True)
class RequestRecord:
    """One request as the emulator saw it."""

    method: str
    path: str
    query: str
    status: int
    authorized: bool  # an Authorization header was present
    timestamp: float
    fault: str | None = None
    #: The port the request came to (Graph's, or the files origin's: see ``origins.py``).
    port: int = 0
    #: Body bytes received from the client and sent to it (counted as they pass).
    bytes_in: int = 0
    bytes_out: int = 0


class RequestLog:
    """The most recent requests (newest last); iterate, index or filter it."""

    def __init__(self, maxlen: int = 100_000) -> None:
        self._records: deque[RequestRecord] = deque(maxlen=maxlen)
        self._lock = threading.Lock()

    def append(self, record: RequestRecord) -> None:
        with self._lock:
            self._records.append(record)

    def clear(self) -> None:
        with self._lock:
            self._records.clear()

    def __len__(self) -> int:
        return len(self._records)

    def __iter__(self) -> Iterator[RequestRecord]:
        with self._lock:
            return iter(list(self._records))

    def __getitem__(self, index: int) -> RequestRecord:
        with self._lock:
            return self._records[index]

    def matching(
        self, method: str | None = None, path: str | None = None, status: int | None = None
    ) -> list[RequestRecord]:
        """Records with this method, a path matching the regular expression, this status."""
        pattern = re.compile(path) if path else None
        return [
            r
            for r in self
            if (method is None or r.method == method.upper())
            and (pattern is None or pattern.search(r.path))
            and (status is None or r.status == status)
        ]


@dataclass(slots=True)
class _OneShot:
    status: int | None  # None = drop the connection
    retry_after: int | None
    path: re.Pattern[str] | None
    method: str | None
    remaining: int


@dataclass
class Faults:
    """Switches for injected faults. Rates are probabilities per eligible request."""

    seed: int = 0
    #: Share of requests answered ``throttle_status`` with ``Retry-After: retry_after``.
    throttle_rate: float = 0.0
    throttle_status: int = 429
    retry_after: int = 1
    #: Share of requests answered with one of ``error_statuses``.
    error_rate: float = 0.0
    error_statuses: tuple[int, ...] = (500, 502, 504)
    #: Share of requests whose connection is dropped mid-body (request or response).
    drop_rate: float = 0.0
    #: Share of authenticated Graph requests whose (valid) token is expired on the spot.
    expire_tokens_early: float = 0.0
    #: Share of upload-session requests for which the session is lost (404 from then on).
    lose_upload_sessions: float = 0.0
    #: Share of non-final fragments stored but answered 416 (as if a retry overlapped).
    spurious_416_rate: float = 0.0
    #: Only requests whose path matches this regular expression are affected.
    path_pattern: str | None = None
    #: Only these methods are affected (None = all).
    methods: frozenset[str] | None = None
    #: Whether identity (sign-in) endpoints are affected too.
    include_identity: bool = False
    _rng: random.Random = field(init=False, repr=False)
    _one_shots: list[_OneShot] = field(default_factory=list, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def reset(self) -> None:
        """Switch every fault off and restart the random sequence."""
        with self._lock:
            self.throttle_rate = self.error_rate = self.drop_rate = 0.0
            self.expire_tokens_early = self.lose_upload_sessions = self.spurious_416_rate = 0.0
            self.throttle_status, self.retry_after = 429, 1
            self.path_pattern, self.methods, self.include_identity = None, None, False
            self._one_shots.clear()
            self._rng = random.Random(self.seed)

    def fail_next(
        self,
        n: int = 1,
        status: int = 429,
        retry_after: int | None = 1,
        *,
        path: str | None = None,
        method: str | None = None,
    ) -> None:
        """Answer the next ``n`` matching requests with ``status`` (Retry-After for 429/503)."""
        with self._lock:
            self._one_shots.append(
                _OneShot(
                    status,
                    retry_after,
                    re.compile(path) if path else None,
                    method.upper() if method else None,
                    n,
                )
            )

    def drop_next(self, n: int = 1, *, path: str | None = None, method: str | None = None) -> None:
        """Drop the connection of the next ``n`` matching requests mid-body."""
        with self._lock:
            self._one_shots.append(
                _OneShot(
                    None,
                    None,
                    re.compile(path) if path else None,
                    method.upper() if method else None,
                    n,
                )
            )

    # --------------------------------------------------------------- decisions
    def eligible(self, method: str, path: str) -> bool:
        if not self.include_identity and _IDENTITY.match(path):
            return False
        if self.methods is not None and method not in self.methods:
            return False
        return not (self.path_pattern and not re.search(self.path_pattern, path))

    def roll(self, rate: float) -> bool:
        """True with probability ``rate`` (no random draw when the rate is 0)."""
        if rate <= 0:
            return False
        with self._lock:
            return self._rng.random() < rate

    def decide(self, method: str, path: str) -> tuple[str, int, int | None] | None:
        """The fault for this request: ("status", code, retry_after) or ("drop", 0, None)."""
        with self._lock:
            for shot in self._one_shots:
                if (shot.method is None or shot.method == method) and (
                    shot.path is None or shot.path.search(path)
                ):
                    shot.remaining -= 1
                    if shot.remaining <= 0:
                        self._one_shots.remove(shot)
                    if shot.status is None:
                        return ("drop", 0, None)
                    return ("status", shot.status, shot.retry_after)
        if not self.eligible(method, path):
            return None
        if self.roll(self.throttle_rate):
            return ("status", self.throttle_status, self.retry_after)
        if self.roll(self.error_rate):
            with self._lock:
                status = self._rng.choice(self.error_statuses)
            return ("status", status, None)
        if self.roll(self.drop_rate):
            return ("drop", 0, None)
        return None


class FaultMiddleware:
    """Applies :class:`Faults` and fills the :class:`RequestLog` around the app."""

    def __init__(self, app: ASGIApp, faults: Faults, log: RequestLog, clock: Clock) -> None:
        self.app = app
        self.faults = faults
        self.log = log
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method: str = scope["method"]
        path: str = scope["path"]
        if "//" in path and not path.startswith(("/v1.0/", "/beta/")):
            # msal turns an authority with a trailing slash into /common//v2.0/…
            path = re.sub("/{2,}", "/", path)
            scope = {**scope, "path": path, "raw_path": path.encode()}
        headers = dict(scope["headers"])
        record = RequestRecord(
            method=method,
            path=path,
            query=scope.get("query_string", b"").decode("latin-1"),
            status=0,
            authorized=b"authorization" in headers,
            timestamp=self.clock.now(),
            port=request_port(scope),
        )
        started = logged = False

        async def counting_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                record.bytes_in += len(message.get("body", b""))
            return message

        async def logging_send(message: Message) -> None:
            nonlocal started, logged
            if message["type"] == "http.response.body":
                record.bytes_out += len(message.get("body", b""))
            if message["type"] == "http.response.start":
                record.status = message["status"]
                started = True
                # Logged before any byte of the response leaves: a client that has read a
                # response always finds its request in the log.
                logged = True
                self.log.append(record)
            await send(message)

        decision = self.faults.decide(method, path)
        try:
            if decision is None:
                await self.app(scope, counting_receive, logging_send)
            elif decision[0] == "status":
                record.fault = f"status {decision[1]}"
                await self._answer(decision[1], decision[2], headers, logging_send)
            else:
                record.fault = "drop"
                await self._drop(scope, counting_receive, logging_send, headers)
        finally:
            if not started and record.fault is None:
                record.fault = "error"
            if not logged:
                self.log.append(record)

    async def _answer(
        self, status: int, retry_after: int | None, headers: dict[bytes, bytes], send: Send
    ) -> None:
        client_request_id = headers.get(b"client-request-id", b"").decode() or None
        body = json.dumps(
            error_body(
                _ERROR_CODES.get(status, "generalException"),
                "Unable to initialize RPS" if status == 401 else "Injected fault",
                inner="throttledRequest" if status in (429, 503) else None,
                client_request_id=client_request_id,
            )
        ).encode()
        response_headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
        if retry_after is not None and status in (429, 503):
            response_headers.append((b"retry-after", str(retry_after).encode()))
        await send({"type": "http.response.start", "status": status, "headers": response_headers})
        await send({"type": "http.response.body", "body": body})

    async def _drop(
        self, scope: Scope, receive: Receive, send: Send, headers: dict[bytes, bytes]
    ) -> None:
        length = int(headers.get(b"content-length", b"0") or 0)
        if length > 0:
            # Cut the request body in half: the app sees a client that went away.
            allowance = length // 2

            async def cut_receive() -> Message:
                nonlocal allowance
                if allowance <= 0:
                    return {"type": "http.disconnect"}
                message = await receive()
                if message["type"] == "http.request":
                    body: bytes = message.get("body", b"")
                    if len(body) >= allowance:
                        message = {
                            "type": "http.request",
                            "body": body[:allowance],
                            "more_body": True,
                        }
                    allowance -= len(body)
                return message

            with contextlib.suppress(Exception):  # the app only learns its client vanished
                await self.app(scope, cut_receive, _discard_send)
            await send(
                {
                    "type": "http.response.start",
                    "status": 500,
                    "headers": [(b"content-length", b"100")],
                }
            )
            await send({"type": "http.response.body", "body": b"{", "more_body": True})
            raise ConnectionDropped()

        # Cut the response body in half.
        declared: dict[str, int] = {"length": 0, "sent": 0}

        async def cut_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                for key, value in message.get("headers", []):
                    if key.lower() == b"content-length":
                        declared["length"] = int(value)
                await send(message)
                return
            body: bytes = message.get("body", b"")
            budget = max(1, declared["length"] // 2) - declared["sent"]
            if len(body) < budget and message.get("more_body", False):
                declared["sent"] += len(body)
                await send(message)
                return
            await send(
                {"type": "http.response.body", "body": body[: max(0, budget)], "more_body": True}
            )
            raise ConnectionDropped()

        await self.app(scope, receive, cut_send)


async def _discard_send(message: Message) -> None:
    return None


def is_dropped(exc: BaseException | None) -> bool:
    return isinstance(exc, ConnectionDropped)


__all__: list[Any] = [
    "ConnectionDropped",
    "FaultMiddleware",
    "Faults",
    "RequestLog",
    "RequestRecord",
]
