"""Client CPU of the HTTP stacks skypane could run its OneDrive traffic on, side by side.

Run: python3 -m uv run python tests/bench/bench_http.py [--stacks S,...] [--modes direct,proxy]
     [--work small_get,small_put,big_get,big_put] [--runs 3] [--files 1000] [--big-mib 256]

Stacks (each an ``httpx.AsyncClient`` driven the way the Graph client and the transfer
engine drive it: ``build_request`` + ``send(stream=True)`` + ``aiter_bytes``; uploads as an
async generator of pieces with a Content-Length):

* ``skypane``: what ``core.backends.onedrive.http.make_http_client`` builds today (aiohttp
  under httpx through ``AiohttpStack``, the proxy chosen by ``ProxyPolicy``);
* ``skypane-direct``: the same client, each request handed straight to its stack as the
  Graph client does (``StackClient.direct_request`` + ``send_direct``: no auth flow,
  redirect loop, cookie jar or event hooks);
* ``httpx``: httpx's default transport (httpcore's pool and h11 on anyio);
* ``aiohttp``: ``httpx_aiohttp.AiohttpTransport`` as shipped (0.2.0), on an
  ``aiohttp.ClientSession(trust_env=True)`` (the ``bench`` dependency group);
* ``aiohttp-raw``: no httpx at all: an ``aiohttp.ClientSession`` with the same TLS context
  and pool limits, called directly (what httpx's layer costs on top of aiohttp);
* ``httpcore-asyncio``: an ``httpcore.AsyncConnectionPool`` with ``network_backend=`` the
  asyncio backend of the old ``aionet`` module, given to httpx as ``transport=``;
* any of them with ``+uvloop`` (``skypane+uvloop``): the same on uvloop's event loop.
* ``lean``: the old hand-written pool (``h1pool`` + ``aionet``) under httpx.

``lean`` and ``httpcore-asyncio`` need ``aionet.py``/``h1pool.py``, deleted once the choice
was made: they are skipped where those modules are gone (check out the commit before
"Graph, the drive finder and msal on the one stack; h1pool.py and aionet.py go" to
measure them again).

Work: ``small_get``/``small_put`` are FILES requests of 16 KiB, 4 at a time (the engine's
default transfers); ``big_get``/``big_put`` move BIG_MIB over one connection (uploads in
10 MiB fragments, as upload sessions do). Figures are per 1,000 files and per GiB.

The server (HTTP/1.1 over TLS, Content-Length bodies, keep-alive) and the CONNECT proxy run
in a process of their own; each measurement is a fresh client process, and its CPU is
user+sys from ``getrusage`` around the work only (imports and start-up excluded). Runs are
interleaved (every stack once, then again), min and median printed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import json
import os
import resource
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.connect_proxy import ConnectProxy  # noqa: E402

KIB = 1024
MIB = 1024 * KIB
STACKS = (
    "skypane",
    "skypane-direct",
    "httpx",
    "aiohttp",
    "aiohttp-raw",
    "httpcore-asyncio",
    "lean",
)
WORK = ("small_get", "small_put", "big_get", "big_put")
SMALL = 16 * KIB
CONCURRENCY = 4
FRAGMENT = 10 * MIB
PIECE = 1 * MIB


# -- the server process -----------------------------------------------------------------


async def _serve_http(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    small = b"s" * SMALL
    block = b"b" * (256 * KIB)
    with contextlib.suppress(Exception):
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.split(b"\r\n")
            method, target, _ = lines[0].split(b" ", 2)
            length = 0
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            while length > 0:
                got = await reader.read(min(length, 1024 * KIB))
                if not got:
                    return
                length -= len(got)
            if method == b"GET" and target.startswith(b"/big/"):
                size = int(target.rsplit(b"/", 1)[1])
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % size)
                while size > 0:
                    piece = block[: min(size, len(block))]
                    writer.write(piece)
                    size -= len(piece)
                    await writer.drain()
            elif method == b"GET":
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%b" % (SMALL, small))
            else:
                body = b'{"id":"x"}'
                writer.write(
                    b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n"
                    b"Content-Length: %d\r\n\r\n%b" % (len(body), body)
                )
            await writer.drain()
    writer.close()


def serve(cert_dir: str) -> None:
    """Child process: the TLS server and the proxy, until stdin closes."""

    async def main() -> None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(os.path.join(cert_dir, "server.pem"))
        server = await asyncio.start_server(_serve_http, "127.0.0.1", 0, ssl=context)
        with ConnectProxy() as proxy:  # on a thread of this process, not the client's
            ports = {"port": server.sockets[0].getsockname()[1], "proxy": proxy.port}
            print(json.dumps(ports), flush=True)
            await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)

    asyncio.run(main())


# -- the stacks -----------------------------------------------------------------------


def make_client(stack: str, ca: str, proxy: str | None) -> Any:
    import httpx

    from core.tls import tls_context

    context = tls_context(ca)
    limits = httpx.Limits(max_connections=32, max_keepalive_connections=16, keepalive_expiry=60)
    if stack in ("skypane", "skypane-direct"):
        from core.backends.onedrive.http import make_http_client

        return make_http_client(ca_bundle=ca)
    if stack in ("httpx", "lean"):
        client = httpx.AsyncClient(verify=context, limits=limits, trust_env=True)
        if stack == "lean":
            from core.backends.onedrive import aionet  # type: ignore[attr-defined]

            assert aionet.install(client, context, limits)
        return client
    if stack == "aiohttp-raw":
        import aiohttp

        connector = aiohttp.TCPConnector(ssl=context, limit=32, keepalive_timeout=60)
        return aiohttp.ClientSession(connector=connector, proxy=proxy)
    if stack == "aiohttp":
        import aiohttp
        from httpx_aiohttp import AiohttpTransport

        def session() -> aiohttp.ClientSession:
            connector = aiohttp.TCPConnector(ssl=context, limit=32, keepalive_timeout=60)
            return aiohttp.ClientSession(connector=connector, trust_env=True)

        return httpx.AsyncClient(transport=AiohttpTransport(client=session), trust_env=False)
    if stack == "httpcore-asyncio":
        import httpcore

        from core.backends.onedrive import aionet  # type: ignore[attr-defined]

        backend = aionet.AsyncioBackend()
        pool: Any
        if proxy:
            pool = httpcore.AsyncHTTPProxy(
                proxy_url=proxy, ssl_context=context, network_backend=backend, max_connections=32
            )
        else:
            pool = httpcore.AsyncConnectionPool(
                ssl_context=context, network_backend=backend, max_connections=32
            )
        return httpx.AsyncClient(transport=_CoreTransport(pool), trust_env=False)
    raise SystemExit(f"unknown stack {stack!r}")


def _core_transport_base() -> type:
    import httpx

    return httpx.AsyncBaseTransport


class _CoreTransport(_core_transport_base()):  # type: ignore[misc]
    """httpcore's pool behind httpx through public API (no error mapping: bench only)."""

    def __init__(self, pool: Any) -> None:
        self._pool = pool

    async def handle_async_request(self, request: Any) -> Any:
        import httpcore
        import httpx

        url = request.url
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        response = await self._pool.handle_async_request(core_request)

        class Stream(httpx.AsyncByteStream):
            async def __aiter__(self) -> AsyncIterator[bytes]:
                async for part in response.stream:
                    yield part

            async def aclose(self) -> None:
                await response.aclose()

        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=Stream(),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self._pool.aclose()


