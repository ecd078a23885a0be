"""Spacing of requests: Graph calls keep the pacer's spacing, transfers to pre-authenticated
URLs skip it while all is well, and honour the gate and the back-off like everyone else."""

from __future__ import annotations

import httpx

from core.backends.onedrive.graph import GraphClient
from core.backends.onedrive.http import make_http_client
from core.backends.onedrive.pacer import Pacer
from tests.onedrive.vtime import VirtualTime

BASE = "https://graph.test/v1.0"
DL = "https://dl.test/file"


class Tokens:
    async def access_token(self, *, force_refresh: bool = False) -> str:
        return "t"


def client(handler, vt: VirtualTime) -> GraphClient:
    http = make_http_client(transport=httpx.MockTransport(handler))
    return GraphClient(BASE, Tokens(), http=http, pacer=Pacer(clock=vt.clock, sleep=vt.sleep))


async def test_graph_calls_are_spaced_but_downloads_are_not() -> None:
    vt = VirtualTime()
    seen: list[tuple[str, float]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.url.host, vt.now))
        return httpx.Response(200, json={})

    g = client(handler, vt)
    await vt.run(*(g.request("GET", DL, auth=False) for _ in range(5)))
    assert [t for _, t in seen] == [0.0] * 5
    await vt.run(*(g.request("GET", "me/drive") for _ in range(3)))
    graph_times = [t for host, t in seen if host == "graph.test"]
    assert graph_times == [0.0, 0.01, 0.02]


async def test_downloads_wait_for_the_gate_and_follow_the_back_off() -> None:
    vt = VirtualTime()
    seen: list[tuple[str, float]] = []
    answers = iter([429, 200, 200, 200, 200, 200])

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.url.path, vt.now))
        status = next(answers)
        if status == 429:
            return httpx.Response(429, headers={"Retry-After": "5"}, json={"error": {}})
        return httpx.Response(200, json={})

    g = client(handler, vt)
    await vt.run(g.request("GET", "me/drive"))  # throttled once, then answered at t=5
    assert seen[-1][1] >= 5.0
    # Backing off (sleep doubled by the failure): pre-authenticated requests are spaced too.
    await vt.run(*(g.request("GET", DL, auth=False) for _ in range(3)))
    times = [t for path, t in seen if path == "/file"]
    assert times[1] > times[0] and times[2] > times[1]
    assert all(t >= 5.0 for t in times)
