"""The Graph HTTP client: one keep-alive ``httpx.AsyncClient`` per remote, paced and mapped.

The client comes from ``core.backends.onedrive.http`` (the backend's one HTTP stack: TLS
trust, proxy policy, aiohttp under httpx).

Every request goes through the drive's ``Pacer``; the bearer token comes from a
``TokenProvider`` and is sent only to Graph itself, never to pre-authenticated URLs
(download URLs, ``uploadUrl``, copy monitors: ``auth=False``). Graph's JSON errors become
``core.errors`` types with Graph's status, code and message kept in ``detail``.
"""

from __future__ import annotations

import asyncio
import inspect
import json as jsonlib
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Mapping
from typing import Any, TypeVar

import httpx

from core import __version__, errors
from core.backends.onedrive.http import StackClient, make_http_client
from core.backends.onedrive.pacer import Pacer, settle
from core.backends.onedrive.tokens import TokenProvider

USER_AGENT = f"ISV|skypane|skypane/{__version__}"
#: Statuses retried with back-off (GRAPH.md §13.5).
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504, 509})
ContentFactory = Callable[[], AsyncIterator[bytes]]
AuthRequiredHook = Callable[[str], Any]
T = TypeVar("T")
#: A collection page as decoded: its values and its ``@odata.nextLink`` (None on the last).
PageOf = tuple[list[T], str | None]
PageDecoder = Callable[[bytes], PageOf[T]]


def _codes(body: Any) -> tuple[str | None, list[str], str]:
    """Top-level code, inner codes (outermost first) and message of a Graph error body."""
    if not isinstance(body, Mapping):
        return None, [], ""
    err = body.get("error")
    if isinstance(err, str):  # identity-style bodies: {"error": "invalid_grant", ...}
        return err, [], str(body.get("error_description", ""))
    if not isinstance(err, Mapping):
        return None, [], ""
    code = err.get("code")
    message = str(err.get("message", ""))
    inner: list[str] = []
    node: Any = err
    while isinstance(node, Mapping):
        nxt = next((v for k, v in node.items() if k.lower() == "innererror"), None)
        if isinstance(nxt, Mapping) and isinstance(nxt.get("code"), str):
            inner.append(nxt["code"])
        node = nxt
    return (code if isinstance(code, str) else None), inner, message


def retry_after(response: httpx.Response) -> float | None:
    """The integer ``Retry-After`` seconds of a response (other forms are ignored, as rclone does)."""
    value = response.headers.get("Retry-After", "").strip()
    return float(value) if value.isdigit() else None


def map_error(response: httpx.Response, path: str | None = None) -> errors.SkypaneError:
    """The ``core.errors`` exception for a failed Graph response (body must be read)."""
    status = response.status_code
    try:
        body = response.json()
    except (ValueError, UnicodeDecodeError):
        body = None
    code, inner, message = _codes(body)
    detail = f"HTTP {status}"
    if code:
        detail += f" {code}" + "".join(f"/{c}" for c in inner)
    if message:
        detail += f": {message}"
    allcodes = {c for c in [code, *inner] if c}
    cls: type[errors.SkypaneError]
    if "pathIsTooLong" in allcodes or "pathTooDeep" in allcodes:
        cls, text = errors.PathTooLong, "path too long for OneDrive"
    elif "invalidPath" in allcodes:
        cls, text = errors.InvalidName, "OneDrive refuses this name"
    elif "maxFileSizeExceeded" in allcodes:
        cls, text = errors.FileTooLarge, "file too large for OneDrive"
    elif status == 507 or "quotaLimitReached" in allcodes:
        cls, text = errors.QuotaExceeded, "the drive is full"
    elif status == 404 or "itemNotFound" in allcodes:
        cls, text = errors.NotFound, "not found"
    elif status == 409 or "nameAlreadyExists" in allcodes:
        cls, text = errors.AlreadyExists, "already exists"
    elif status == 401 or "unauthenticated" in allcodes:
        cls, text = errors.AuthenticationRequired, "sign-in expired or refused"
    elif status in (403, 423) or "accessDenied" in allcodes:
        cls, text = errors.PermissionDenied, "access denied"
    elif status in (405, 501) or allcodes & {"notSupported", "notAllowed"}:
        cls, text = errors.Unsupported, "not supported by this drive"
    elif status == 429 or (status == 503 and retry_after(response) is not None):
        return errors.Throttled(
            "OneDrive is throttling requests",
            retry_after=retry_after(response),
            path=path,
            detail=detail,
        )
    elif status in RETRY_STATUSES:
        cls, text = errors.TransientError, "OneDrive is temporarily unavailable"
    else:
        cls, text = errors.SkypaneError, "OneDrive refused the request"
    return cls(text, path=path, detail=detail)


