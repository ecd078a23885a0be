"""The Graph client and its pacer, over an in-process transport and virtual time."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from core import __version__, errors
from core.backends.onedrive.graph import GraphClient, map_error
from core.backends.onedrive.http import make_http_client
from core.backends.onedrive.pacer import Pacer
from tests.onedrive.vtime import VirtualTime

BASE = "https://graph.test/v1.0"


class Tokens:
    """Hands out ``t1``, ``t2``… ; a forced refresh moves to the next one."""

    def __init__(self, fail_refresh: bool = False) -> None:
        self.n = 1
        self.refreshes = 0
        self.fail_refresh = fail_refresh

    async def access_token(self, *, force_refresh: bool = False) -> str:
        if force_refresh:
            if self.fail_refresh:
                raise errors.AuthenticationRequired("signed out")
            self.refreshes += 1
            self.n += 1
        return f"t{self.n}"


def graph_error(status: int, code: str, inner: str | None = None, **headers: str) -> httpx.Response:
    err: dict[str, Any] = {"code": code, "message": f"{code} happened"}
    if inner:
        err["innerError"] = {"code": inner, "request-id": "r"}
    return httpx.Response(status, json={"error": err}, headers=headers)


def client(
    handler: Callable[[httpx.Request], Any], vt: VirtualTime | None = None, **kw: Any
) -> GraphClient:
    http = make_http_client(transport=httpx.MockTransport(handler))
    # Without virtual time: a pacer that never spaces calls, so nothing waits.
    pacer = Pacer(clock=vt.clock, sleep=vt.sleep) if vt else Pacer(min_sleep=0.0)
    return GraphClient(BASE, kw.pop("tokens", Tokens()), http=http, pacer=pacer, **kw)


async def test_sends_bearer_and_isv_user_agent() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"id": "x"})

    g = client(handler)
    assert await g.get_json("me/drive") == {"id": "x"}
    assert str(seen[0].url) == f"{BASE}/me/drive"
    assert seen[0].headers["Authorization"] == "Bearer t1"
    assert seen[0].headers["User-Agent"] == f"ISV|skypane|skypane/{__version__}"


async def test_user_agent_override() -> None:
    seen: list[httpx.Request] = []
    g = client(lambda r: seen.append(r) or httpx.Response(200), user_agent="NONISV|acme|x/1")
    await g.request("GET", "me/drive")
    assert seen[0].headers["User-Agent"] == "NONISV|acme|x/1"


async def test_pre_authenticated_urls_get_no_authorization_header() -> None:
    seen: list[httpx.Request] = []
    g = client(lambda r: seen.append(r) or httpx.Response(200))
    await g.request("PUT", "https://up.test/session/1", content=b"abc", auth=False)
    assert "Authorization" not in seen[0].headers
    assert str(seen[0].url) == "https://up.test/session/1"


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (graph_error(404, "itemNotFound"), errors.NotFound),
        (graph_error(409, "nameAlreadyExists"), errors.AlreadyExists),
        (graph_error(403, "accessDenied"), errors.PermissionDenied),
        (graph_error(423, "resourceLocked"), errors.PermissionDenied),
        (graph_error(400, "invalidRequest", "invalidPath"), errors.InvalidName),
        (graph_error(400, "invalidRequest", "pathIsTooLong"), errors.PathTooLong),
        (graph_error(400, "invalidRequest", "maxFileSizeExceeded"), errors.FileTooLarge),
        (graph_error(507, "quotaLimitReached"), errors.QuotaExceeded),
        (graph_error(501, "notSupported"), errors.Unsupported),
        (graph_error(401, "InvalidAuthenticationToken"), errors.AuthenticationRequired),
        (graph_error(429, "activityLimitReached", **{"Retry-After": "5"}), errors.Throttled),
        (graph_error(503, "serviceNotAvailable"), errors.TransientError),
        (graph_error(400, "invalidRequest"), errors.SkypaneError),
    ],
)
def test_graph_errors_map_onto_core_errors(response: httpx.Response, expected: type) -> None:
    error = map_error(response, "/a.txt")
    assert type(error) is expected
    code = response.json()["error"]["code"]
    assert error.detail is not None
    assert code in error.detail and f"{code} happened" in error.detail
    assert error.path == "/a.txt"


def test_inner_error_spelling_is_case_insensitive_and_nested() -> None:
    body = {
        "error": {
            "code": "invalidRequest",
            "message": "m",
            "innererror": {"code": "x", "innerError": {"code": "pathIsTooLong"}},
        }
    }
    error = map_error(httpx.Response(400, json=body))
    assert isinstance(error, errors.PathTooLong)
    assert error.detail == "HTTP 400 invalidRequest/x/pathIsTooLong: m"


def test_throttled_carries_retry_after() -> None:
    error = map_error(graph_error(429, "activityLimitReached", **{"Retry-After": "12"}))
    assert isinstance(error, errors.Throttled) and error.retry_after == 12


async def test_server_errors_retry_with_doubling_backoff_then_give_up() -> None:
    vt = VirtualTime()
    calls: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(vt.now)
        return graph_error(503, "serviceNotAvailable")

    g = client(handler, vt)
    (outcome,) = await vt.run(_capture(g.request("GET", "me/drive")))
    assert isinstance(outcome, errors.TransientError)
    assert len(calls) == 10  # bounded attempts
    gaps = [round(b - a, 3) for a, b in itertools.pairwise(calls)]
    assert gaps[:4] == [0.02, 0.04, 0.08, 0.16]
    assert max(gaps) == 2.0  # capped
    assert g.pacer.retry_count == 9


async def test_success_after_transient_failures() -> None:
    vt = VirtualTime()
    answers = [graph_error(502, "x"), graph_error(504, "x"), httpx.Response(200, json={"ok": 1})]
    g = client(lambda r: answers.pop(0), vt)
    (result,) = await vt.run(g.get_json("me/drive"))
    assert result == {"ok": 1}


async def test_transport_errors_are_retried() -> None:
    vt = VirtualTime()
    attempts = []

    def handler(request: httpx.Request) -> httpx.Response:
        attempts.append(1)
        if len(attempts) < 3:
            raise httpx.ReadError("connection reset")
        return httpx.Response(200, json={})

    g = client(handler, vt)
    await vt.run(g.get_json("me/drive"))
    assert len(attempts) == 3


async def test_insufficient_storage_is_fatal_at_once() -> None:
    calls = []
    g = client(lambda r: calls.append(1) or graph_error(507, "quotaLimitReached"))
    with pytest.raises(errors.QuotaExceeded):
        await g.request("POST", "x")
    assert len(calls) == 1


async def test_not_found_is_not_retried() -> None:
    calls = []
    g = client(lambda r: calls.append(1) or graph_error(404, "itemNotFound"))
    with pytest.raises(errors.NotFound):
        await g.request("GET", "x", path="/x")
    assert len(calls) == 1


async def test_accepted_statuses_are_returned_to_the_caller() -> None:
    g = client(lambda r: graph_error(416, "invalidRange", "fragmentOverlap"))
    response = await g.request("PUT", "https://up.test/s", auth=False, accept=(416,))
    assert response.status_code == 416


async def test_expired_token_is_refreshed_once_and_retried() -> None:
    tokens = Tokens()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.headers["Authorization"] == "Bearer t1":
            return graph_error(401, "InvalidAuthenticationToken")
        return httpx.Response(200, json={"ok": True})

    g = client(handler, tokens=tokens)
    assert await g.get_json("me/drive") == {"ok": True}
    assert tokens.refreshes == 1


async def test_a_token_expiring_again_after_its_refresh_is_refreshed_again() -> None:
    tokens = Tokens()

    def handler(request: httpx.Request) -> httpx.Response:
        # t1 and t2 expire (other requests in flight, a revocation); t3 is good.
        if request.headers["Authorization"] in ("Bearer t1", "Bearer t2"):
            return graph_error(401, "InvalidAuthenticationToken")
        return httpx.Response(200, json={"ok": True})

    g = client(handler, tokens=tokens)
    assert await g.get_json("me/drive") == {"ok": True}
    assert tokens.refreshes == 2


async def test_a_refused_refresh_ends_the_request_at_once() -> None:
    tokens = Tokens(fail_refresh=True)
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["Authorization"])
        return graph_error(401, "InvalidAuthenticationToken")

    g = client(handler, tokens=tokens)
    with pytest.raises(errors.AuthenticationRequired):
        await g.get_json("me/drive")
    assert seen == ["Bearer t1"]


async def test_every_fresh_token_refused_ends_after_the_pacers_attempts() -> None:
    tokens = Tokens()
    g = client(lambda r: graph_error(401, "InvalidAuthenticationToken"), tokens=tokens)
    with pytest.raises(errors.AuthenticationRequired):
        await g.get_json("me/drive")
    assert tokens.refreshes == g.pacer.max_attempts + 1  # the first refresh is free


async def test_concurrent_401s_share_one_refresh() -> None:
    vt = VirtualTime()
    tokens = Tokens()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.headers["Authorization"] == "Bearer t1":
            return graph_error(401, "InvalidAuthenticationToken")
        return httpx.Response(200, json={})

    g = client(handler, vt, tokens=tokens)
    await vt.run(*(g.get_json(f"items/{i}") for i in range(5)))
    assert tokens.refreshes == 1


async def test_dead_sign_in_asks_the_application_then_continues() -> None:
    tokens = Tokens(fail_refresh=True)
    asked: list[str] = []

    async def hook(remote: str) -> bool:
        asked.append(remote)
        tokens.fail_refresh = False
        tokens.n = 9  # the user signed in again
        return True

    def handler(request: httpx.Request) -> httpx.Response:
        if request.headers["Authorization"] == "Bearer t9":
            return httpx.Response(200, json={})
        return graph_error(401, "InvalidAuthenticationToken")

    g = client(handler, tokens=tokens, on_auth_required=hook, remote="work")
    await g.get_json("me/drive")
    assert asked == ["work"]


async def test_retry_after_is_honoured_exactly_and_shared_by_other_requests() -> None:
    vt = VirtualTime()
    log: list[tuple[str, float]] = []
    throttled = {"done": False}

    def handler(request: httpx.Request) -> httpx.Response:
        log.append((request.url.path, vt.now))
        if request.url.path.endswith("/a") and not throttled["done"]:
            throttled["done"] = True
            return graph_error(429, "activityLimitReached", **{"Retry-After": "7"})
        return httpx.Response(200, json={})

    g = client(handler, vt)
    states = []
    g.pacer.add_listener(states.append)
    await vt.run(g.get_json("a"), g.get_json("b"), g.get_json("c"))
    first = log[0]
    assert first == ("/v1.0/a", 0.0)
    later = log[1:]
    assert len(later) == 3
    assert all(t >= 7.0 for _, t in later)  # b and c waited for a's Retry-After too
    assert states[0].throttled_until == 7.0
    assert g.pacer.state.throttled_until is None  # gate open again


async def test_throttling_storm_every_request_completes_and_none_jumps_the_gate() -> None:
    vt = VirtualTime()
    gate = {"until": 0.0, "throttles": 0}
    violations: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if vt.now < gate["until"]:
            violations.append(vt.now)
        if gate["throttles"] < 6:
            gate["throttles"] += 1
            gate["until"] = vt.now + 3
            return graph_error(429, "activityLimitReached", **{"Retry-After": "3"})
        return httpx.Response(200, json={"ok": 1})

    g = client(handler, vt)
    results = await vt.run(*(g.get_json(f"item/{i}") for i in range(20)))
    assert results == [{"ok": 1}] * 20
    assert violations == []
    assert vt.now >= 18  # six sequential Retry-After windows of 3 s


async def test_pages_follow_next_link_verbatim() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        if "skiptoken" in str(request.url):
            return httpx.Response(200, json={"value": [{"n": 2}]})
        return httpx.Response(
            200,
            json={"value": [{"n": 1}], "@odata.nextLink": f"{BASE}/x/children?$skiptoken=abc%3D"},
        )

    g = client(handler)
    pages = [p async for p in g.pages("x/children", params={"$top": "1"})]
    assert pages == [[{"n": 1}], [{"n": 2}]]
    assert seen[1] == f"{BASE}/x/children?$skiptoken=abc%3D"


async def test_the_next_page_is_requested_while_this_one_is_converted() -> None:
    import asyncio

    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        n = len(seen)
        body: dict[str, Any] = {"value": [n]}
        if n < 3:
            body["@odata.nextLink"] = f"{BASE}/x/children?$skiptoken={n}"
        return httpx.Response(200, json=body)

    def decode(content: bytes) -> tuple[list[int], str | None]:
        page = json.loads(content)
        return page["value"], page.get("@odata.nextLink")

    g = client(handler)
    requested_while_converting: list[int] = []
    async for values in g.decoded_pages("x/children", decode):
        for _ in range(1000):  # the consumer works (and yields) on this page...
            if len(seen) > values[0] or values[0] == 3:
                break
            await asyncio.sleep(0)
        requested_while_converting.append(len(seen))  # ...the next one is already asked for
    assert requested_while_converting == [2, 3, 3]
    await g.aclose()


async def test_json_body_is_sent_with_content_type() -> None:
    seen: list[httpx.Request] = []
    g = client(lambda r: seen.append(r) or httpx.Response(201, json={"id": "n"}))
    assert await g.send_json("POST", "x/children", {"name": "d"}) == {"id": "n"}
    assert json.loads(seen[0].content) == {"name": "d"}
    assert seen[0].headers["Content-Type"] == "application/json"


def test_unreadable_ca_bundle_is_a_config_error(tmp_path) -> None:
    with pytest.raises(errors.ConfigError, match="CA bundle"):
        make_http_client(ca_bundle=str(tmp_path / "missing.pem"))


async def _capture(aw: Any) -> Any:
    try:
        return await aw
    except errors.SkypaneError as exc:
        return exc


async def test_requests_go_straight_to_the_stack_as_the_client_would_build_them() -> None:
    # The Graph client hands its requests to the transport itself (AsyncClient.send's auth
    # flow, redirect loop, cookie jar and hooks cost ~145 µs a request and do nothing for
    # it): the request must still carry what build_request would give it, and the answer
    # be decoded as send would.
    import gzip

    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        body = gzip.compress(json.dumps({"id": "x", "name": "é"}).encode())
        headers = {"Content-Encoding": "gzip", "Set-Cookie": "a=b; Path=/"}
        return httpx.Response(200, content=body, headers=headers)

    hooked: list[httpx.Request] = []

    async def hook(request: httpx.Request) -> None:
        hooked.append(request)

    http = make_http_client(transport=httpx.MockTransport(handler), timeout=httpx.Timeout(7.0))
    http.event_hooks = {"request": [hook], "response": []}  # run by AsyncClient.send only
    graph = GraphClient(BASE, Tokens(), http=http, pacer=Pacer(min_sleep=0.0))
    got = await graph.get_json("drives/d/items/x", params={"$select": "id,name"})
    assert got == {"id": "x", "name": "é"}
    assert hooked == []  # not through AsyncClient.send
    (request,) = seen
    assert request.url == httpx.URL(f"{BASE}/drives/d/items/x?%24select=id%2Cname")
    assert request.headers["Authorization"] == "Bearer t1"
    assert request.headers["User-Agent"].startswith("ISV|skypane|")
    assert request.headers["Accept-Encoding"] == http.headers["Accept-Encoding"]
    assert request.extensions["timeout"] == httpx.Timeout(7.0).as_dict()
    assert not http.cookies  # nothing kept from the answer
    response = await graph.request("GET", "x", timeout=3.0)
    assert seen[-1].extensions["timeout"] == httpx.Timeout(3.0).as_dict()
    assert response.request is seen[-1] and response.is_closed
    await graph.aclose()
    with pytest.raises(RuntimeError, match="closed"):  # no new session behind a closed client
        await graph.request("GET", "x")
    assert len(seen) == 2
