"""Find files by name (and, where the backend has an index, by content) below a folder.

A backend with the ``Search`` capability is asked through its index (OneDrive: Graph's
drive search); any other backend is walked. Results stream page by page, so a UI can show
the first hits while the rest are still coming. ``*`` and ``?`` in a query make it a name
pattern: the index is asked for the text around them and its hits are filtered by name.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from core import errors
from core.backend import Backend, Search
from core.model import Entry
from core.walk import usable, walk

_WILDCARDS = re.compile(r"[*?\[\]]")


@dataclass(frozen=True, slots=True)
class Query:
    """A user's query made safe for an index and for matching names."""

    text: str
    #: What goes to a search index: no wildcards, no ``/`` (Graph refuses it), spaces tidied.
    index_text: str
    #: Whether a name must match the whole pattern (the query had wildcards).
    pattern: bool

    def matches_name(self, name: str) -> bool:
        folded = name.casefold()
        if self.pattern:
            return fnmatch.fnmatchcase(folded, self.text.casefold())
        return all(word in folded for word in self.text.casefold().split())


def parse_query(text: str) -> Query:
    """``text`` as a ``Query``; raises ``InvalidName`` for a query with nothing to look for."""
    cleaned = " ".join(text.split())
    if not cleaned:
        raise errors.InvalidName("the search text is empty")
    pattern = bool(_WILDCARDS.search(cleaned))
    index_text = " ".join(_WILDCARDS.sub(" ", cleaned).replace("/", " ").split())
    if pattern and not index_text.strip("."):
        index_text = ""  # "*" or "*.*": every item, found by walking
    return Query(cleaned, index_text, pattern)


async def search(
    backend: Backend,
    text: str,
    path: str = "/",
    *,
    use_index: bool = True,
    on_folder: Callable[[str], None] | None = None,
) -> AsyncIterator[list[Entry]]:
    """Pages of entries below ``path`` matching ``text``.

    ``use_index`` False walks even where the backend has an index (exact names, no lag,
    but one listing per folder). ``on_folder`` hears each folder a walk lists.
    """
    query = parse_query(text)
    if use_index and isinstance(backend, Search) and query.index_text:
        async for page in backend.search(query.index_text, path):
            kept = [e for e in usable(page)[0] if not query.pattern or query.matches_name(e.name)]
            if kept:
                yield kept
        return
    async for listed in walk(backend, path):
        if listed.error is not None and listed.depth == 0:
            raise listed.error
        if on_folder is not None:
            on_folder(listed.path)
        kept = [e for e in listed.entries if query.matches_name(e.name)]
        if kept:
            yield kept
