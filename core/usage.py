"""Disk usage: folder sizes for a drive or folder, like ``ncdu``.

Where the backend can enumerate a whole tree at once (``TreeListing``: OneDrive's delta)
one enumeration gives every size; elsewhere the tree is walked folder by folder. Sizes
are the sum of the file sizes below a folder (not the server's own folder ``size``, which
Business has been seen to get wrong).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from core import errors
from core.backend import Backend, TreeListing
from core.model import Entry
from core.paths import basename, parent
from core.walk import usable, walk


@dataclass(slots=True, eq=False)
class UsageNode:
    """A folder (or file) with the totals of everything below it."""

    name: str
    path: str
    is_dir: bool
    size: int = 0
    files: int = 0
    folders: int = 0
    children: list[UsageNode] = field(default_factory=list)
    entry: Entry | None = None

    def sort(self) -> None:
        """Children biggest first, at every level."""
        self.children.sort(key=lambda n: (-n.size, n.name.casefold()))
        for child in self.children:
            if child.children:
                child.sort()

    def find(self, path: str) -> UsageNode | None:
        """The node at ``path`` below this one."""
        if path.rstrip("/") == self.path.rstrip("/"):
            return self
        for child in self.children:
            if child.is_dir and (path + "/").startswith(child.path.rstrip("/") + "/"):
                return child.find(path)
        return None


@dataclass(slots=True)
class UsageReport:
    root: UsageNode
    #: "delta" (one enumeration) or "walk" (a listing per folder).
    method: str
    problems: list[tuple[str, str]] = field(default_factory=list)


def _build(top: str, entries: list[Entry]) -> UsageNode:
    root = UsageNode(basename(top) or top, top, True)
    nodes: dict[str, UsageNode] = {top: root}
    # Parents before children: sort by depth so each parent node exists when needed.
    entries.sort(key=lambda e: e.path.count("/"))
    for e in entries:
        holder = nodes.get(parent(e.path))
        if holder is None:
            continue  # below a folder that was not listed (or a hostile path): left out
        is_dir = e.is_dir and not e.is_link
        node = UsageNode(e.name, e.path, is_dir, 0 if is_dir else e.size, entry=e)
        if is_dir:
            nodes[e.path] = node
        holder.children.append(node)
    _total(root)
    root.sort()
    return root


def _total(node: UsageNode) -> None:
    # Iterative post-order: a deep tree must not hit the recursion limit.
    order: list[UsageNode] = []
    stack = [node]
    while stack:
        n = stack.pop()
        order.append(n)
        stack.extend(c for c in n.children if c.is_dir)
    for n in reversed(order):
        for c in n.children:
            if c.is_dir:
                n.size += c.size
                n.files += c.files
                n.folders += 1 + c.folders
            else:
                n.size += c.size
                n.files += 1


async def disk_usage(
    backend: Backend,
    path: str,
    *,
    progress: Callable[[int], None] | None = None,
    use_delta: bool = True,
) -> UsageReport:
    """Sizes below ``path``; ``progress`` hears how many items were read so far."""
    entries: list[Entry] = []
    problems: list[tuple[str, str]] = []
    top = await backend.stat(path)
    if not top.is_dir:
        raise errors.NotADirectory("disk usage needs a folder", path=path)
    if use_delta and isinstance(backend, TreeListing):
        async for page in backend.list_tree(top.path, progress):
            kept, refused = usable(page)
            entries.extend(kept)
            problems.extend(refused)
        method = "delta"
    else:
        async for listed in walk(backend, top.path):
            if listed.error is not None:
                if listed.depth == 0:
                    raise listed.error
                problems.append((listed.path, str(listed.error)))
            entries.extend(listed.entries)
            problems.extend(listed.refused)
            if progress is not None:
                progress(len(entries))
        method = "walk"
    return UsageReport(_build(top.path, entries), method, problems)
