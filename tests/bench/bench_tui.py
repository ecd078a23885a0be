"""TUI figures, measured on the real `skypane` in a pseudo-terminal, as a user would see them.

Run: python3 -m uv run python tests/bench/bench_tui.py [--entries 100000] [--local-only]

Prints one JSON object:
* ``startup_to_first_frame_s``: process start to the first frame with both panes listed.
* per folder kind (``local``, and ``remote`` on the TLS Graph emulator signed in with
  ``skypane login``): ``enter_to_first_rows_s`` (Enter pressed → the first rows of the new
  folder drawn on the terminal), ``enter_to_complete_s`` (→ "100,000 items" shown),
  ``key_to_repaint_ms`` (Down / PageDown while the 100,000 rows are shown: key written →
  the terminal's next output; median and p95), ``rss_mib`` (the app's resident memory with
  the folder open).

The app runs in its own process on a 120×36 pty; this process only writes keys and reads the
screen output. The emulator, when used, runs in a third process.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.terminal import SKYPANE, Terminal, isolated_env  # noqa: E402


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(len(ordered) * p), len(ordered) - 1)]


def measure_folder(term: Terminal, keys_before: list[str], entries: int) -> dict[str, Any]:
    for key in keys_before:
        term.press(key)
        term.drain(0.3)
    sent = term.press("enter")
    # The first page's rows and the path bar's running count ("1,000…") are drawn together.
    first_rows = term.wait_for(r"[1-9][0-9,]*…") - sent
    # The status bar shows the count when the listing is complete (the path bar counts up).
    complete = term.wait_for(f"{entries:,} items, 0 Bytes".replace(",", ",")) - sent
    term.drain(0.5)
    downs = [term.repaint_after("down") * 1000 for _ in range(60)]
    pages = [term.repaint_after("pagedown") * 1000 for _ in range(30)]
    return {
        "entries": entries,
        "enter_to_first_rows_s": round(first_rows, 3),
        "enter_to_complete_s": round(complete, 3),
        "key_to_repaint_ms": {
            "down_median": round(statistics.median(downs), 1),
            "down_p95": round(percentile(downs, 0.95), 1),
            "pagedown_median": round(statistics.median(pages), 1),
            "pagedown_p95": round(percentile(pages, 0.95), 1),
        },
        "rss_mib": round(term.rss_mib(), 1),
    }


def make_local_folder(root: Path, entries: int) -> Path:
    big = root / "big"
    big.mkdir(parents=True)
    for i in range(entries):
        (big / f"file{i:06d}.txt").touch()
    return big


def serve_emulator(queue: Any, stop: Any, entries: int) -> None:
    """In its own process: the TLS emulator with ``big/`` holding ``entries`` files."""
    from core.emulator import start_server
    from tests.emulator_fixtures import make_emulator

    emulator = make_emulator("personal", auto_approve_after=0)
    emulator.add_files("big", entries)
    server = start_server(emulator)
    queue.put(
        {
            "authority": server.authority,
            "graph_url": server.graph_url,
            "ca_bundle": str(server.ca_bundle),
        }
    )
    stop.wait()
    server.stop()
    emulator.close()


LIST_ONLY = """
import asyncio, sys, time
from core.remotes import open_backend
async def main():
    backend = open_backend(sys.argv[1])
    started, count = time.perf_counter(), 0
    async for page in backend.list(sys.argv[2]):
        count += len(page)
    print(count, time.perf_counter() - started)
    await backend.close()
asyncio.run(main())
"""


def backend_list_seconds(env: dict[str, str], remote: str, path: str) -> float:
    """The same listing without the UI: what the backend (and the emulator) take alone."""
    import subprocess

    out = subprocess.run(
        [sys.executable, "-c", LIST_ONLY, remote, path],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    ).stdout.split()
    return round(float(out[1]), 3)


def login(env: dict[str, str], info: dict[str, str]) -> None:
    import subprocess

    subprocess.run(
        [
            *SKYPANE,
            "login",
            "work",
            "--client-id",
            "12345678-abcd-4ef0-9876-0123456789ab",
            "--authority",
            info["authority"],
            "--graph-url",
            info["graph_url"],
            "--ca-bundle",
            info["ca_bundle"],
        ],
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--local-only", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="skypane-bench-"))
    result: dict[str, Any] = {"terminal": "120x36 pty", "cpu_count": os.cpu_count()}
    stop = None
    emulator_process = None
    try:
        env = isolated_env(work / "home")
        started = time.perf_counter()
        make_local_folder(work / "cwd", args.entries)
        result["local_folder_setup_s"] = round(time.perf_counter() - started, 2)
        if not args.local_only:
            ctx = mp.get_context("spawn")
            queue, stop = ctx.Queue(), ctx.Event()
            emulator_process = ctx.Process(target=serve_emulator, args=(queue, stop, args.entries))
            emulator_process.start()
            login(env, queue.get(timeout=300))

        # Start-up: process start → both panes drawn (the left pane's item count shows).
        term = Terminal(work / "cwd", env)
        try:
            term.wait_for("1 item", timeout=60)  # the left pane: one folder, "big"
            result["startup_to_first_frame_s"] = round(time.perf_counter() - term.started, 3)
            term.drain(0.5)
            result["rss_idle_mib"] = round(term.rss_mib(), 1)
            result["local"] = measure_folder(term, ["down"], args.entries)
            result["local"]["backend_alone_list_s"] = backend_list_seconds(
                env, "local", str(work / "cwd" / "big")
            )
            if emulator_process is not None:
                # The right pane opened on the remote's root, where "big" is the first row.
                result["remote"] = measure_folder(term, ["tab"], args.entries)
                result["remote"]["backend_alone_list_s"] = backend_list_seconds(env, "work", "/big")
        finally:
            term.close()
    finally:
        if stop is not None:
            stop.set()
        if emulator_process is not None:
            emulator_process.join(timeout=30)
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
