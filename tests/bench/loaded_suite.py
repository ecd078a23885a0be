"""Run the test suite several times while the machine is kept busy, and print the results.

Run: python3 -m uv run --locked python tests/bench/loaded_suite.py [--runs 5] [--load 4]
        [--stress-ng] [-- PYTEST ARGS ...]

The load is ``--load`` busy Python processes (default: twice the CPU count), each spinning on
arithmetic, or with ``--stress-ng`` the ``stress-ng --cpu N`` command where it is installed.
The load starts before the first run and is stopped after the last. Each run is the README's
pytest in a fresh process; the script prints one line per run (passed, failed, errors,
seconds, the one-minute load average sampled each minute: median and maximum) and a JSON
summary at the end. Anything after ``--`` goes to pytest (default: the whole suite,
quietly); each run's output is written as it goes to a temporary folder (named at the start
and for the failing runs). For example ``-- tests/auth tests/tui/dialogs`` to hammer a
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
FINAL_LINE = re.compile(r"\d+ (passed|failed|errors?|skipped)\b.* in [\d.]+s")


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


def load_average() -> float:
    """The one-minute load average, or -1 where the system does not report it."""
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return -1.0


def run_once(pytest_args: list[str], log: Path) -> dict[str, object]:
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *pytest_args]
    loads = [load_average()]
    started = time.monotonic()
    # The output goes straight to the log, so a run in progress (or one that is killed)
    # can be read there.
    with log.open("w") as out:
        proc = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
        while proc.poll() is None:
            time.sleep(1)
            if time.monotonic() - started >= 60 * (len(loads)):
                loads.append(load_average())
    seconds = time.monotonic() - started
    loads.append(load_average())
    output = log.read_text(errors="replace")
    tail = [line for line in output.splitlines() if FINAL_LINE.search(line)][-1:] or [""]
    counts = {kind.rstrip("s"): int(n) for n, kind in SUMMARY.findall(tail[0])}
    failures = [
        line.split(" ", 1)[1].split(" - ")[0]
        for line in output.splitlines()
        if line.startswith(("FAILED ", "ERROR "))
    ]
    return {
        "returncode": proc.returncode,
        "seconds": round(seconds, 1),
        "load_median": round(statistics.median(loads), 2),
        "load_max": max(loads),
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
    print(f"logs in {logs} (one per run, written as it goes)", flush=True)
    with Load(args.load, args.stress_ng):
        for number in range(1, args.runs + 1):
            result = run_once(args.pytest_args, logs / f"run-{number}.log")
            results.append(result)
            print(
                f"run {number}/{args.runs}: {result['passed']} passed, {result['failed']} failed,"
                f" {result['errors']} errors, {result['skipped']} skipped"
                f" in {result['seconds']} s, load average {result['load_median']}"
                f" (max {result['load_max']}) (exit {result['returncode']})",
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
