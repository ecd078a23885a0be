"""Streaming hashes the engine verifies with, QuickXorHash first (OneDrive's only sure hash).

QuickXorHash comes from the ``quickxorhash`` C extension when it is installed (the ``fast``
extra; building it needs a C compiler) and otherwise from ``PureQuickXor`` below, which
gives the same digests. The C extension accepts ``bytes`` only and slows down sharply on
large pieces (it re-reads the buffer once per bit lane), so input is fed to it in slices of
at most ``PIECE`` bytes.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Iterable
from typing import Protocol

from core.model import QUICKXOR, SHA1, SHA256
from core.special import open_regular

try:
    import quickxorhash as _c_quickxor
except ImportError:  # no wheel and no compiler: the pure-Python one below
    _c_quickxor = None

#: Largest slice handed to the C extension at once. Measured on a 1 GiB file: 64 KiB pieces
#: hash at ~1.3 GB/s, 256 KiB at ~1.15 GB/s, 1 MiB at ~0.7 GB/s (the C code re-reads its
#: input once per bit lane, so cache-sized pieces win).
PIECE = 64 * 1024
#: Read size when hashing files: one piece, read straight into a fresh ``bytes``.
READ_SIZE = PIECE

#: Which QuickXorHash this process uses: "C extension" or "pure Python".
QUICKXOR_IMPLEMENTATION = "C extension" if _c_quickxor is not None else "pure Python"

_WIDTH = 160  # bits of state; byte i lands at bit (11 * i) mod 160, so the pattern
_SHIFT = 11  # repeats every 160 bytes
_MASK = (1 << _WIDTH) - 1
_BLOCK_BITS = _WIDTH * 8  # one period: 160 bytes
_BLOCK_MASK = (1 << _BLOCK_BITS) - 1
#: Folding works on slices of this many bytes (a multiple of 160, so every slice starts at
#: the same place in the pattern; small enough to stay in the CPU cache).
_FOLD_SLICE = _WIDTH * 400


def _fold(data: bytes | bytearray | memoryview) -> int:
    """XOR of every 160-byte block of ``data`` (the last one zero-padded), as an integer.

    Each slice of ``_FOLD_SLICE`` bytes becomes one big integer folded in halves: a fold is
    a shift and an XOR done in C by CPython, and the sizes halve, so the cost is a few
    passes over the slice while it is in the cache.
    """
    view = memoryview(data).cast("B")
    folded = 0
    for start in range(0, len(view), _FOLD_SLICE):
        piece = view[start : start + _FOLD_SLICE]
        blocks = -(-len(piece) // _WIDTH)
        value = int.from_bytes(piece, "little")
        while blocks > 1:
            if blocks % 2:  # set the top block aside so the rest halves evenly
                blocks -= 1
                folded ^= value >> (blocks * _BLOCK_BITS)
                value &= (1 << (blocks * _BLOCK_BITS)) - 1
            blocks //= 2
            half = blocks * _BLOCK_BITS
            value = (value >> half) ^ (value & ((1 << half) - 1))
        folded ^= value
    return folded


class PureQuickXor:
    """QuickXorHash in pure Python with the C extension's interface (``update``, ``digest``).

    Fast because the hash has a period of 160 bytes and is linear (XOR): every update is
    folded into one 160-byte block, turned to where its first byte sits in the period, and
    XORed into a running block; only ``digest`` spreads those 160 bytes over the 160-bit
    state, each byte ``k`` at bit ``11 * k mod 160``.
    """

    __slots__ = ("_block", "_length")

    def __init__(self) -> None:
        self._block = 0
        self._length = 0

    def update(self, data: bytes | bytearray | memoryview) -> None:
        n = len(data)
        if not n:
            return
        turn = (self._length % _WIDTH) * 8
        self._length += n
        folded = _fold(data)
        if turn:
            folded = ((folded << turn) | (folded >> (_BLOCK_BITS - turn))) & _BLOCK_MASK
        self._block ^= folded

    def digest(self) -> bytes:
        state = 0
        for k, byte in enumerate(self._block.to_bytes(_WIDTH, "little")):
            if byte:
                bits = byte << ((_SHIFT * k) % _WIDTH)
                state ^= (bits | (bits >> _WIDTH)) & _MASK
        out = bytearray(state.to_bytes(_WIDTH // 8, "little"))
        for k, byte in enumerate(self._length.to_bytes(8, "little")):
            out[12 + k] ^= byte
        return bytes(out)


class RawQuickXor(Protocol):
    def update(self, data: bytes) -> None: ...

    def digest(self) -> bytes: ...


def new_quickxor() -> RawQuickXor:
    """A bare QuickXorHash object (the C extension's when installed): ``update(bytes)``
    pieces of at most a few MiB, then ``digest()``. For the emulator, which hashes what it
    stores apart from what the client verifies."""
    return _c_quickxor.quickxorhash() if _c_quickxor is not None else PureQuickXor()


class Hasher(Protocol):
    def update(self, data: bytes | bytearray | memoryview) -> None: ...

    def value(self) -> str: ...


class QuickXorHasher:
    """Incremental QuickXorHash; ``value()`` is base64 as Graph reports it.

    ``pure=True`` forces the pure-Python implementation (tests compare the two)."""

    name = QUICKXOR
    __slots__ = ("_c", "_h", "size")

    def __init__(self, *, pure: bool = False) -> None:
        self._c = _c_quickxor is not None and not pure
        self._h = _c_quickxor.quickxorhash() if self._c else PureQuickXor()
        self.size = 0

    def update(self, data: bytes | bytearray | memoryview) -> None:
        n = len(data)
        self.size += n
        if not self._c or (n <= PIECE and isinstance(data, bytes)):
            self._h.update(data)
            return
        view = memoryview(data)
        for start in range(0, n, PIECE):
            self._h.update(bytes(view[start : start + PIECE]))

    def digest(self) -> bytes:
        return bytes(self._h.digest())

    def value(self) -> str:
        return base64.b64encode(self.digest()).decode("ascii")


class HashlibHasher:
    """sha1 / sha256 in lower-case hex, the form Graph uses for them."""

    __slots__ = ("_h", "name")

    def __init__(self, name: str) -> None:
        self.name = name
        self._h = hashlib.new(name)

    def update(self, data: bytes | bytearray | memoryview) -> None:
        self._h.update(data)

    def value(self) -> str:
        return self._h.hexdigest()


SUPPORTED = (QUICKXOR, SHA1, SHA256)


def new_hasher(algorithm: str) -> Hasher:
    """A fresh hasher for one of ``SUPPORTED``."""
    if algorithm == QUICKXOR:
        return QuickXorHasher()
    if algorithm in (SHA1, SHA256):
        return HashlibHasher(algorithm)
    raise ValueError(f"unknown hash algorithm {algorithm!r} (known: {', '.join(SUPPORTED)})")


def quickxor_of(data: bytes) -> str:
    """QuickXorHash (base64) of a byte string."""
    h = QuickXorHasher()
    h.update(data)
    return h.value()


def hash_chunks(chunks: Iterable[bytes], algorithm: str = QUICKXOR) -> str:
    """Hash an iterable of byte chunks."""
    h = new_hasher(algorithm)
    for chunk in chunks:
        h.update(chunk)
    return h.value()


def hash_file(path: str | os.PathLike[str], algorithm: str = QUICKXOR) -> str:
    """Hash a local file, reading it in ``READ_SIZE`` pieces (blocking: call from a thread)."""
    h = new_hasher(algorithm)
    with open(path, "rb", buffering=0, opener=open_regular) as f:  # never a pipe or device
        while chunk := f.read(READ_SIZE):
            h.update(chunk)
    return h.value()


def quickxor_hex(b64: str) -> str:
    """Graph's base64 QuickXorHash as lower-case hex (rclone's form)."""
    return base64.b64decode(b64).hex()
