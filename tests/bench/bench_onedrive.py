"""OneDrive backend figures against the TLS Graph emulator.

Run: python3 -m uv run python tests/bench/bench_onedrive.py [--size-mib 1024] [--entries 100000]
     [--flavour business] [--chunk-mib 10]

Prints one JSON object: seconds to list a folder of ``--entries`` entries through
``OneDriveBackend.list``; upload and download MiB/s of a ``--size-mib`` file read from a local
file (``LocalBackend``) with its hash checked on both ways; and the client's RSS during the
upload, sampled every 5 ms, against the RSS just before it (the growth should stay near
two fragments, not the file size). The emulator runs in a child process so it is charged
neither to the client's time nor to its memory. ``--trace-memory`` also reports the peak
of memory held by Python objects during the upload (RSS adds the allocator's slack).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import multiprocessing as mp
import os
import tempfile
import threading
import time
import tracemalloc
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

import psutil

MIB = 1024 * 1024
CLIENT_ID = "00000000-0000-0000-0000-00000000c0de"


def _serve(queue: mp.Queue[Any], stop: Event, flavour: str, entries: int) -> None:
    from core.emulator import Emulator, EmulatorConfig, start_server

    emulator = Emulator(
        EmulatorConfig(flavour=flavour, quota_total=64 * 1024**3, access_token_lifetime=86400)  # type: ignore[arg-type]
    )
    emulator.add_files("big", entries)
    server = start_server(emulator)
    token = emulator.issue_tokens(client_id=CLIENT_ID, base_url=server.base_url)["access_token"]
    queue.put(
        {
            "graph_url": server.graph_url,
            "authority": server.authority,
            "ca": str(server.ca_bundle),
            "drive_id": emulator.drive_id,
            "drive_type": emulator.drive.drive_type,
            "token": token,
        }
    )
    stop.wait()
    server.stop()
    emulator.close()


class StaticTokens:
    def __init__(self, token: str) -> None:
        self.token = token

    async def access_token(self, *, force_refresh: bool = False) -> str:
        return self.token


class RssSampler:
    """Peak RSS of this process while running, sampled from a thread."""

    def __init__(self, every: float = 0.005) -> None:
        self.every = every
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._me = psutil.Process()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._me.memory_info().rss)
            self._stop.wait(self.every)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _make_file(path: Path, size: int) -> None:
    block = 8 * MIB
    with open(path, "wb") as f:
        for start in range(0, size, block):
            f.write(os.urandom(min(block, size - start)))


async def _run(info: dict[str, Any], args: argparse.Namespace, source: Path) -> dict[str, Any]:
    from core.backend import WriteRequest
    from core.backends.local import LocalBackend
    from core.backends.onedrive.backend import OneDriveBackend
    from core.hashing import hash_file

    size = source.stat().st_size
    options = {
        "client_id": CLIENT_ID,
        "graph_url": info["graph_url"],
        "authority": info["authority"],
        "ca_bundle": info["ca"],
        "drive_id": info["drive_id"],
        "drive_type": info["drive_type"],
        "chunk_size": args.chunk_mib * MIB,
    }
    od = OneDriveBackend("bench", options, StaticTokens(info["token"]))
    local = LocalBackend()
    expected = await asyncio.to_thread(hash_file, source)
    try:
        await od.stat("/")  # TLS handshake and imports out of the way
        gc.collect()
        me = psutil.Process()
        rss_before = me.memory_info().rss

        def read_source(offset: int) -> Any:
            return local.open_read(str(source), offset)

        if args.trace_memory:
            tracemalloc.start()
        started = time.perf_counter()
        with RssSampler() as sampler:
            entry = await od.write("/big.bin", read_source, WriteRequest(size))
        upload_seconds = time.perf_counter() - started
        traced_peak = tracemalloc.get_traced_memory()[1] if args.trace_memory else None
        tracemalloc.stop()
        assert entry.size == size and entry.hashes.get("quickxor") == expected

        started = time.perf_counter()
        received = 0
        async for chunk in od.open_read("/big.bin"):  # hash verified by the backend
            received += len(chunk)
        download_seconds = time.perf_counter() - started
        assert received == size

        started = time.perf_counter()
        listed = pages = 0
        async for page in od.list("/big"):
            listed += len(page)
            pages += 1
        list_seconds = time.perf_counter() - started
        assert listed == args.entries
    finally:
        await od.close()
    chunk = args.chunk_mib * MIB
    growth = sampler.peak - rss_before
    return {
        "flavour": args.flavour,
        "cpu_count": os.cpu_count(),
        "listing": {
            "entries": listed,
            "pages": pages,
            "seconds": round(list_seconds, 2),
            "entries_per_s": round(listed / list_seconds),
        },
        "upload": {
            "bytes": size,
            "fragment_bytes": chunk,
            "seconds": round(upload_seconds, 2),
            "mib_per_s": round(size / MIB / upload_seconds, 1),
        },
        "download": {
            "bytes": received,
            "seconds": round(download_seconds, 2),
            "mib_per_s": round(received / MIB / download_seconds, 1),
        },
        "upload_rss_mib": {
            "before": round(rss_before / MIB, 1),
            "peak": round(sampler.peak / MIB, 1),
            "growth": round(growth / MIB, 1),
            "growth_in_fragments": round(growth / chunk, 2),
            # Bytes Python objects held at most (--trace-memory; slows the upload down).
            "python_peak_in_fragments": (
                round(traced_peak / chunk, 2) if traced_peak is not None else None
            ),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--flavour", choices=("personal", "business"), default="business")
    parser.add_argument("--chunk-mib", type=int, default=10)
    parser.add_argument("--trace-memory", action="store_true")
    args = parser.parse_args()
    if (args.chunk_mib * MIB) % (320 * 1024):
        parser.error("--chunk-mib must give a multiple of 320 KiB (use a multiple of 5)")
    context = mp.get_context("spawn")
    queue: mp.Queue[Any] = context.Queue()
    stop = context.Event()
    child = context.Process(target=_serve, args=(queue, stop, args.flavour, args.entries))
    child.start()
    try:
        with tempfile.TemporaryDirectory(prefix="skypane-bench-") as tmp:
            source = Path(tmp) / "source.bin"
            _make_file(source, args.size_mib * MIB)
            info = queue.get(timeout=300)
            figures = asyncio.run(_run(info, args, source))
    finally:
        stop.set()
        child.join(timeout=60)
        if child.is_alive():
            child.terminate()
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
