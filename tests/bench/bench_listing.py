"""Listing a 100,000-entry folder on the TLS Graph emulator: skypane's `ls`, rclone's `lsf`, the TUI.

Run: python3 -m uv run python tests/bench/bench_listing.py [--entries 100000] [--runs 3]
     [--flavour personal] [--long] [--no-rclone] [--no-tui]

Prints one JSON object. Per round (the tools interleaved, ``--runs`` rounds):
* ``skypane ls work:/big`` (the real command: `python -m tui`, its real sign-in, token store
  and config, after `skypane login` against the emulator), with ``--long`` also ``ls -l``;
  and ``ls work:/`` (one entry: the fixed cost of start-up, sign-in and one request);
* ``rclone lsf em:/big`` and ``em:/`` (with ``--long`` also ``lsf --format tsp``) when rclone
  is installed, reaching the emulator as ``graph.microsoft.com`` through the CONNECT proxy of
  ``bench_transfer.py`` (labelled ``via_proxy``), TLS verified with ``--ca-cert``;
* the TUI on a 120×36 pty with that folder open: resident memory once "100,000 items" shows.

For the command lines: wall seconds, client CPU seconds (user+sys) and peak RSS (MiB) from
``os.wait4``; output goes to /dev/null for both. Min and median over the rounds. Peak RSS is
the command's own, through GNU time (``bench_transfer.gnu_time``: measured from here a child's
peak would count this script's RSS from between fork and exec). The emulator
runs in its own process, so no client is charged for it; the machine may be shared (the JSON
says how many CPUs and the load average before the runs).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench.bench_transfer import (  # noqa: E402
    RSS_SOURCE,
    ConnectProxy,
    announce_and_serve,
    make_certs,
    rclone_config,
    run_measured,
)
from tests.terminal import SKYPANE, Terminal, isolated_env  # noqa: E402

CLIENT_ID = "12345678-abcd-4ef0-9876-0123456789ab"
RCLONE_CLIENT_ID = "00000000-0000-0000-0000-00000000c0de"


def serve(tls_dir: str, flavour: str, entries: int) -> None:
    """Child process: the emulator with ``/big`` holding ``entries`` files, until stdin closes."""
    from core.emulator import Emulator, EmulatorConfig, start_server

    em = Emulator(
        EmulatorConfig(
            flavour=flavour,  # type: ignore[arg-type]
            device_code_interval=0,
            auto_approve_after=0,
            access_token_lifetime=86400,
        )
    )
    em.add_files("big", entries, size=16)
    server = start_server(em, tls_dir=Path(tls_dir))
    announce_and_serve(em, server, RCLONE_CLIENT_ID)


def measure(argv: list[str], env: dict[str, str], cwd: Path) -> dict[str, float]:
    """Wall, CPU (user+sys) and peak RSS of one command whose output goes to /dev/null."""
    with open(os.devnull, "wb") as sink, tempfile.TemporaryFile() as err:
        code, figures = run_measured(argv, env, cwd, sink, err)
        if code != 0:
            err.seek(0)
            raise RuntimeError(f"{argv[:5]} failed: {err.read().decode(errors='replace')[-2000:]}")
    return {
        "wall_s": figures["wall_s"],
        "cpu_s": figures["cpu_s"],
        "peak_rss_mib": figures["rss_mib"],
    }


def count_lines(argv: list[str], env: dict[str, str], cwd: Path) -> int:
    out = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, check=True, timeout=600)
    return len(out.stdout.splitlines())


def tui_rss(cwd: Path, env: dict[str, str], entries: int) -> dict[str, float]:
    """The app's RSS idle (both panes drawn) and with the remote's ``big`` folder open."""
    term = Terminal(cwd, env)
    try:
        term.wait_for("1 item", timeout=120)  # the left pane: the one local folder
        term.drain(0.5)
        idle = term.rss_mib()
        term.press("tab")  # the right pane shows the remote's root, "big" its first row
        term.drain(0.3)
        sent = term.press("enter")
        complete = term.wait_for(f"{entries:,} items", timeout=300) - sent
        term.drain(0.5)
        return {
            "idle_rss_mib": round(idle, 1),
            "open_rss_mib": round(term.rss_mib(), 1),
            "enter_to_complete_s": round(complete, 3),
        }
    finally:
        term.close()


def summary(runs: list[dict[str, float]]) -> dict[str, Any]:
    keys = runs[0].keys()
    return {
        "runs": runs,
        "min": {k: min(r[k] for r in runs) for k in keys},
        "median": {k: round(statistics.median(r[k] for r in runs), 3) for k in keys},
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--entries", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--flavour", choices=("personal", "business"), default="personal")
    ap.add_argument("--long", action="store_true", help="also `ls -l` and `lsf --format tsp`")
    ap.add_argument("--no-rclone", action="store_true")
    ap.add_argument("--no-tui", action="store_true")
    args = ap.parse_args()
    rclone = None if args.no_rclone else shutil.which("rclone")
    work = Path(tempfile.mkdtemp(prefix="skypane-bench-ls-"))
    emu: subprocess.Popen[str] | None = None
    try:
        (work / "tls").mkdir()
        make_certs(work / "tls")
        emu = subprocess.Popen(
            [sys.executable, __file__, "serve", str(work / "tls"), args.flavour, str(args.entries)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert emu.stdout is not None
        info = json.loads(emu.stdout.readline())
        # Like an installed package: byte code cached (this environment may forbid writing it).
        env = {
            k: v for k, v in isolated_env(work / "home").items() if k != "PYTHONDONTWRITEBYTECODE"
        } | {"PYTHONPYCACHEPREFIX": str(work / "pycache"), "PYTHONPATH": str(ROOT)}
        cwd = work / "cwd"
        (cwd / "x").mkdir(parents=True)
        subprocess.run(
            [
                *SKYPANE,
                "login",
                "work",
                "--client-id",
                CLIENT_ID,
                "--authority",
                info["authority"],
                "--graph-url",
                info["graph_url"],
                "--ca-bundle",
                info["ca"],
            ],
            env=env,
            cwd=cwd,
            check=True,
            capture_output=True,
            timeout=300,
        )
        # The drive's root holds only big/: what a listing costs besides its entries.
        sky = {"ls": [*SKYPANE, "ls", "work:/big"], "ls_root": [*SKYPANE, "ls", "work:/"]}
        if args.long:
            sky["ls_long"] = [*SKYPANE, "ls", "-l", "work:/big"]
        listed = count_lines(sky["ls"], env, cwd)  # also warms the byte-code cache
        if listed != args.entries:
            raise RuntimeError(f"skypane ls printed {listed} lines, not {args.entries}")
        result: dict[str, Any] = {
            "entries": args.entries,
            "flavour": args.flavour,
            "cpu_count": os.cpu_count(),
            "loadavg_before": os.getloadavg(),
            "peak_rss": RSS_SOURCE,
        }
        figures: dict[str, list[dict[str, float]]] = {}
        with ConnectProxy(info["port"], info["files_port"]) as proxy:
            renv = {
                **os.environ,
                "HTTPS_PROXY": f"http://127.0.0.1:{proxy.port}",
                "RCLONE_CONFIG": str(work / "rclone.conf"),
            }
            rc: dict[str, list[str]] = {}
            if rclone:
                rclone_config(work / "rclone.conf", info)
                common = ["--ca-cert", info["ca"], "-q"]
                rc = {
                    "lsf": [rclone, "lsf", "em:/big", *common],
                    "lsf_root": [rclone, "lsf", "em:/", *common],
                }
                if args.long:
                    rc["lsf_long"] = [rclone, "lsf", "--format", "tsp", "em:/big", *common]
                listed = count_lines(rc["lsf"], renv, cwd)
                if listed != args.entries:
                    raise RuntimeError(f"rclone lsf printed {listed} lines, not {args.entries}")
                result["rclone"] = subprocess.run(
                    [rclone, "version"], capture_output=True, text=True
                ).stdout.splitlines()[0]
                result["rclone_reaches_emulator"] = "via_proxy (HTTPS CONNECT, in this process)"
            for _ in range(args.runs):
                for name, argv in sky.items():
                    figures.setdefault(f"skypane_{name}", []).append(measure(argv, env, cwd))
                for name, argv in rc.items():
                    figures.setdefault(f"rclone_{name}", []).append(measure(argv, renv, cwd))
                if not args.no_tui:
                    figures.setdefault("tui", []).append(tui_rss(cwd, env, args.entries))
        result["rows"] = {name: summary(runs) for name, runs in figures.items()}
        pairs = (("ls", "lsf"), ("ls_root", "lsf_root"), ("ls_long", "lsf_long"))
        for mine, theirs in ((f"skypane_{a}", f"rclone_{b}") for a, b in pairs):
            if mine in figures and theirs in figures:
                a, b = result["rows"][mine]["median"], result["rows"][theirs]["median"]
                result["rows"][mine]["median_ratio_over_rclone"] = {
                    k: round(a[k] / b[k], 2) for k in a if b[k]
                }
        print(json.dumps(result, indent=2))
    finally:
        if emu is not None and emu.stdin is not None:
            emu.stdin.close()
            emu.wait(60)
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        serve(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        sys.exit(main())
