"""Download URLs seen in listings and stats, kept a few minutes so a read needs one request.

Graph puts a pre-authenticated ``@microsoft.graph.downloadUrl`` in every file item it lists
(unless ``$select`` is used, GRAPH.md §3). Keeping it lets ``open_read`` go straight to the
bytes instead of asking for the item, then ``/content``, then following the 302. The URLs are
short-lived ("a few minutes" to an hour per the docs), so an entry expires after ``ttl``
seconds, and a URL the service refuses is dropped by the reader, which then asks
``/content`` for a fresh one. The cache is bounded (least recently stored go first), keyed by
case-folded path (OneDrive names are case-insensitive), and forgets a path (and everything
below it) whenever this backend changes it.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from core.model import Entry

#: Seconds a listed URL is used before the item is asked again (the docs promise minutes).
TTL = 300.0
#: Entries kept at most (a URL is ~250 bytes: about 5 MB when full).
CAPACITY = 10_000


@dataclass(frozen=True, slots=True)
class KnownDownload:
    """A file as listed, with the URL its bytes can be fetched from until ``expires``."""

    entry: Entry
    url: str
    expires: float


class DownloadUrls:
    """Path → ``KnownDownload``, bounded and expiring; ``clock`` is replaceable for tests."""

    def __init__(
        self,
        capacity: int = CAPACITY,
        ttl: float = TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.capacity = capacity
        self.ttl = ttl
        self.clock = clock
        self._known: OrderedDict[str, KnownDownload] = OrderedDict()

    def __len__(self) -> int:
        return len(self._known)

    def remember(self, entry: Entry, url: str) -> None:
        """Keep ``url`` for the file ``entry`` describes."""
        key = entry.path.casefold()
        known = self._known
        known[key] = KnownDownload(entry, url, self.clock() + self.ttl)
        known.move_to_end(key)
        if len(known) > self.capacity:
            known.popitem(last=False)

    def get(self, path: str) -> KnownDownload | None:
        """The fresh entry for ``path``, or None (an expired one is dropped)."""
        key = path.casefold()
        found = self._known.get(key)
        if found is None:
            return None
        if found.expires <= self.clock():
            del self._known[key]
            return None
        return found

    def forget(self, path: str) -> None:
        """Drop ``path`` (its URL failed, or the file changed)."""
        self._known.pop(path.casefold(), None)

    def forget_tree(self, path: str) -> None:
        """Drop ``path`` and everything below it (a folder was moved or deleted)."""
        key = path.casefold()
        self._known.pop(key, None)
        below = key.rstrip("/") + "/"
        for stale in [k for k in self._known if k.startswith(below)]:
            del self._known[stale]

    def clear(self) -> None:
        self._known.clear()
