"""How long `skypane cp` takes to exit after SIGTERM (goal: at most ~2 s), in two cases:

* ``copying``: a large local copy in full flow (items stop at the next chunk);
* ``stuck``: a worker thread blocked in a read that never returns, as on a hung network
  mount (``tests/cli/stuck_child.py``): the grace period, then the exit watchdog;
* ``tui``: the full-screen app on a pty, SIGTERM while it shows a folder (exit with the
  terminal restored).

Runs each a few times with a private home and prints JSON figures (seconds from the signal to
the exit status, min / median / max, and the statuses seen).

    python3 -m uv run python tests/bench/bench_signals.py [--runs 5] [--size-mib 256]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.isolation import private_home  # noqa: E402
from tests.terminal import Terminal, isolated_env  # noqa: E402


def _started(argv: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", *argv],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def _stop(proc: subprocess.Popen[str]) -> tuple[float, int]:
    began = time.monotonic()
    os.kill(proc.pid, signal.SIGTERM)
    proc.wait(60)
    return time.monotonic() - began, proc.returncode


def copying(work: Path, env: dict[str, str], size_mib: int) -> tuple[float, int]:
    src = work / "big.bin"
    if not src.exists():
        with open(src, "wb") as f:
            for _ in range(size_mib):
                f.write(os.urandom(1024 * 1024))
    dst = work / "dst"
    shutil.rmtree(dst, ignore_errors=True)
    dst.mkdir()
    proc = _started(["tui", "cp", "-q", str(src), str(dst)], env)
    deadline = time.monotonic() + 60
    while not any(p.stat().st_size for p in dst.glob(".*.skypane-part")):
        if time.monotonic() > deadline or proc.poll() is not None:
            raise RuntimeError("the copy never started (or ended before the signal)")
        time.sleep(0.005)
    return _stop(proc)


def stuck(work: Path, env: dict[str, str]) -> tuple[float, int]:
    src = work / "small.bin"
    src.write_bytes(os.urandom(4 * 1024 * 1024))
    dst = work / "dst-stuck"
    shutil.rmtree(dst, ignore_errors=True)
    dst.mkdir()
    proc = _started(
        ["tests.cli.stuck_child", str(1024 * 1024), "cp", "-q", str(src), str(dst)], env
    )
    assert proc.stdout is not None
    if proc.stdout.readline().strip() != "READY":
        raise RuntimeError("the stuck child did not get stuck")
    return _stop(proc)


def tui(work: Path) -> tuple[float, int]:
    here = work / "here"
    here.mkdir(exist_ok=True)
    (here / "a.txt").write_bytes(b"a")
    term = Terminal(here, isolated_env(work / "tui-home"))
    try:
        term.wait_for(r"a\.txt", 60)
        term.drain(0.3)
        began = time.monotonic()
        os.kill(term.pid, signal.SIGTERM)
        status = term.wait_exit(60)
        return time.monotonic() - began, -1 if status is None else status
    finally:
        term.close()


def summary(runs: list[tuple[float, int]]) -> dict[str, object]:
    secs = [t for t, _ in runs]
    return {
        "runs": len(runs),
        "min_s": round(min(secs), 3),
        "median_s": round(statistics.median(secs), 3),
        "max_s": round(max(secs), 3),
        "exit_statuses": sorted({code for _, code in runs}),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--size-mib", type=int, default=256)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="skypane-bench-signals-"))
    try:
        env = {**os.environ, **private_home(work / "home")}
        result = {
            "cpu_count": os.cpu_count(),
            "copying": summary([copying(work, env, args.size_mib) for _ in range(args.runs)]),
            "stuck": summary([stuck(work, env) for _ in range(args.runs)]),
            "tui": summary([tui(work) for _ in range(args.runs)]),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
