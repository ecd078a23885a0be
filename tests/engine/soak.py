"""A fault soak: a tree up to OneDrive on the TLS emulator and back down, with every fault kind
of the emulator switched on at once. Used by tests/engine/test_soak.py (a few hundred files,
in the default run) and tests/bench/bench_soak.py (thousands, printed figures).

Every file is checked twice: on the drive (size and QuickXorHash against the local file, and
no name twice) and after the way down (the same bytes as the original).
"""

from __future__ import annotations

import random
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.backends.local import LocalBackend
from core.backends.onedrive.backend import OneDriveBackend
from core.backends.onedrive.pacer import Pacer
from core.emulator import RunningServer
from core.emulator.faults import Faults
from core.hashing import hash_file
from core.model import QUICKXOR
from core.paths import Location
from core.transfer import JobKind, JobState, Journal, TransferEngine
from tests.engine.od import od_options, remote_files
from tests.onedrive.world import EmulatorTokens

UNIT = 320 * 1024
#: Sizes around the fragment size (one ``UNIT``) and a few small ones.
SIZES = (0, 1, 777, 20_000, 90_000, UNIT - 1, UNIT, UNIT + 1, 2 * UNIT + 3, 3 * UNIT - 5)
#: How a combined fault rate is shared among the emulator's fault kinds (weights).
SHARES = {
    "throttle": 3,
    "error": 3,  # 500, 502, 503, 504 and the spurious 401 "Unable to initialize RPS"
    "drop": 2,
    "expired token": 2,  # counted as the 401s it causes (all requests in flight)
    "lost session": 2,
    "spurious 416": 4,
}


def switch_faults(faults: Faults, rate: float, seed: int) -> None:
    """Every fault kind on, their rates summing to ``rate``, drawn from ``seed``."""
    faults.reset()
    faults.seed = seed
    faults.reset()  # restarts the random sequence from the new seed
    part = {kind: rate * weight / sum(SHARES.values()) for kind, weight in SHARES.items()}
    faults.throttle_rate, faults.retry_after = part["throttle"], 0
    faults.error_rate = part["error"]
    faults.error_statuses = (500, 502, 503, 504, 401)
    faults.drop_rate = part["drop"]
    faults.expire_tokens_early = part["expired token"]
    faults.lose_upload_sessions = part["lost session"]
    faults.spurious_416_rate = part["spurious 416"]


def make_tree(root: Path, files: int, seed: int) -> int:
    """``files`` files of mixed sizes in nested folders; returns their total size."""
    rng = random.Random(seed)
    total = 0
    for i in range(files):
        folder = root / f"d{i % 11}" / f"e{i % 4}"
        folder.mkdir(parents=True, exist_ok=True)
        size = rng.choice(SIZES)
        (folder / f"f{i:05}.bin").write_bytes(rng.randbytes(size))
        total += size
    return total


@dataclass
class SoakResult:
    files: int
    bytes: int
    seconds: float
    verified_up: int
    verified_down: int
    faults: dict[str, int] = field(default_factory=dict)
    retries: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def verified_percent(self) -> float:
        return 100.0 * min(self.verified_up, self.verified_down) / max(self.files, 1)

    def figures(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "MiB": round(self.bytes / 2**20, 1),
            "seconds": round(self.seconds, 1),
            "verified %": round(self.verified_percent, 2),
            "faults": self.faults,
            "retries": self.retries,
            "problems": self.problems[:10],
        }


def faults_seen(server: RunningServer) -> dict[str, int]:
    """Injected faults by kind, from the emulator's request log."""
    kinds: Counter[str] = Counter()
    lost: set[str] = set()  # a lost session answers 404 to its fragment and its status alike
    for r in server.emulator.requests:
        if r.fault == "drop":
            kinds["drop"] += 1
        elif r.fault in ("status 429", "status 503") and r.status in (429, 503):
            kinds["throttle" if r.status == 429 else "error 503"] += 1
        elif r.fault is not None and r.fault.startswith("status "):
            kinds[f"error {r.status}"] += 1
        elif r.fault is None and r.status == 401 and r.authorized:
            kinds["expired token (401s)"] += 1
        elif r.fault is None and r.status == 404 and r.path.startswith("/up/"):
            lost.add(r.path)
        elif r.fault is None and r.status == 416:
            kinds["spurious 416"] += 1
    if lost:
        kinds["lost session"] = len(lost)
    return dict(sorted(kinds.items()))


