"""A whole folder tree in one enumeration: Graph's ``delta`` (GRAPH-second-wave.md §4).

A full delta lists every item below a folder, parents usually before children, in pages of
up to ``$top`` items, with no ``parentReference.path`` to rely on: paths are rebuilt here
from parent ids. Items from other drives (``remoteItem``) and deleted ones are left out.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

from core import errors
from core.model import Entry
from core.paths import join, normalize

if TYPE_CHECKING:
    from core.backends.onedrive.graph import GraphClient
    from core.backends.onedrive.items import Addressing, Converter

#: What a delta page needs to carry for sizes and paths.
SELECT = "id,name,size,folder,file,package,root,deleted,remoteItem,parentReference,fileSystemInfo"
#: Items asked per delta page (Graph's maximum; pages may still be shorter).
TOP = "1000"
#: Deepest parent chain followed before an item is taken for part of a loop.
MAX_DEPTH = 1000
#: Entries per yielded page.
PAGE = 5000


class TreeMixin:
    """``list_tree`` for ``OneDriveBackend``."""

    if TYPE_CHECKING:
        graph: GraphClient
        addressing: Addressing
        convert: Converter

        def _stored(self, path: str) -> str: ...

        async def stat(self, path: str) -> Entry: ...

    async def list_tree(
        self, path: str, progress: Callable[[int], None] | None = None
    ) -> AsyncIterator[list[Entry]]:
        """Every file and folder below ``path`` (not ``path`` itself), from one delta."""
        top = normalize(path)
        top_entry = await self.stat(top)
        if not top_entry.is_dir:
            raise errors.NotADirectory("not a folder", path=top)
        address = self.addressing.by_path(self._stored(top), "delta")
        params = {**address.params, "$select": SELECT, "$top": TOP}
        #: id → (parent id, raw item)
        items: dict[str, tuple[str | None, dict[str, Any]]] = {}
        seen = 0
        async for values in self.graph.pages(address.url, params=params, path=top):
            for v in values:
                item_id = v.get("id")
                if not isinstance(item_id, str):
                    continue
                if "deleted" in v or "remoteItem" in v:
                    items.pop(item_id, None)  # the last state of an item wins
                    continue
                ref = v.get("parentReference") or {}
                parent_id = ref.get("id") if isinstance(ref, dict) else None
                items[item_id] = (parent_id if isinstance(parent_id, str) else None, v)
            seen += len(values)
            if progress is not None:
                progress(seen)
        paths: dict[str, str | None] = {str(top_entry.id): top}

        def path_of(item_id: str) -> str | None:
            chain: list[str] = []
            node: str | None = item_id
            while node is not None and node not in paths and len(chain) < MAX_DEPTH:
                chain.append(node)
                record = items.get(node)
                node = record[0] if record is not None else None
            known = paths.get(node) if node is not None else None
            for link in reversed(chain):  # from the known ancestor down
                record = items.get(link)
                if known is None or record is None or "root" in record[1]:
                    paths[link] = known = None
                else:
                    name = self.convert.name(str(record[1].get("name", "")))
                    paths[link] = known = join(known, name) if name else None
            return paths.get(item_id)

        page: list[Entry] = []
        for item_id, (_parent, raw) in items.items():
            if item_id == top_entry.id:
                continue
            where = path_of(item_id)
            if where is None:
                continue
            page.append(self.convert.entry(raw, "", path=where))
            if len(page) >= PAGE:
                yield page
                page = []
        if page:
            yield page