# -- the client process ---------------------------------------------------------------


async def run_work(stack: str, work: str, base: str, ca: str, files: int, big: int) -> None:
    proxy = os.environ.get("HTTPS_PROXY")
    client = make_client(stack, ca, proxy)
    small = b"u" * SMALL

    async def get(url: str) -> int:
        if stack == "aiohttp-raw":
            async with client.get(url) as raw:
                got = 0
                while data := await raw.content.readany():
                    got += len(data)
                assert raw.status == 200, raw.status
                return got
        if stack == "skypane-direct":
            response = await client.send_direct(client.direct_request("GET", url), stream=True)
        else:
            response = await client.send(client.build_request("GET", url), stream=True)
        got = 0
        try:
            async for data in response.aiter_bytes():
                got += len(data)
        finally:
            await response.aclose()
        assert response.status_code == 200, response.status_code
        return got

    async def put(url: str, size: int) -> None:
        async def pieces() -> AsyncIterator[bytes]:
            piece = b"p" * PIECE
            left = size
            while left > 0:
                yield piece[: min(left, PIECE)]
                left -= PIECE

        body: Any = small if size == SMALL else pieces()
        if stack == "aiohttp-raw":
            headers = {"Content-Length": str(size)}
            async with client.put(url, data=body, headers=headers) as raw:
                await raw.read()
                assert raw.status == 201, raw.status
            return
        if stack == "skypane-direct":
            request = client.direct_request(
                "PUT", url, content=body, headers={"Content-Length": str(size)}
            )
            response = await client.send_direct(request)
        else:
            request = client.build_request(
                "PUT", url, content=body, headers={"Content-Length": str(size)}
            )
            response = await client.send(request)
        assert response.status_code == 201, response.status_code

    async def worker(queue: asyncio.Queue[int]) -> None:
        while not queue.empty():
            n = queue.get_nowait()
            if work == "small_get":
                assert await get(f"{base}/small/{n}") == SMALL
            else:
                await put(f"{base}/small/{n}", SMALL)

    await get(f"{base}/small/warm")  # the connection is made outside the figures
    start_cpu, start_wall = _cpu(), time.perf_counter()
    if work.startswith("small"):
        queue: asyncio.Queue[int] = asyncio.Queue()
        for n in range(files):
            queue.put_nowait(n)
        await asyncio.gather(*(worker(queue) for _ in range(CONCURRENCY)))
    elif work == "big_get":
        assert await get(f"{base}/big/{big}") == big
    else:
        left = big
        while left > 0:
            await put(f"{base}/upload", min(left, FRAGMENT))
            left -= FRAGMENT
    cpu, wall = _cpu() - start_cpu, time.perf_counter() - start_wall
    await (client.close() if stack == "aiohttp-raw" else client.aclose())
    print(json.dumps({"cpu_s": cpu, "wall_s": wall}))


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# -- the parent -----------------------------------------------------------------------


