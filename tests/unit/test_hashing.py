"""QuickXorHash: known vectors, an independent reference, and chunking independence."""

from __future__ import annotations

import base64
import random
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.hashing import (
    PIECE,
    QuickXorHasher,
    hash_chunks,
    hash_file,
    new_hasher,
    quickxor_hex,
    quickxor_of,
)

VECTORS = [
    (b"", "AAAAAAAAAAAAAAAAAAAAAAAAAAA="),
    (bytes.fromhex("4A"), "SgAAAAAAAAAAAAAAAQAAAAAAAAA="),
    (bytes.fromhex("B5B4"), "taAFAAAAAAAAAAAAAgAAAAAAAAA="),
    (bytes.fromhex("D2964F"), "0rDEEwAAAAAAAAAAAwAAAAAAAAA="),
    (b"a", "YQAAAAAAAAAAAAAAAQAAAAAAAAA="),
    (b"abc", "YRDDGAAAAAAAAAAAAwAAAAAAAAA="),
    (b"hello", "aCgDG9jwBgAAAAAABQAAAAAAAAA="),
    (b"hello world", "aCgDG9jwBhDc4Q1yawMZAAAAAAA="),
    (b"The quick brown fox jumps over the lazy dog", "bMSlbysmxJL6S75XwfMcQZOpcr4="),
    (b"0123456789" * 100, "jE6XslXW8BcxmE1Dxhaj4y3tmVM="),
]


def reference_quickxor(data: bytes) -> str:
    """Bit-by-bit definition (GRAPH.md §15.1): slow and obviously right."""
    width = 160
    mask = (1 << width) - 1
    acc = 0
    for i, b in enumerate(data):
        shift = (11 * i) % width
        v = b << shift
        acc ^= (v | (v >> width)) & mask
    out = bytearray(acc.to_bytes(20, "little"))
    for k, byte in enumerate(len(data).to_bytes(8, "little")):
        out[12 + k] ^= byte
    return base64.b64encode(bytes(out)).decode()


@pytest.mark.parametrize(("data", "expected"), VECTORS)
def test_known_vectors(data: bytes, expected: str) -> None:
    assert quickxor_of(data) == expected


@pytest.mark.parametrize(("data", "expected"), VECTORS)
def test_reference_agrees_with_vectors(data: bytes, expected: str) -> None:
    assert reference_quickxor(data) == expected


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=3000))
def test_matches_reference_implementation(data: bytes) -> None:
    assert quickxor_of(data) == reference_quickxor(data)


@settings(max_examples=80, deadline=None)
@given(st.binary(max_size=5000), st.lists(st.integers(min_value=0, max_value=5000), max_size=8))
def test_chunking_never_changes_the_result(data: bytes, cuts: list[int]) -> None:
    points = sorted({min(c, len(data)) for c in cuts})
    pieces = [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]
    assert hash_chunks(pieces) == quickxor_of(data)


def test_large_input_is_fed_in_small_pieces_with_the_same_result() -> None:
    data = bytes(range(256)) * ((3 * PIECE) // 256 + 7)
    whole = QuickXorHasher()
    whole.update(memoryview(data))
    split = QuickXorHasher()
    for start in range(0, len(data), 1000):
        split.update(bytearray(data[start : start + 1000]))
    assert whole.value() == split.value()
    assert whole.size == len(data)


def test_hash_file_matches_in_memory(tmp_path) -> None:
    data = bytes(range(256)) * 9000
    path = tmp_path / "f"
    path.write_bytes(data)
    assert hash_file(path) == quickxor_of(data)
    assert hash_file(path, "sha1") == __import__("hashlib").sha1(data).hexdigest()


def test_hex_form_matches_base64() -> None:
    assert (
        quickxor_hex("aCgDG9jwBgAAAAAABQAAAAAAAAA=")
        == base64.b64decode("aCgDG9jwBgAAAAAABQAAAAAAAAA=").hex()
    )


def test_unknown_algorithm_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown hash"):
        new_hasher("md4")


# -- the pure-Python QuickXorHash, used when the C extension cannot be installed ----------

#: Lengths around the 160-byte period, the direct/fold threshold and the fold slice.
AWKWARD = [1, 2, 63, 64, 65, 159, 160, 161, 319, 320, 481, 4097, 64_000, 64_001, 200_003]


@pytest.mark.parametrize(("data", "expected"), VECTORS)
def test_pure_python_gives_the_public_vectors(data: bytes, expected: str) -> None:
    h = QuickXorHasher(pure=True)
    h.update(data)
    assert h.value() == expected


@pytest.mark.parametrize("length", AWKWARD)
def test_pure_python_and_the_c_extension_agree(length: int) -> None:
    quickxorhash = pytest.importorskip("quickxorhash")  # the `fast` extra
    data = random.Random(length).randbytes(length)
    c = quickxorhash.quickxorhash()
    c.update(data)
    pure = QuickXorHasher(pure=True)
    rng = random.Random(-length)
    start = 0
    while start < length:  # in pieces of random sizes: the state carries across updates
        step = rng.choice([1, 7, 159, 161, 1000, 70_000])
        pure.update(memoryview(data)[start : start + step])
        start += step
    assert pure.digest() == bytes(c.digest())


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=3000))
def test_pure_python_matches_the_reference(data: bytes) -> None:
    pure = QuickXorHasher(pure=True)
    pure.update(data)
    assert pure.value() == reference_quickxor(data)


def test_without_the_c_extension_the_pure_one_is_used() -> None:
    code = (
        "import sys; sys.modules['quickxorhash'] = None\n"
        "from core.hashing import QUICKXOR_IMPLEMENTATION, quickxor_of\n"
        "print(QUICKXOR_IMPLEMENTATION); print(quickxor_of(b'hello world'))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.split("\n")[:2] == ["pure Python", "aCgDG9jwBhDc4Q1yawMZAAAAAAA="]
