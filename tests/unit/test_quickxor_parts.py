"""QuickXorHash composed from parts, and a file hashed by several processes."""

from __future__ import annotations

import itertools
import os
import random
from pathlib import Path

import pytest

from core import quickxor_parts
from core.hashing import QuickXorHasher, hash_file, quickxor_of
from core.quickxor_parts import combine_b64, hash_file_parallel, hash_local_file, workers_for


def digest(data: bytes) -> bytes:
    h = QuickXorHasher()
    h.update(data)
    return h.digest()


@pytest.mark.parametrize("seed", range(6))
def test_parts_in_any_order_compose_to_the_whole(seed: int) -> None:
    rnd = random.Random(seed)
    data = rnd.randbytes(rnd.randrange(1, 300_000))
    cuts = sorted({0, len(data), *(rnd.randrange(len(data)) for _ in range(rnd.randrange(6)))})
    parts = [(a, b - a, digest(data[a:b])) for a, b in itertools.pairwise(cuts)]
    rnd.shuffle(parts)
    assert combine_b64(parts) == quickxor_of(data)


def test_an_empty_part_changes_nothing() -> None:
    data = b"0123456789" * 33
    parts = [(0, 7, digest(data[:7])), (7, 0, digest(b"")), (7, len(data) - 7, digest(data[7:]))]
    assert combine_b64(parts) == quickxor_of(data)


def test_a_gap_or_an_overlap_is_refused() -> None:
    data = os.urandom(1000)
    with pytest.raises(ValueError, match="starts at 600, not 500"):
        combine_b64([(0, 500, digest(data[:500])), (600, 400, digest(data[600:]))])
    with pytest.raises(ValueError, match="starts at 400, not 500"):
        combine_b64([(0, 500, digest(data[:500])), (400, 600, digest(data[400:]))])


@pytest.mark.parametrize("workers", [2, 3])
def test_a_file_hashed_by_several_processes(tmp_path: Path, workers: int) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(os.urandom(3 * 1024 * 1024 + 17))
    size = path.stat().st_size
    assert hash_file_parallel(str(path), size, workers) == hash_file(path)


def test_large_files_are_split_and_small_ones_are_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert workers_for(quickxor_parts.PARALLEL_MIN - 1) == 1
    monkeypatch.setattr(quickxor_parts, "PARALLEL_MIN", 1024 * 1024)
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {0, 1, 2, 3, 4, 5})
    assert workers_for(10 * 1024 * 1024) == quickxor_parts.MAX_WORKERS
    path = tmp_path / "f.bin"
    path.write_bytes(os.urandom(5 * 1024 * 1024))
    assert hash_local_file(str(path)) == hash_file(path)


def test_a_worker_that_fails_leaves_its_part_to_this_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(os.urandom(2 * 1024 * 1024 + 5))
    monkeypatch.setattr(quickxor_parts, "WORKER", "raise SystemExit(3)")
    assert hash_file_parallel(str(path), path.stat().st_size, 3) == hash_file(path)