def available(stack: str) -> bool:
    stack, _, loop = stack.partition("+")
    if loop == "uvloop":
        return importlib.util.find_spec("uvloop") is not None
    if stack in ("lean", "httpcore-asyncio"):
        return (ROOT / "core/backends/onedrive/aionet.py").exists()
    return True


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--stacks", default=",".join(STACKS))
    ap.add_argument("--modes", default="direct,proxy")
    ap.add_argument("--work", default=",".join(WORK))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--big-mib", type=int, default=256)
    ap.add_argument("--serve", help=argparse.SUPPRESS)
    ap.add_argument("--client", nargs=5, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve(args.serve)
        return
    if args.client:
        stack, work, base, ca, files = args.client
        stack, _, loop = stack.partition("+")
        factory = None
        if loop == "uvloop":
            import uvloop

            factory = uvloop.new_event_loop
        with asyncio.Runner(loop_factory=factory) as runner:
            runner.run(run_work(stack, work, base, ca, int(files), args.big_mib * MIB))
        return

    import trustme

    stacks = [s for s in args.stacks.split(",") if available(s)]
    skipped = set(args.stacks.split(",")) - set(stacks)
    if skipped:
        print(f"skipped (their modules are gone): {', '.join(sorted(skipped))}")
    with tempfile.TemporaryDirectory(prefix="skypane-bench-http-") as d:
        ca = trustme.CA(organization_name="skypane bench")
        ca.issue_cert("127.0.0.1").private_key_and_cert_chain_pem.write_to_path(f"{d}/server.pem")
        ca.cert_pem.write_to_path(f"{d}/ca.pem")
        server = subprocess.Popen(
            [sys.executable, __file__, "--serve", d],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert server.stdout is not None
        ports = json.loads(server.stdout.readline())
        base = f"https://127.0.0.1:{ports['port']}"
        results: dict[tuple[str, str, str], list[dict[str, float]]] = {}
        try:
            for _ in range(args.runs):
                for work in args.work.split(","):
                    for mode in args.modes.split(","):
                        env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
                        if mode == "proxy":
                            env["HTTPS_PROXY"] = f"http://127.0.0.1:{ports['proxy']}"
                        for stack in stacks:
                            argv = [sys.executable, __file__, "--big-mib", str(args.big_mib)]
                            argv += ["--client", stack, work, base, f"{d}/ca.pem", str(args.files)]
                            out = subprocess.run(
                                argv, env=env, capture_output=True, text=True, check=False
                            )
                            if out.returncode:
                                print(f"{stack} {mode} {work} failed:\n{out.stderr[-1500:]}")
                                continue
                            figure = json.loads(out.stdout.strip().splitlines()[-1])
                            results.setdefault((work, mode, stack), []).append(figure)
        finally:
            assert server.stdin is not None
            server.stdin.close()
            server.wait(10)
    load = os.getloadavg()[0]
    print(f"\nclient CPU (user+sys), {args.runs} runs, load {load:.1f}, {os.cpu_count()} CPUs")
    print(
        f"{'work':<10} {'mode':<7} {'stack':<17} {'CPU min':>9} {'CPU median':>11} "
        f"{'wall median':>12}  unit"
    )
    for (work, mode, stack), runs in results.items():
        scale = 1000 / args.files if work.startswith("small") else 1024 / args.big_mib
        unit = "s / 1,000 files" if work.startswith("small") else "s / GiB"
        cpus = [r["cpu_s"] * scale for r in runs]
        walls = [r["wall_s"] * scale for r in runs]
        print(
            f"{work:<10} {mode:<7} {stack:<17} {min(cpus):9.3f} {statistics.median(cpus):11.3f} "
            f"{statistics.median(walls):12.3f}  {unit}"
        )


if __name__ == "__main__":
    main()
