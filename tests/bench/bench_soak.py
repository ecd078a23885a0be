"""The long fault soak: thousands of files up to OneDrive on the TLS emulator and back down, with
every fault kind of the emulator on together (20 % combined by default), once per fault seed.

Run: python3 -m uv run --locked python tests/bench/bench_soak.py [--files 2000] [--rate 0.2]
     [--seeds 1 2 3] [--workers 8]

Prints one JSON object per seed (files, MiB, seconds, % verified, faults by kind, retries,
problems) and exits 1 unless every run verified every file. The emulator serves from a
thread of this process, so the seconds include its work too. The short version runs in the
default test suite (tests/engine/test_soak.py).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from core.emulator import Emulator, EmulatorConfig, start_server  # noqa: E402
from tests.engine.soak import run_soak  # noqa: E402


async def one(files: int, rate: float, seed: int, workers: int) -> bool:
    em = Emulator(EmulatorConfig(flavour="personal", fault_seed=seed))
    try:
        with start_server(em) as server, tempfile.TemporaryDirectory() as work:
            result = await run_soak(
                server, Path(work), files=files, rate=rate, seed=seed, workers=workers
            )
    finally:
        em.close()
    print(json.dumps({"seed": seed, "rate": rate, **result.figures()}), flush=True)
    return not result.problems and result.verified_percent == 100.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=0.2, help="combined fault rate (0..1)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args()
    ok = [asyncio.run(one(args.files, args.rate, s, args.workers)) for s in args.seeds]
    return 0 if all(ok) else 1


if __name__ == "__main__":
    sys.exit(main())