async def run_soak(
    server: RunningServer,
    work: Path,
    *,
    files: int,
    rate: float,
    seed: int,
    workers: int = 8,
    chunk_size: int = UNIT,
) -> SoakResult:
    """Upload a fresh tree of ``files`` files and download it again through the faults."""
    up_dir, down_dir = work / "up", work / "down"
    total = make_tree(up_dir, files, seed)
    tokens = EmulatorTokens(server)
    pacer = Pacer(min_sleep=0.0, max_sleep=0.05)
    backend = OneDriveBackend("od", od_options(server, chunk_size=chunk_size), tokens, pacer=pacer)
    local = LocalBackend()
    engine = TransferEngine(
        lambda r: local if r is None else backend,
        Journal(work / "journal.sqlite3"),
        workers=workers,
        retry_backoff=0.0,
    )
    problems: list[str] = []
    server.emulator.requests.clear()
    switch_faults(server.emulator.faults, rate, seed)
    started = time.monotonic()
    try:
        up = await engine.submit(JobKind.COPY, [Location(None, str(up_dir))], Location("od", "/"))
        await engine.wait(up.id)
        down = await engine.submit(
            JobKind.COPY, [Location("od", "/up")], Location(None, str(down_dir))
        )
        await engine.wait(down.id)
        seconds = time.monotonic() - started
        server.emulator.faults.reset()
        for job in (up, down):
            if job.state is not JobState.DONE:
                problems += [f"{i.dst_path}: {i.error}" for i in job.failed_items()]
                problems.append(f"job {job.kind.value}: {job.state.value} {job.error}")
        stored = await remote_files(backend, "/up")
    finally:
        server.emulator.faults.reset()
        await engine.close()
        assert engine.journal is not None
        engine.journal.close()
    verified_up = verified_down = 0
    names: Counter[str] = Counter(p.casefold() for p in stored)
    problems += [f"on the drive twice: {p}" for p, n in names.items() if n > 1]
    local_files = sorted(p for p in up_dir.rglob("*") if p.is_file())
    expected = {f"/up/{p.relative_to(up_dir)}" for p in local_files}
    problems += [f"unexpected on the drive: {p}" for p in sorted(set(stored) - expected)]
    for p in local_files:
        rel = p.relative_to(up_dir)
        entry = stored.get(f"/up/{rel}")
        if entry is not None and (entry.size, entry.hash(QUICKXOR)) == (
            p.stat().st_size,
            hash_file(p),
        ):
            verified_up += 1
        else:
            problems.append(f"not verified on the drive: {rel}")
        back = down_dir / rel
        if back.is_file() and back.read_bytes() == p.read_bytes():
            verified_down += 1
        else:
            problems.append(f"not verified after the way down: {rel}")
    leftover = [str(p) for p in down_dir.rglob("*") if p.is_file() and not p.name.endswith(".bin")]
    problems += [f"left behind: {p}" for p in leftover]
    log = server.emulator.requests
    sessions = len(log.matching("POST", path="createUploadSession", status=200))
    return SoakResult(
        files=files,
        bytes=total,
        seconds=seconds,
        verified_up=verified_up,
        verified_down=verified_down,
        faults=faults_seen(server),
        retries={
            "requests retried (pacer)": pacer.retry_count,
            "token refreshes": tokens.refreshes,
            "items tried again (engine)": sum(
                max(i.attempts - 1, 0) for job in (up, down) for i in job.items
            ),
            "upload sessions opened": sessions,
        },
        problems=problems,
    )


__all__ = ["SoakResult", "make_tree", "run_soak", "switch_faults"]
