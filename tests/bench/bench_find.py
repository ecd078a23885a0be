"""Search, compare and disk-usage figures against the TLS Graph emulator.

Run: python3 -m uv run python tests/bench/bench_find.py [--files 100000] [--flavour business]

The emulator (in a child process, so its CPU is not charged to the client's time) holds
three trees of ``--files`` files each, in folders of 1,000: ``A``; ``B0``, the same files
(same sizes, same QuickXorHash); ``B1``, the same with 1 % of the files changed. Prints one
JSON object, each figure the min and median of ``--repeat`` runs with the requests made:

* search: ``core.search.search`` below ``A`` for a name found in one folder (1,000 hits) and
  for one found once in every folder (one hit per folder: a parent lookup each); time to the
  first page and to the last;
* compare: ``core.compare.compare`` of ``A`` with ``B0`` (no difference) and ``B1`` (1 %);
* du: ``core.usage.disk_usage`` of ``A`` (delta on the folder) and of the whole drive.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import statistics
import time
from collections.abc import Awaitable, Callable
from multiprocessing.synchronize import Event
from typing import Any

import httpx
from bench_onedrive import CLIENT_ID, StaticTokens  # run as a script: tests/bench is on the path

PER_FOLDER = 1000


def _serve(queue: mp.Queue[Any], stop: Event, flavour: str, files: int) -> None:
    from core.emulator import Emulator, EmulatorConfig, start_server

    emulator = Emulator(
        EmulatorConfig(flavour=flavour, quota_total=64 * 1024**3, access_token_lifetime=86400)  # type: ignore[arg-type]
    )
    folders = max(files // PER_FOLDER, 1)
    for top in ("A", "B0", "B1"):
        for k in range(folders):
            emulator.add_files(
                f"{top}/d{k:03d}", PER_FOLDER, name=f"doc-{k:03d}-{{:04d}}.txt", size=64
            )
    changed = 0
    for k in range(folders):  # 1 %: every hundredth file of B1 gets other bytes, same size
        for i in range(0, PER_FOLDER, 100):
            emulator.put_file(f"B1/d{k:03d}/doc-{k:03d}-{i:04d}.txt", b"x" * 64)
            changed += 1
    server = start_server(emulator)
    token = emulator.issue_tokens(client_id=CLIENT_ID, base_url=server.base_url)["access_token"]
    queue.put(
        {
            "graph_url": server.graph_url,
            "ca": str(server.ca_bundle),
            "drive_id": emulator.drive_id,
            "drive_type": emulator.drive.drive_type,
            "token": token,
            "changed": changed,
        }
    )
    stop.wait()
    server.stop()
    emulator.close()


async def _measure(
    repeat: int, counter: list[int], body: Callable[[], Awaitable[dict[str, Any]]]
) -> dict[str, Any]:
    times: list[float] = []
    extra: dict[str, Any] = {}
    for _ in range(repeat):
        counter[0] = 0
        started = time.perf_counter()
        extra = await body()
        times.append(time.perf_counter() - started)
        extra["requests"] = counter[0]
    return {"min_s": round(min(times), 3), "median_s": round(statistics.median(times), 3), **extra}


async def _run(info: dict[str, Any], repeat: int) -> dict[str, Any]:
    from core.backends.onedrive.backend import OneDriveBackend
    from core.backends.onedrive.http import make_http_client
    from core.compare import compare
    from core.search import search
    from core.usage import disk_usage

    counter = [0]

    async def count(request: httpx.Request) -> None:
        counter[0] += 1

    http = make_http_client(ca_bundle=info["ca"])
    http.event_hooks = {"request": [count], "response": []}
    options = {
        "client_id": CLIENT_ID,
        "graph_url": info["graph_url"],
        "ca_bundle": info["ca"],
        "drive_id": info["drive_id"],
        "drive_type": info["drive_type"],
    }
    od = OneDriveBackend("bench", options, StaticTokens(info["token"]), http=http)
    out: dict[str, Any] = {}
    try:
        await od.stat("/")

        def searching(text: str) -> Callable[[], Awaitable[dict[str, Any]]]:
            async def body() -> dict[str, Any]:
                started = time.perf_counter()
                first: float | None = None
                hits = 0
                async for page in search(od, text, "/A"):
                    first = first if first is not None else time.perf_counter() - started
                    hits += len(page)
                return {"hits": hits, "first_page_s": round(first or 0.0, 3)}

            return body

        out["search_one_folder"] = await _measure(repeat, counter, searching("doc-042-"))
        out["search_every_folder"] = await _measure(repeat, counter, searching("0042.txt"))

        def comparing(right: str) -> Callable[[], Awaitable[dict[str, Any]]]:
            async def body() -> dict[str, Any]:
                result = await compare(od, "/A", od, right)
                return {"counts": result.counts(), "folders": result.folders}

            return body

        out["compare_identical"] = await _measure(repeat, counter, comparing("/B0"))
        out["compare_1_percent"] = await _measure(repeat, counter, comparing("/B1"))

        def usage(path: str) -> Callable[[], Awaitable[dict[str, Any]]]:
            async def body() -> dict[str, Any]:
                report = await disk_usage(od, path)
                return {"files": report.root.files, "method": report.method}

            return body

        out["du_folder"] = await _measure(repeat, counter, usage("/A"))
        out["du_drive"] = await _measure(repeat, counter, usage("/"))
    finally:
        await od.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--flavour", choices=("personal", "business"), default="business")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    context = mp.get_context("spawn")
    queue: mp.Queue[Any] = context.Queue()
    stop = context.Event()
    child = context.Process(target=_serve, args=(queue, stop, args.flavour, args.files))
    child.start()
    try:
        info = queue.get(timeout=600)
        figures = asyncio.run(_run(info, args.repeat))
    finally:
        stop.set()
        child.join(timeout=60)
        if child.is_alive():
            child.terminate()
    figures.update(files_per_side=args.files, flavour=args.flavour, changed_in_B1=info["changed"])
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
