"""The entries of one folder kept as columns: a list of names, sizes and times in arrays,
flags in a byte array.

A pane holds what it lists for as long as it shows it. 100,000 ``Entry`` objects (each with
its own path string and datetime) took ~60 MiB and gave the garbage collector half a
million objects to walk while the list streamed in; as columns they take ~10 MiB, nearly all
of it the names, and the collector has almost nothing to visit. An ``Entry`` is made again
when a row is drawn or acted on: only a screenful at a time.

Rows are addressed by their index in arrival order. What most entries share is stored once
(the folder their paths start with); what few have (a link target, a device kind, a time in
another zone) sits in small dictionaries; nanosecond times and permission bits get an array
only once some entry has them (the local disk).
"""

from __future__ import annotations

import bisect
import os.path
from array import array
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from core.model import Entry

#: Flag bits, one byte per entry.
DIR = 1
HIDDEN = 2
LINK = 4
PACKAGE = 8
TIMED = 16  # has a modification time
MARKED = 32  # the user marked it (the listing keeps marks here)

#: What the columns leave out of an entry: the info panel, the viewer and F4 stat the
#: entry for these; transfers go by path.
DETAILS = ("id", "etag", "web_url", "mime_type", "hashes")

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
#: "No value" in the optional arrays.
NONE = -(2**63)
NO_MODE = -1


def micros(moment: datetime) -> int:
    """Microseconds since the epoch, exactly (a float timestamp loses the last digit)."""
    return (moment - EPOCH) // _MICROSECOND


def extension(name: str) -> str:
    """A name's extension for sorting: ``.GZ`` → ``.gz``; none for ``.bashrc`` or ``README``."""
    stem, ext = os.path.splitext(name)
    return ext.casefold() if stem else ""


#: Names per packed block: 1 << SHIFT.
SHIFT = 10


