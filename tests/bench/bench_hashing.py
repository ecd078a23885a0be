"""QuickXorHash speed: the C extension (the ``fast`` extra) against skypane's pure Python.

Run: python3 -m uv run --locked python tests/bench/bench_hashing.py [--mib 64] [--repeat 5]

Hashes ``--mib`` MiB of random bytes fed in the engine's read size (64 KiB) and in 1 MiB
pieces, ``--repeat`` times each, and prints one JSON object with MB/s by CPU time (so other
processes on a busy machine count less): min, median and max of the repeats.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from core.hashing import QUICKXOR_IMPLEMENTATION, READ_SIZE, QuickXorHasher


def speed(data: bytes, piece: int, pure: bool) -> float:
    h = QuickXorHasher(pure=pure)
    started = time.process_time()
    for start in range(0, len(data), piece):
        h.update(data[start : start + piece])
    h.digest()
    return len(data) / (time.process_time() - started) / 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    data = os.urandom(args.mib * 1024 * 1024)
    kinds = {"pure_python": True}
    if QUICKXOR_IMPLEMENTATION == "C extension":
        kinds["c_extension"] = False
    figures: dict[str, object] = {"mib": args.mib, "default": QUICKXOR_IMPLEMENTATION}
    for name, pure in kinds.items():
        for piece in (READ_SIZE, 1024 * 1024):
            runs = [speed(data, piece, pure) for _ in range(args.repeat)]
            figures[f"{name}_{piece // 1024}k_mb_s"] = {
                "min": round(min(runs)),
                "median": round(statistics.median(runs)),
                "max": round(max(runs)),
            }
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
