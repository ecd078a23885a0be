"""Run the test suite several times while the machine is kept busy, and print the results.

Run: python3 -m uv run --locked python tests/bench/loaded_suite.py [--runs 5] [--load 4]
        [--stress-ng] [-- PYTEST ARGS ...]

The load is ``--load`` busy Python processes (default: twice the CPU count), each spinning on
arithmetic, or with ``--stress-ng`` the ``stress-ng --cpu N`` command where it is installed.
The load starts before the first run and is stopped after the last. Each run is the README's
pytest in a fresh process; the script prints one line per run (passed, failed, errors,
seconds) and a JSON summary at the end. Anything after ``--`` goes to pytest (default: the
whole suite, quietly); each run's output is kept in a temporary folder (named for the
failing runs). For example ``-- tests/auth tests/tui/dialogs`` to hammer a
directory.

Exit status 0 only when every run was green.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SUMMARY = re.compile(r"(\d+) (passed|failed|errors?|skipped|xfailed|xpassed|deselected)")


def spin() -> None:
    """Burn one CPU until terminated."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when the load stops
    x = 0
    while True:
        x = (x * 1103515245 + 12345) & 0xFFFFFFFF


class Load:
    """``count`` busy processes, or stress-ng, for the length of a ``with`` block."""

    def __init__(self, count: int, use_stress_ng: bool) -> None:
        self.count = count
        self.use_stress_ng = use_stress_ng
        self._procs: list[mp.Process] = []
        self._stress: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Load:
        if self.count <= 0:
            return self
        stress = shutil.which("stress-ng") if self.use_stress_ng else None
        if self.use_stress_ng and stress is None:
            print("stress-ng is not installed; using busy Python processes", file=sys.stderr)
        if stress is not None:
            self._stress = subprocess.Popen(
                [stress, "--cpu", str(self.count), "--quiet"], stdout=subprocess.DEVNULL
            )
        else:
            for _ in range(self.count):
                proc = mp.Process(target=spin, daemon=True)
                proc.start()
                self._procs.append(proc)
        return self

    def __exit__(self, *_exc: object) -> None:
        for proc in self._procs:
            proc.terminate()
        for proc in self._procs:
            proc.join(10)
        if self._stress is not None:
            self._stress.terminate()
            self._stress.wait(10)


def run_once(pytest_args: list[str], log: Path) -> dict[str, object]:
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *pytest_args]
    started = time.monotonic()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    seconds = time.monotonic() - started
    log.write_text(done.stdout + done.stderr)
    tail = done.stdout.strip().splitlines()[-1:] or [""]
    counts = {kind.rstrip("s"): int(n) for n, kind in SUMMARY.findall(tail[0])}
    failures = [
        line.split(" ", 1)[1].split(" - ")[0]
        for line in done.stdout.splitlines()
        if line.startswith(("FAILED ", "ERROR "))
    ]
    return {
        "returncode": done.returncode,
        "seconds": round(seconds, 1),
        "passed": counts.get("passed", 0),
        "failed": counts.get("failed", 0),
        "errors": counts.get("error", 0),
        "skipped": counts.get("skipped", 0),
        "failures": failures,
        "summary": tail[0],
        "log": str(log),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="how many runs in a row (default 5)")
    parser.add_argument(
        "--load",
        type=int,
        default=2 * (os.cpu_count() or 1),
        help="busy processes beside the tests (default: twice the CPU count)",
    )
    parser.add_argument("--stress-ng", action="store_true", help="load with stress-ng --cpu")
    parser.add_argument("pytest_args", nargs="*", help="after --: arguments for pytest")
    args = parser.parse_args()

    results = []
    logs = Path(tempfile.mkdtemp(prefix="loaded-suite-"))
    with Load(args.load, args.stress_ng):
        for number in range(1, args.runs + 1):
            result = run_once(args.pytest_args, logs / f"run-{number}.log")
            results.append(result)
            print(
                f"run {number}/{args.runs}: {result['passed']} passed, {result['failed']} failed,"
                f" {result['errors']} errors, {result['skipped']} skipped"
                f" in {result['seconds']} s (exit {result['returncode']})",
                flush=True,
            )
            for name in result["failures"]:  # type: ignore[attr-defined]
                print(f"    {name}", flush=True)
            if result["returncode"] != 0:
                print(f"    output: {result['log']}", flush=True)
    seconds = [float(r["seconds"]) for r in results]  # type: ignore[arg-type]
    green = sum(1 for r in results if r["returncode"] == 0)
    print(
        json.dumps(
            {
                "load_processes": args.load,
                "cpus": os.cpu_count(),
                "runs": args.runs,
                "green_runs": green,
                "seconds_min": min(seconds),
                "seconds_median": statistics.median(seconds),
                "seconds_max": max(seconds),
                "results": results,
            },
            indent=2,
        )
    )
    return 0 if green == args.runs else 1


if __name__ == "__main__":
    sys.exit(main())