class GraphClient:
    """Requests to one drive's Graph endpoint, paced, retried and authenticated."""

    def __init__(
        self,
        base_url: str,
        tokens: TokenProvider,
        *,
        remote: str = "",
        http: StackClient | None = None,
        ca_bundle: str | None = None,
        user_agent: str | None = None,
        pacer: Pacer | None = None,
        on_auth_required: AuthRequiredHook | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.tokens = tokens
        self.remote = remote
        self.http = http or make_http_client(ca_bundle=ca_bundle)
        self.user_agent = user_agent or USER_AGENT
        self.pacer = pacer or Pacer()
        self.on_auth_required = on_auth_required
        self._refresh_lock = asyncio.Lock()

    def url(self, path: str) -> str:
        """An absolute URL for a Graph path (``drives/x/root``) or an absolute URL as is."""
        if path.startswith(("https://", "http://")):
            return path
        return f"{self.base_url}/{path.lstrip('/')}"

    async def _token(self, *, force: bool = False) -> str:
        try:
            return await self.tokens.access_token(force_refresh=force)
        except errors.AuthenticationRequired:
            if self.on_auth_required is None:
                raise
            if not await maybe_await(self.on_auth_required(self.remote)):
                raise
            return await self.tokens.access_token()

    async def _fresh_token(self, rejected: str) -> str:
        """A token other than ``rejected``: one forced refresh, shared by concurrent 401s."""
        async with self._refresh_lock:
            token = await self._token()
            if token == rejected:
                token = await self._token(force=True)
            return token

    async def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        content: bytes | ContentFactory | None = None,
        headers: Mapping[str, str] | None = None,
        auth: bool = True,
        accept: Collection[int] = (),
        path: str | None = None,
        stream: bool = False,
        retry: bool = True,
        timeout: float | None = None,
    ) -> httpx.Response:
        """Send one logical request, retrying what Graph says may be retried.

        Returns the response for 1xx–3xx and for statuses in ``accept``; raises the mapped
        ``core.errors`` exception otherwise. With ``stream`` the body is left unread (the
        caller closes the response). ``timeout`` (seconds) replaces the client's timeouts.

        A 401 on a Graph call gets a fresh token and the request is sent again, after
        every refresh that succeeds: with many requests in flight a token can expire (or
        be revoked) again between its refresh and its use. Only a refused refresh is final
        (``AuthenticationRequired`` from the token provider); a server that refuses every
        fresh token still ends after the pacer's attempts.
        """
        target = self.url(url)
        attempts = self.pacer.max_attempts if retry else 1
        refreshed = False
        per_request = httpx.Timeout(timeout) if timeout is not None else None
        last_error: errors.SkypaneError | None = None
        attempt = 0
        while attempt < attempts:
            attempt += 1
            await self.pacer.wait_turn(spaced=auth)  # pre-authenticated URLs: see Pacer
            hdrs = {"User-Agent": self.user_agent}
            if headers:
                hdrs.update(headers)
            token = ""
            if auth:
                token = await self._token()
                hdrs["Authorization"] = f"Bearer {token}"
            body: Any = content() if callable(content) else content
            if json is not None:
                body = jsonlib.dumps(json).encode()
                hdrs["Content-Type"] = "application/json"
            try:
                request = self.http.direct_request(
                    method, target, params=params, content=body, headers=hdrs, timeout=per_request
                )
                response = await self.http.send_direct(request, stream=stream)
            except httpx.TransportError as exc:
                last_error = errors.TransientError(
                    "connection to OneDrive failed",
                    path=path,
                    detail=f"{type(exc).__name__}: {exc}",
                )
                self.pacer.failure(retrying=attempt < attempts)
                continue
            status = response.status_code
            if status == 401:
                await response.aread()  # a short error body, read even when streaming
                if "Unable to initialize RPS" in response.text:
                    # A passing glitch of Microsoft's sign-in backend, not a bad token (nor a
                    # dead upload URL, where 401 is accepted): retry.
                    await response.aclose()
                    last_error = map_error(response, path)
                    self.pacer.failure(retrying=attempt < attempts)
                    continue
            if status < 400 or status in accept:
                self.pacer.success()
                return response
            if stream:
                await response.aread()
                await response.aclose()
            if status == 401 and auth:
                last_error = map_error(response, path)
                await self._fresh_token(token)  # raises when the refresh is refused
                if not refreshed:
                    attempt -= 1  # the first refresh is not a failed attempt
                refreshed = True
                continue
            error = map_error(response, path)
            if status not in RETRY_STATUSES:
                raise error
            last_error = error
            wait = retry_after(response) if status in (429, 503) else None
            self.pacer.failure(wait, retrying=attempt < attempts)
        assert last_error is not None
        raise last_error

    async def get_json(
        self, url: str, *, params: Mapping[str, str] | None = None, path: str | None = None
    ) -> dict[str, Any]:
        """GET a Graph resource as a dict."""
        response = await self.request("GET", url, params=params, path=path)
        return _json(response)

    async def send_json(
        self,
        method: str,
        url: str,
        body: Any = None,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        path: str | None = None,
    ) -> dict[str, Any]:
        """Send a JSON body and return the JSON answer (``{}`` for an empty one)."""
        response = await self.request(
            method, url, json=body, params=params, headers=headers, path=path
        )
        return _json(response)

    def pages(
        self, url: str, *, params: Mapping[str, str] | None = None, path: str | None = None
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """The ``value`` of each page of a collection as dicts (see ``decoded_pages``)."""
        return self.decoded_pages(url, dict_page, params=params, path=path)

    async def decoded_pages(
        self,
        url: str,
        decode: PageDecoder[T],
        *,
        params: Mapping[str, str] | None = None,
        path: str | None = None,
    ) -> AsyncIterator[list[T]]:
        """The values of each page of a collection, following ``@odata.nextLink`` verbatim.

        ``decode`` turns a page's body into its values and next link. The next page is
        requested as soon as this one is decoded, so the service prepares it, and its bytes
        travel, while the caller converts this one. An empty page ends the collection.
        """

        async def fetch(target: str, query: Mapping[str, str] | None) -> PageOf[T]:
            response = await self.request("GET", target, params=query, path=path)
            return decode(response.content)

        pending: asyncio.Task[PageOf[T]] | None = asyncio.ensure_future(fetch(url, params))
        try:
            while pending is not None:
                values, next_url = await pending
                pending = None
                if not values:
                    return
                if next_url:
                    pending = asyncio.ensure_future(fetch(next_url, None))
                yield values
        finally:
            if pending is not None:
                await settle(pending)

    async def aclose(self) -> None:
        await self.http.aclose()


def _json(response: httpx.Response) -> dict[str, Any]:
    return _json_body(response.content)


def _json_body(content: bytes) -> dict[str, Any]:
    if not content:
        return {}
    try:
        data = jsonlib.loads(content)
    except ValueError as exc:
        raise errors.TransientError("OneDrive sent a malformed answer", detail=str(exc)) from exc
    return data if isinstance(data, dict) else {"value": data}


def dict_page(content: bytes) -> PageOf[dict[str, Any]]:
    """A collection page as dicts (``value``) and its next link."""
    page = _json_body(content)
    values = page.get("value") or []
    next_url = page.get("@odata.nextLink")
    return values, next_url if isinstance(next_url, str) and next_url else None


async def maybe_await(value: Awaitable[Any] | Any) -> Any:
    """Await ``value`` if it is awaitable (callbacks may be sync or async)."""
    if inspect.isawaitable(value):
        return await value
    return value
