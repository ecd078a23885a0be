"""Download URLs seen in listings and stats, kept a few minutes so a read needs one request.

Graph puts a pre-authenticated ``@microsoft.graph.downloadUrl`` in every file item it lists
(unless ``$select`` is used, GRAPH.md §3). Keeping it lets ``open_read`` go straight to the
bytes instead of asking for the item, then ``/content``, then following the 302. The URLs are
short-lived ("a few minutes" to an hour per the docs), so an entry expires after ``ttl``
seconds, and a URL the service refuses is dropped by the reader, which then asks
``/content`` for a fresh one. The cache is keyed by case-folded path (OneDrive names are
case-insensitive), forgets a path (and everything below it) whenever this backend changes
it, and is bounded by the memory it takes (least recently stored go first): it keeps only
what a read needs (id, size, hashes, URL), and a 100,000-file listing keeps the URLs of the
last couple of thousand files, not ten thousand whole entries (~12 MB, a sixth of what the
TUI may take in all).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from core.model import Entry

#: Seconds a listed URL is used before the item is asked again (the docs promise minutes).
TTL = 300.0
#: Entries kept at most.
CAPACITY = 10_000
#: Bytes kept at most, as ``cost`` counts them (Graph's URLs are 250–500 characters).
BUDGET = 2 * 1024 * 1024
#: What a kept file takes besides the characters of its strings: the record, the string
#: and float objects, the dictionary slots, a hash mapping (measured with tracemalloc).
OVERHEAD = 670


@dataclass(frozen=True, slots=True)
class KnownDownload:
    """What a read of a listed file needs: its id, size and hashes, and the URL its bytes
    can be fetched from until ``expires``."""

    item_id: str | None
    size: int
    hashes: Mapping[str, str]
    url: str
    expires: float

    def cost(self, key: str) -> int:
        """Bytes this takes when kept under ``key`` (near enough to bound the total)."""
        hashes = sum(len(v) for v in self.hashes.values())
        return OVERHEAD + len(key) + len(self.url) + len(self.item_id or "") + hashes


class DownloadUrls:
    """Path → ``KnownDownload``, bounded and expiring; ``clock`` is replaceable for tests."""

    def __init__(
        self,
        capacity: int = CAPACITY,
        ttl: float = TTL,
        clock: Callable[[], float] = time.monotonic,
        budget: int = BUDGET,
    ) -> None:
        self.capacity = capacity
        self.ttl = ttl
        self.clock = clock
        self.budget = budget
        #: What the kept files take, as ``KnownDownload.cost`` counts it.
        self.used = 0
        self._known: OrderedDict[str, KnownDownload] = OrderedDict()

    def __len__(self) -> int:
        return len(self._known)

    def remember(self, entry: Entry, url: str) -> None:
        """Keep ``url`` for the file ``entry`` describes."""
        key = entry.path.casefold()
        known = self._known
        self._drop(key)
        kept = KnownDownload(entry.id, entry.size, entry.hashes, url, self.clock() + self.ttl)
        known[key] = kept
        self.used += kept.cost(key)
        while known and (len(known) > self.capacity or self.used > self.budget):
            oldest, dropped = known.popitem(last=False)
            self.used -= dropped.cost(oldest)

    def _drop(self, key: str) -> None:
        dropped = self._known.pop(key, None)
        if dropped is not None:
            self.used -= dropped.cost(key)

    def get(self, path: str) -> KnownDownload | None:
        """The fresh entry for ``path``, or None (an expired one is dropped)."""
        key = path.casefold()
        found = self._known.get(key)
        if found is None:
            return None
        if found.expires <= self.clock():
            self._drop(key)
            return None
        return found

    def forget(self, path: str) -> None:
        """Drop ``path`` (its URL failed, or the file changed)."""
        self._drop(path.casefold())

    def forget_tree(self, path: str) -> None:
        """Drop ``path`` and everything below it (a folder was moved or deleted)."""
        key = path.casefold()
        self._drop(key)
        below = key.rstrip("/") + "/"
        for stale in [k for k in self._known if k.startswith(below)]:
            self._drop(stale)

    def clear(self) -> None:
        self._known.clear()
        self.used = 0
