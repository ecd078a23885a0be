"""QuickXorHash of a whole from the hashes of its parts, and of a large file in parallel.

QuickXorHash XORs byte ``i`` of its input into a 160-bit circular register at bit
``11 * i mod 160``, then XORs the input's length into the register's top 64 bits. A part
hashed on its own (as if it started at byte 0) therefore holds the register the part
contributes to the whole, rotated back by ``11 * offset`` bits: rotate each part's register
forward by its offset, XOR them, XOR in the total length, and the result is the whole's hash.
Several ranged streams of one download each hash their own range this way, in any order, and
several processes can hash one large file.

The ``quickxorhash`` C extension holds the GIL while it hashes (its module calls no
``PyEval_SaveThread``; two threads take as long as one doing both), so a large local file is
split between processes, not threads.
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from collections.abc import Iterable

from core.hashing import QuickXorHasher, hash_file

WIDTH = 160
SHIFT = 11
_MASK = (1 << WIDTH) - 1
#: Bit where the length is XORed in: the last 8 of the 20 digest bytes.
_LENGTH_BIT = WIDTH - 64

#: Files at least this large are hashed by several processes (below it, starting a process
#: costs more than the share of hashing it takes over).
PARALLEL_MIN = 128 * 1024 * 1024
#: Most processes one file is split between.
MAX_WORKERS = 4
#: Bytes read (and hashed) at once.
READ_SIZE = 1024 * 1024


def register(digest: bytes, length: int) -> int:
    """The 160-bit register behind ``digest`` (the hash of ``length`` bytes)."""
    return int.from_bytes(digest, "little") ^ (length << _LENGTH_BIT)


def _rotate(value: int, bits: int) -> int:
    bits %= WIDTH
    return ((value << bits) | (value >> (WIDTH - bits))) & _MASK


def combine(parts: Iterable[tuple[int, int, bytes]]) -> bytes:
    """The digest of a whole from ``(offset, length, digest)`` of parts that tile it from 0.

    Raises ``ValueError`` if the parts leave a gap or overlap: a hash of bytes not all
    received must never pass for the whole's.
    """
    acc = 0
    end = 0
    for offset, length, digest in sorted(parts):
        if offset != end:
            raise ValueError(f"parts do not tile the input: a part starts at {offset}, not {end}")
        acc ^= _rotate(register(digest, length), SHIFT * offset)
        end = offset + length
    return (acc ^ (end << _LENGTH_BIT)).to_bytes(WIDTH // 8, "little")


def combine_b64(parts: Iterable[tuple[int, int, bytes]]) -> str:
    """``combine`` in Graph's form (base64)."""
    return base64.b64encode(combine(parts)).decode("ascii")


def hash_range(fd: int, offset: int, length: int) -> tuple[bytes, int]:
    """Digest of ``length`` bytes of ``fd`` from ``offset`` (fewer at the end of the file),
    and how many bytes it covers."""
    h = QuickXorHasher()
    pos, end = offset, offset + length
    while pos < end:
        data = os.pread(fd, min(READ_SIZE, end - pos), pos)
        if not data:
            break
        h.update(data)
        pos += len(data)
    return h.digest(), pos - offset


def workers_for(size: int) -> int:
    """How many processes to split a file of ``size`` bytes between (1: hash it here)."""
    if size < PARALLEL_MIN:
        return 1
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, MAX_WORKERS, size // (PARALLEL_MIN // 2)))


#: What a worker process runs: hash one range of a file, print its digest and length.
WORKER = (
    "import base64, os, sys\n"
    "from core.quickxor_parts import hash_range\n"
    "fd = os.open(sys.argv[1], os.O_RDONLY)\n"
    "digest, n = hash_range(fd, int(sys.argv[2]), int(sys.argv[3]))\n"
    "print(base64.b64encode(digest).decode(), n)\n"
)


def hash_file_parallel(path: str, size: int, workers: int) -> str:
    """QuickXorHash (base64) of the ``size`` bytes of ``path``, split between this process
    and ``workers - 1`` others. A part a worker could not hash (it failed, or the file
    changed length under it) is hashed here instead; blocking: call from a thread."""
    step = -(-size // workers)
    ranges = [(start, min(step, size - start)) for start in range(0, size, step)]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    paths = [root, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, path, str(start), str(length)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
            env=env,
        )
        for start, length in ranges[1:]
    ]
    parts: list[tuple[int, int, bytes]] = []
    fd = os.open(path, os.O_RDONLY)
    try:
        digest, n = hash_range(fd, *ranges[0])
        parts.append((0, n, digest))
        for (start, length), proc in zip(ranges[1:], procs, strict=True):
            out, _ = proc.communicate()
            words = out.split()
            if proc.returncode == 0 and len(words) == 2 and int(words[1]) == length:
                parts.append((start, length, base64.b64decode(words[0])))
            else:
                digest, n = hash_range(fd, start, length)
                parts.append((start, n, digest))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        os.close(fd)
    try:
        return combine_b64(parts)
    except ValueError:  # the file shrank while it was read: hash what it holds now
        return hash_file(path)


def hash_local_file(path: str) -> str:
    """QuickXorHash (base64) of a local file, by several processes when it is large
    (blocking: call from a thread)."""
    size = os.stat(path).st_size
    workers = workers_for(size)
    return hash_file(path) if workers == 1 else hash_file_parallel(path, size, workers)