class Names:
    """Names by index, packed: each full block of BLOCK names is one string (the names
    between NUL characters, which no file name holds) and an array of where each starts.

    100,000 names as separate strings take ~7 MB (49 bytes of object each, besides the
    characters); packed, ~2 MB. A name is cut out of its block when asked for.
    """

    BLOCK = 1 << SHIFT

    def __init__(self) -> None:
        #: Full blocks: the packed text (or, if a name held a NUL, the list as it came).
        self._blocks: list[str | list[str]] = []
        self._starts: list[array[int] | None] = []
        self._tail: list[str] = []

    def __len__(self) -> int:
        return len(self._blocks) * self.BLOCK + len(self._tail)

    def append(self, name: str) -> None:
        tail = self._tail
        tail.append(name)
        if len(tail) < self.BLOCK:
            return
        if any("\0" in n for n in tail):
            self._blocks.append(tail)
            self._starts.append(None)
        else:
            starts = array("I", [1])
            for n in tail:
                starts.append(starts[-1] + len(n) + 1)
            self._blocks.append("\0" + "\0".join(tail) + "\0")
            self._starts.append(starts)
        self._tail = []

    def __getitem__(self, i: int) -> str:
        block = i >> SHIFT
        j = i & (self.BLOCK - 1)
        if block >= len(self._blocks):
            return self._tail[j]
        starts = self._starts[block]
        if starts is None:
            return self._blocks[block][j]
        return self._blocks[block][starts[j] : starts[j + 1] - 1]  # type: ignore[return-value]

    def __iter__(self) -> Iterator[str]:
        return iter(self.between(0, len(self)))

    def between(self, start: int, stop: int) -> list[str]:
        """Names ``start:stop`` as a list (whole blocks split in C)."""
        stop = min(stop, len(self))
        out: list[str] = []
        i = start
        while i < stop:
            block = i >> SHIFT
            if block >= len(self._blocks):
                base = block << SHIFT
                out += self._tail[i - base : stop - base]
                break
            text = self._blocks[block]
            names = text[1:-1].split("\0") if isinstance(text, str) else text
            base = block << SHIFT
            out += names[i - base : stop - base]
            i = base + self.BLOCK
        return out

    def index(self, name: str, start: int = 0) -> int:
        """The first index from ``start`` holding ``name``; ValueError if none does."""
        needle = "\0" + name + "\0"
        for block in range(start // self.BLOCK, len(self._blocks)):
            text, starts = self._blocks[block], self._starts[block]
            base = block * self.BLOCK
            if starts is None or not isinstance(text, str):
                for j, n in enumerate(text):
                    if n == name and base + j >= start:
                        return base + j
                continue
            at = text.find(needle, starts[max(start - base, 0)] - 1)
            if at >= 0:
                return base + bisect.bisect_left(starts, at + 1)
        base = len(self._blocks) * self.BLOCK
        return base + self._tail.index(name, max(start - base, 0))


class Columns:
    """Entries by index, appended page by page, never changed afterwards (but the mark bit)."""

    def __init__(self) -> None:
        self.names = Names()
        self.sizes = array("q")
        #: Microseconds since the epoch of ``modified`` (0 where there is none: see TIMED).
        self.times = array("q")
        self.flags = bytearray()
        #: What the paths start with (the folder and a slash), from the first entry.
        self._prefix: str | None = None
        #: Paths that are not ``_prefix + name`` (search results come from many folders).
        self._paths: dict[int, str] = {}
        #: Times in a zone other than UTC, kept as they came.
        self._zoned: dict[int, datetime] = {}
        self._link_targets: dict[int, str] = {}
        self._specials: dict[int, str] = {}
        self._mtime_ns: array[int] | None = None
        self._modes: array[int] | None = None

    def __len__(self) -> int:
        return len(self.names)

    def extend(self, entries: Iterable[Entry]) -> int:
        """Append ``entries``; returns the sum of their sizes."""
        names, sizes, times, flags = self.names, self.sizes, self.times, self.flags
        total = 0
        for e in entries:
            i = len(names)
            name, path = e.name, e.path
            names.append(name)
            sizes.append(e.size)
            total += e.size
            prefix = self._prefix
            if prefix is None and path.endswith(name) and len(path) > len(name):
                prefix = self._prefix = path[: len(path) - len(name)]
            if (
                prefix is None
                or len(path) != len(prefix) + len(name)
                or not path.endswith(name)
                or not path.startswith(prefix)
            ):
                self._paths[i] = path
            bits = (
                (DIR if e.is_dir else 0)
                | (HIDDEN if e.is_hidden else 0)
                | (LINK if e.is_link else 0)
                | (PACKAGE if e.is_package else 0)
            )
            modified = e.modified
            if modified is not None:
                bits |= TIMED
                times.append(micros(modified))
                if modified.tzinfo is not UTC:
                    self._zoned[i] = modified
            else:
                times.append(0)
            flags.append(bits)
            if e.link_target is not None:
                self._link_targets[i] = e.link_target
            if e.special is not None:
                self._specials[i] = e.special
            if e.mtime_ns is not None or self._mtime_ns is not None:
                if self._mtime_ns is None:
                    self._mtime_ns = array("q", [NONE]) * i
                self._mtime_ns.append(NONE if e.mtime_ns is None else e.mtime_ns)
            if e.mode is not None or self._modes is not None:
                if self._modes is None:
                    self._modes = array("i", [NO_MODE]) * i
                self._modes.append(NO_MODE if e.mode is None else e.mode)
        return total

    def entry(self, i: int) -> Entry:
        """The entry at index ``i``, made again from its columns."""
        bits = self.flags[i]
        name = self.names[i]
        path = self._paths.get(i)
        if path is None:
            path = (self._prefix or "") + name
        modified: datetime | None = None
        if bits & TIMED:
            modified = self._zoned.get(i) or EPOCH + timedelta(microseconds=self.times[i])
        ns = NONE if self._mtime_ns is None else self._mtime_ns[i]
        mode = NO_MODE if self._modes is None else self._modes[i]
        return Entry(
            name=name,
            path=path,
            is_dir=bool(bits & DIR),
            size=self.sizes[i],
            modified=modified,
            mtime_ns=None if ns == NONE else ns,
            is_link=bool(bits & LINK),
            link_target=self._link_targets.get(i),
            special=self._specials.get(i),
            is_hidden=bool(bits & HIDDEN),
            is_package=bool(bits & PACKAGE),
            mode=None if mode == NO_MODE else mode,
        )

    def is_dir(self, i: int) -> bool:
        return bool(self.flags[i] & DIR)

    # -- sort keys -------------------------------------------------------------------

    def folded(self, i: int) -> str:
        return self.names[i].casefold()

    def time_key(self) -> Callable[[int], int]:
        """Modification time of an entry, in nanoseconds (0 where there is none)."""
        times = self.times
        ns = self._mtime_ns
        if ns is None:
            return lambda i: times[i] * 1000
        return lambda i: ns[i] if ns[i] != NONE else times[i] * 1000

    def primary(self, what: str) -> Callable[[int], Any]:
        """The key of sort ``what`` ("name", "size", "time", "extension") before names break ties."""
        if what == "size":
            return self.sizes.__getitem__
        if what == "time":
            if self._mtime_ns is None:
                return self.times.__getitem__  # same order as nanoseconds, looked up in C
            return self.time_key()
        if what == "extension":
            names = self.names
            return lambda i: extension(names[i])
        return self.folded

    def full_key(self, what: str) -> Callable[[int], Any]:
        """The whole key of sort ``what``: its primary key, then the name, case ignored."""
        if what == "name":
            return self.folded
        primary, folded = self.primary(what), self.folded
        return lambda i: (primary(i), folded(i))
