"""The fault soak in the default run: 300 files of mixed sizes around the fragment size, up to
OneDrive on the TLS emulator and back down, with every fault kind switched on together at a
combined 12 %. Every file must arrive verified, once. (tests/bench/bench_soak.py runs longer.)"""

from __future__ import annotations

from pathlib import Path

from core.emulator import RunningServer
from tests.engine.soak import run_soak


async def test_300_files_up_and_down_through_every_fault_kind_at_12_percent(
    tmp_path: Path, server: RunningServer
):
    result = await run_soak(server, tmp_path, files=300, rate=0.12, seed=13)
    assert result.problems == [], result.figures()
    assert result.verified_up == result.verified_down == 300
    # Every kind of fault really happened (their counts vary with the order of requests).
    seen = result.faults
    for kind in ("throttle", "drop", "expired token (401s)", "lost session", "spurious 416"):
        assert seen.get(kind, 0) >= 1, seen
    assert sum(n for k, n in seen.items() if k.startswith("error")) >= 5, seen
    assert sum(seen.values()) >= 100, seen
