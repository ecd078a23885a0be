"""Emulator figures: 1 GiB upload and download over TLS, listing 100,000 entries, memory.

Run: python3 -m uv run python tests/bench/bench_emulator.py [--size-mib 1024] [--entries 100000]
Prints one JSON object. The emulator runs in a child process so its RSS is its own.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import ssl
import time
from multiprocessing.synchronize import Event
from typing import Any

import httpx
import psutil

FRAGMENT = 10 * 1024 * 1024
MIB = 1024 * 1024


def _serve(queue: mp.Queue[Any], stop: Event, entries: int) -> None:
    from core.emulator import Emulator, start_server

    me = psutil.Process()
    emulator = Emulator(flavour="business")
    rss_empty = me.memory_info().rss
    started = time.perf_counter()
    emulator.add_files("big", entries)
    add_seconds = time.perf_counter() - started
    server = start_server(emulator)
    queue.put(
        {
            "base": server.base_url,
            "ca": str(server.ca_bundle),
            "token": emulator.issue_tokens()["access_token"],
            "rss_empty": rss_empty,
            "rss_with_entries": me.memory_info().rss,
            "add_seconds": add_seconds,
        }
    )
    stop.wait()
    server.stop()
    emulator.close()


def _upload(client: httpx.Client, anon: httpx.Client, size: int) -> tuple[float, str]:
    chunk = os.urandom(FRAGMENT)
    session = client.post("/me/drive/root:/big.bin:/createUploadSession", json={})
    url = session.json()["uploadUrl"]
    started = time.perf_counter()
    response = None
    for start in range(0, size, FRAGMENT):
        end = min(start + FRAGMENT, size) - 1
        response = anon.put(
            url,
            content=chunk[: end - start + 1],
            headers={"Content-Range": f"bytes {start}-{end}/{size}"},
        )
        if response.status_code not in (200, 201, 202):
            raise RuntimeError(response.text)
    assert response is not None and response.status_code == 201
    return time.perf_counter() - started, response.json()["id"]


def _download(client: httpx.Client, anon: httpx.Client, item_id: str) -> tuple[float, int]:
    location = client.get(f"/me/drive/items/{item_id}/content").headers["location"]
    started = time.perf_counter()
    received = 0
    with anon.stream("GET", location) as response:
        for piece in response.iter_raw(1024 * 1024):
            received += len(piece)
    return time.perf_counter() - started, received


def _list(client: httpx.Client) -> tuple[float, int, int]:
    started = time.perf_counter()
    url: str | None = "/me/drive/root:/big:/children?$top=1000"
    entries = pages = 0
    while url:
        body = client.get(url).json()
        entries += len(body["value"])
        pages += 1
        url = body.get("@odata.nextLink")
    return time.perf_counter() - started, entries, pages


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--entries", type=int, default=100_000)
    args = parser.parse_args()
    context = mp.get_context("spawn")
    queue: mp.Queue[Any] = context.Queue()
    stop = context.Event()
    child = context.Process(target=_serve, args=(queue, stop, args.entries))
    child.start()
    info = queue.get(timeout=120)
    server = psutil.Process(child.pid)
    verify = ssl.create_default_context(cafile=info["ca"])
    headers = {"Authorization": f"Bearer {info['token']}"}
    timeout = httpx.Timeout(120)
    try:
        with (
            httpx.Client(
                base_url=info["base"] + "/v1.0", headers=headers, verify=verify, timeout=timeout
            ) as client,
            httpx.Client(verify=verify, timeout=timeout) as anon,
        ):
            list_seconds, entries, pages = _list(client)
            rss_listed = server.memory_info().rss
            size = args.size_mib * MIB
            upload_seconds, item_id = _upload(client, anon, size)
            rss_uploaded = server.memory_info().rss
            download_seconds, received = _download(client, anon, item_id)
    finally:
        stop.set()
        child.join(timeout=30)
    assert received == size and entries == args.entries
    print(
        json.dumps(
            {
                "cpu_count": os.cpu_count(),
                "upload": {
                    "bytes": size,
                    "fragment_bytes": FRAGMENT,
                    "seconds": round(upload_seconds, 2),
                    "mib_per_s": round(size / MIB / upload_seconds, 1),
                },
                "download": {
                    "bytes": received,
                    "seconds": round(download_seconds, 2),
                    "mib_per_s": round(received / MIB / download_seconds, 1),
                },
                "listing": {
                    "entries": entries,
                    "pages": pages,
                    "top": 1000,
                    "seconds": round(list_seconds, 2),
                    "entries_per_s": round(entries / list_seconds),
                },
                "add_files_seconds": round(info["add_seconds"], 2),
                "emulator_rss_mib": {
                    "empty": round(info["rss_empty"] / MIB, 1),
                    "with_entries": round(info["rss_with_entries"] / MIB, 1),
                    "after_listing": round(rss_listed / MIB, 1),
                    "after_upload": round(rss_uploaded / MIB, 1),
                },
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
