"""What one pane shows of a folder: sorted, filtered rows and the marked (selected) entries.

Plain Python, no Textual: the FileList draws it, tests check it directly. Built for
100,000 entries (see ``columns``): entries are kept as columns and addressed by index; the
order of the rows is an array of indices per sort key, kept sorted as pages arrive (each
new batch sorted alone and put in place by bisection, not the whole folder sorted again);
hidden files and a filter only pick indices out of that order; a reversed order is the same
array read backwards. So a key that re-sorts, hides or filters 100,000 rows costs one pass in
C (or one sort by a number the first time a key is used), not a sort of Python objects.
"""

from __future__ import annotations

import bisect
import enum
import fnmatch
import re
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import chain, compress
from typing import Any, overload

from core.model import Entry
from tui.widgets.columns import DETAILS, DIR, HIDDEN, MARKED, Columns

__all__ = ["DETAILS", "PARENT", "Listing", "SortKey", "SortOrder", "compile_pattern"]

#: The ".." row at the top of every folder but the root; never marked.
PARENT = Entry(name="..", path="..", is_dir=True)


class SortKey(enum.StrEnum):
    NAME = "name"
    EXTENSION = "extension"
    SIZE = "size"
    TIME = "time"


@dataclass(frozen=True, slots=True)
class SortOrder:
    key: SortKey = SortKey.NAME
    reverse: bool = False


def compile_pattern(pattern: str) -> Callable[[str], bool]:
    """A case-insensitive shell pattern; a pattern without wildcards matches as a substring."""
    pattern = pattern.strip()
    if not pattern:
        return lambda name: True
    if not any(c in pattern for c in "*?["):
        needle = pattern.casefold()
        return lambda name: needle in name.casefold()
    # "*x*" searched as "x*": the same names, without the regex trying every start for ".*".
    rest = pattern.lstrip("*")
    rx = re.compile(fnmatch.translate(rest), re.IGNORECASE)
    if rest != pattern:
        return lambda name: rx.search(name) is not None
    return lambda name: rx.match(name) is not None


#: Index arrays: 4 bytes a row.
INDEX = "i"
#: flags → 1 where the bit is set, for ``bytes.translate``.
_MARKED_TABLE = bytes(1 if b & MARKED else 0 for b in range(256))
_DIR_TABLE = bytes(1 if b & DIR else 0 for b in range(256))
_SHOWN_TABLE = bytes(0 if b & HIDDEN else 1 for b in range(256))


def merged(run: array[int], new: list[int], key: Callable[[int], Any]) -> array[int]:
    """``run`` with ``new`` put in place; both ascending by ``key``, ties after ``run``'s.

    Each new index is placed by bisection, so sorting in a page costs the page's size times
    log(rows) key lookups and one copy of the array, however big the folder.
    """
    if not new:
        return run
    out = array(INDEX)
    lo = 0
    end = len(run)
    if end and key(new[0]) >= key(run[-1]):  # arriving in order (the usual case)
        out += run
        lo = end
    for i in new:
        if lo < end:
            hi = bisect.bisect_right(run, key(i), lo, end, key=key)
            out += run[lo:hi]
            lo = hi
        out.append(i)
    out += run[lo:]
    return out


def _both(a: bytearray, b: bytes | bytearray) -> bytearray:
    """Byte-wise AND of two 0/1 byte strings of one length (in C, via big integers)."""
    n = len(a)
    return bytearray(
        (int.from_bytes(a, "little") & int.from_bytes(b, "little")).to_bytes(n, "little")
    )


def _either(a: bytes | bytearray, b: bytes | bytearray) -> bytearray:
    n = len(a)
    return bytearray(
        (int.from_bytes(a, "little") | int.from_bytes(b, "little")).to_bytes(n, "little")
    )


class Rows(Sequence[Entry]):
    """The rows as shown: ``..`` (when there is a parent), the folders, then the files."""

    def __init__(self, listing: Listing) -> None:
        self._listing = listing

    def __len__(self) -> int:
        return self._listing.row_count

    @overload
    def __getitem__(self, row: int) -> Entry: ...
    @overload
    def __getitem__(self, row: slice) -> list[Entry]: ...
    def __getitem__(self, row: int | slice) -> Entry | list[Entry]:
        if isinstance(row, slice):
            return [self[r] for r in range(*row.indices(len(self)))]
        listing = self._listing
        if row < 0:
            row += listing.row_count
        if not 0 <= row < listing.row_count:
            raise IndexError(row)
        index = listing.index_at(row)
        return PARENT if index is None else listing.columns.entry(index)

    def __iter__(self) -> Iterator[Entry]:
        listing = self._listing
        if listing.has_parent:
            yield PARENT
        for i in listing.shown_indices():
            yield listing.columns.entry(i)


class Entries(Sequence[Entry]):
    """Every entry received, in arrival order (hidden and filtered ones too)."""

    def __init__(self, columns: Columns) -> None:
        self._columns = columns

    def __len__(self) -> int:
        return len(self._columns)

    @overload
    def __getitem__(self, i: int) -> Entry: ...
    @overload
    def __getitem__(self, i: slice) -> list[Entry]: ...
    def __getitem__(self, i: int | slice) -> Entry | list[Entry]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        return self._columns.entry(i)


class Listing:
    """The rows of one folder as shown, and the marks on them."""

    def __init__(self, *, has_parent: bool = False) -> None:
        self.has_parent = has_parent
        self.columns = Columns()
        self.entries = Entries(self.columns)
        self.rows = Rows(self)
        self.order = SortOrder()
        self.show_hidden = False
        self.filter = ""
        self.complete = False
        #: Folders carry a size worth showing (disk usage) instead of "<DIR>".
        self.folder_sizes = False
        #: Sum of the sizes of every entry received (files; folders count 0).
        self.total_size = 0
        #: Sum of the sizes of the files shown (hidden and filtered ones left out).
        self.shown_size = 0
        self._marked_count = 0
        self._marked_size = 0
        #: Entries sorted in so far (the rest arrived since and wait for ``merge_pending``).
        self._sorted_in = 0
        #: Per sort key: (folders, files), every one of them, ascending. The name order is
        #: kept always (other orders are sorted from it); others are made when first asked.
        self._orders: dict[SortKey, tuple[array[int], array[int]]] = {}
        #: What the shown rows were picked for: (sort key, hidden shown, filter).
        self._shown_for: tuple[SortKey, bool, str] | None = None
        #: Per entry, 1 if shown; None while every entry sorted in is shown.
        self._visible: bytearray | None = None
        #: The folders and files shown, ascending (``order.reverse`` reads them backwards).
        self._dirs: array[int] = array(INDEX)
        self._files: array[int] = array(INDEX)
        #: For ``find``: the shown names case-folded, one a line, and where each starts.
        self._folded: str | None = None
        self._starts: array[int] | None = None

    # -- filling ---------------------------------------------------------------

    def add_page(self, page: Iterable[Entry]) -> None:
        """Keep a page; it shows after the next ``merge_pending`` or ``rebuild``."""
        self.total_size += self.columns.extend(page)

    @property
    def pending(self) -> int:
        """Entries received since the last rebuild, not yet in ``rows``."""
        return len(self.columns) - self._sorted_in

    def replace(self, entries: list[Entry]) -> None:
        """Show ``entries`` instead; marks stay on the names still there."""
        marked = {e.name for e in self.marked_entries(shown_only=False)}
        self.columns = Columns()
        self.entries = Entries(self.columns)
        self.total_size = self.columns.extend(entries)
        self._sorted_in = 0
        self._orders = {}
        self._shown_for = None
        self._marked_count = self._marked_size = 0
        self.mark_names(marked)
        self.rebuild()

    def rebuild(self) -> None:
        """Bring the rows up to date with what arrived and with the order, hidden files and
        filter (sorting again only for a key not used since the last page arrived)."""
        self.merge_pending()

    def merge_pending(self) -> None:
        """Sort the entries received since the last rebuild into the rows.

        The new ones are sorted alone and each is put in place by bisection in the sorted
        rest; only the orders kept (by name, and by the current key) are updated.
        """
        start, end = self._sorted_in, len(self.columns)
        key = self.order.key
        wanted = (key, self.show_hidden, self.filter)
        if start == end and wanted == self._shown_for:
            return
        self._folded = self._starts = None
        self._sorted_in = end
        new_dirs, new_files = self._sort_in(start, end)
        shown_for = self._shown_for
        if shown_for is not None and shown_for[1:] == wanted[1:]:
            visible = self._visibility(range(start, end))
            if visible is not None or self._visible is not None:
                if self._visible is None:
                    self._visible = bytearray(b"\x01") * start
                self._visible += visible if visible is not None else b"\x01" * (end - start)
        else:
            self._visible = self._visibility(range(end))
        self._shown_for = wanted
        if shown_for != wanted:
            if key not in self._orders:
                self._orders[key] = self._sorted_by(key)
            self._pick_shown()
            return
        # The same view as before: put the new rows that show in place.
        columns = self.columns
        sizes = columns.sizes
        shown = self._visible
        if shown is None:
            self._dirs, self._files = self._orders[key]
            self.shown_size += sum(map(sizes.__getitem__, new_files))
            return
        dir_key = columns.full_key("time" if key is SortKey.TIME else "name")
        file_key = columns.full_key(key.value)
        shown_dirs = sorted((i for i in new_dirs if shown[i]), key=dir_key)
        shown_files = sorted((i for i in new_files if shown[i]), key=file_key)
        self._dirs = merged(self._dirs, shown_dirs, dir_key)
        self._files = merged(self._files, shown_files, file_key)
        self.shown_size += sum(map(sizes.__getitem__, shown_files))

    def _sort_in(self, start: int, end: int) -> tuple[list[int], list[int]]:
        """Sort entries ``start:end`` into the orders kept: by name always, and by the
        current key if it has one (others are dropped, and made again when asked for)."""
        is_dir = self.columns.is_dir
        new_dirs = [i for i in range(start, end) if is_dir(i)]
        new_files = [i for i in range(start, end) if not is_dir(i)]
        key = self.order.key
        for other in [k for k in self._orders if k is not SortKey.NAME and k is not key]:
            del self._orders[other]
        for sort_key in dict.fromkeys((SortKey.NAME, key)):
            if sort_key is SortKey.NAME or sort_key in self._orders:
                self._orders[sort_key] = self._merged_order(sort_key, new_dirs, new_files)
        return new_dirs, new_files

    def _merged_order(
        self, key: SortKey, new_dirs: list[int], new_files: list[int]
    ) -> tuple[array[int], array[int]]:
        columns = self.columns
        dir_key = columns.full_key("time" if key is SortKey.TIME else "name")
        file_key = columns.full_key(key.value)
        old = self._orders.get(key)
        if old is None:
            return (
                array(INDEX, sorted(new_dirs, key=dir_key)),
                array(INDEX, sorted(new_files, key=file_key)),
            )
        if key is not SortKey.NAME and key is not SortKey.TIME:
            dirs = self._orders[SortKey.NAME][0]  # folders stay by name (merged just now)
        else:
            dirs = merged(old[0], sorted(new_dirs, key=dir_key), dir_key)
        return dirs, merged(old[1], sorted(new_files, key=file_key), file_key)

    def _sorted_by(self, key: SortKey) -> tuple[array[int], array[int]]:
        """Every folder and file in ``key`` order: the name order sorted again by the key's
        primary part alone (a stable sort, so equal sizes or times stay in name order)."""
        dirs, files = self._orders[SortKey.NAME]
        primary = self.columns.primary(key.value)
        if key is SortKey.TIME:
            dirs = array(INDEX, sorted(dirs, key=primary))
        return dirs, array(INDEX, sorted(files, key=primary))

    def _visibility(self, indices: range) -> bytearray | None:
        """1 for each of ``indices`` shown, by hidden files and the filter; None if all are."""
        flags = self.columns.flags[indices.start : indices.stop]
        shown: bytearray | None = None
        if not self.show_hidden:
            hidden = flags.translate(_SHOWN_TABLE)
            if 0 in hidden:
                shown = bytearray(hidden)
        if self.filter:
            match = compile_pattern(self.filter)
            names = self.columns.names.between(indices.start, indices.stop)
            matches = bytearray(map(match, names))
            if 0 in matches:
                passed = _either(matches, flags.translate(_DIR_TABLE))  # folders always show
                shown = passed if shown is None else _both(shown, passed)
        return shown

    def _pick_shown(self) -> None:
        """The shown folders and files: the current order, less what is not visible."""
        dirs, files = self._orders[self.order.key]
        sizes = self.columns.sizes
        visible = self._visible
        if visible is None:
            self._dirs, self._files = dirs, files
            self.shown_size = self.total_size - sum(map(sizes.__getitem__, dirs))
        else:
            self._dirs = array(INDEX, compress(dirs, map(visible.__getitem__, dirs)))
            self._files = array(INDEX, compress(files, map(visible.__getitem__, files)))
            self.shown_size = sum(map(sizes.__getitem__, self._files))
        self._folded = self._starts = None

    def set_order(self, order: SortOrder) -> None:
        self.order = order
        self.rebuild()

    # -- rows and indices ----------------------------------------------------------

    def __len__(self) -> int:
        return self.row_count

    @property
    def row_count(self) -> int:
        return self.has_parent + len(self._dirs) + len(self._files)

    @property
    def shown_count(self) -> int:
        """Entries shown (``..`` not counted); what the pane and the status bar count."""
        return len(self._dirs) + len(self._files)

    @property
    def hidden_count(self) -> int:
        """Entries received but not shown: hidden ones, filtered ones, or not sorted in yet."""
        return len(self.columns) - self.shown_count

    def index_at(self, row: int) -> int | None:
        """The entry index of ``row`` (None for ``..``); ``row`` must be in range."""
        r = row - self.has_parent
        if r < 0:
            return None
        reverse = self.order.reverse
        dirs = self._dirs
        if r < len(dirs):
            return dirs[-1 - r] if reverse else dirs[r]
        r -= len(dirs)
        files = self._files
        return files[-1 - r] if reverse else files[r]

    def row_of(self, index: int) -> int | None:
        """The row showing entry ``index``, if it is shown."""
        part = self._dirs if self.columns.is_dir(index) else self._files
        try:
            at = part.index(index)
        except ValueError:
            return None
        if self.order.reverse:
            at = len(part) - 1 - at
        if part is self._files:
            at += len(self._dirs)
        return at + self.has_parent

    def shown_indices(self) -> Iterator[int]:
        """Entry indices of the rows after ``..``, in row order."""
        if self.order.reverse:
            return chain(reversed(self._dirs), reversed(self._files))
        return chain(self._dirs, self._files)

    def index_of(self, name: str) -> int | None:
        """The row of the entry named ``name``, if one is shown (``..``: the parent row)."""
        names = self.columns.names
        i = -1
        while True:
            try:
                i = names.index(name, i + 1)
            except ValueError:
                return 0 if name == PARENT.name and self.has_parent else None
            row = self.row_of(i)
            if row is not None:
                return row

    def received(self, name: str, since: int = 0) -> bool:
        """Whether an entry named ``name`` arrived (at or after index ``since``)."""
        try:
            self.columns.names.index(name, since)
        except ValueError:
            return False
        return True

    def find(self, text: str, start: int = 0, step: int = 1) -> int | None:
        """The first row from ``start`` (wrapping) whose name starts with ``text``, else contains it."""
        count = self.row_count
        needle = text.casefold()
        if not count or not needle or "\n" in needle:
            return None
        folded, starts = self._names_text()
        start %= count
        # Where row ``start`` begins, and where its name ends (at the newline after it).
        begin = starts[start]
        end = starts[start + 1] - 1 if start + 1 < count else len(folded) - 1
        for sub in ("\n" + needle, needle):  # a name that starts so, then one that contains it
            if step > 0:  # rows start, start+1, …, then from the top
                at = folded.find(sub, begin - 1 if sub[0] == "\n" else begin)
            else:  # rows start, start-1, …, then from the bottom
                at = folded.rfind(sub, 0, begin - 1 + len(sub) if sub[0] == "\n" else end)
            if at < 0:
                at = folded.find(sub) if step > 0 else folded.rfind(sub)
            if at >= 0:
                return bisect.bisect_right(starts, at + 1 if sub[0] == "\n" else at) - 1
        return None

    def _names_text(self) -> tuple[str, array[int]]:
        """The shown names case-folded, each after a newline, and where each row's begins."""
        if self._folded is None or self._starts is None:
            names = self.columns.names
            folded = [".."] if self.has_parent else []
            folded += [names[i].casefold() for i in self.shown_indices()]
            starts = array(INDEX, [0]) * len(folded)
            at = 1
            for row, name in enumerate(folded):
                starts[row] = at
                at += len(name) + 1
            self._folded = "\n" + "\n".join(folded) + "\n"
            self._starts = starts
        return self._folded, self._starts

    # -- marks -------------------------------------------------------------------

    def row_marked(self, row: int) -> bool:
        index = self.index_at(row)
        return index is not None and bool(self.columns.flags[index] & MARKED)

    def is_marked(self, entry: Entry) -> bool:
        if entry is PARENT:
            return False
        row = self.index_of(entry.name)
        return row is not None and self.row_marked(row)

    @property
    def marked_count(self) -> int:
        return self._marked_count

    @property
    def marked_size(self) -> int:
        return self._marked_size

    def marked_entries(self, *, shown_only: bool = True) -> list[Entry]:
        """Marked entries in row order (``shown_only``: those a filter or hiding leaves)."""
        if not self._marked_count:
            return []
        marks = self.columns.flags.translate(_MARKED_TABLE)
        entry = self.columns.entry
        if not shown_only:
            return [entry(i) for i in compress(range(len(marks)), marks)]
        order = list(self.shown_indices())
        return [entry(i) for i in compress(order, map(marks.__getitem__, order))]

    def marked_names(self) -> set[str]:
        """Names of the marked entries shown (what a reload marks again), without making
        an entry of each."""
        if not self._marked_count:
            return set()
        flags, names = self.columns.flags, self.columns.names
        return {names[i] for i in self.shown_indices() if flags[i] & MARKED}

    def _set_mark(self, index: int, mark: bool) -> bool:
        """Mark or unmark entry ``index``; returns whether that changed it."""
        flags = self.columns.flags
        if bool(flags[index] & MARKED) == mark:
            return False
        flags[index] ^= MARKED
        size = self.columns.sizes[index]
        self._marked_count += 1 if mark else -1
        self._marked_size += size if mark else -size
        return True

    def toggle(self, row: int) -> bool:
        """Flip the mark of one row; returns whether it is marked now."""
        index = self.index_at(row)
        if index is None:
            return False
        marked = not self.columns.flags[index] & MARKED
        self._set_mark(index, marked)
        return marked

    def _shown_matching(self, pattern: str, dirs: bool) -> Iterator[int]:
        match = compile_pattern(pattern)
        names, flags = self.columns.names, self.columns.flags
        for i in self.shown_indices():
            if (dirs or not flags[i] & DIR) and match(names[i]):
                yield i

    def mark_pattern(self, pattern: str, *, mark: bool = True, dirs: bool = False) -> int:
        """Mark (or unmark) the shown entries matching ``pattern``; returns how many changed."""
        return sum(self._set_mark(i, mark) for i in list(self._shown_matching(pattern, dirs)))

    def invert(self, pattern: str = "*", *, dirs: bool = False) -> None:
        flags = self.columns.flags
        for i in list(self._shown_matching(pattern, dirs)):
            self._set_mark(i, not flags[i] & MARKED)

    def mark_names(self, names: set[str], *, shown_only: bool = False) -> int:
        """Mark the entries with these names (a comparison's result, or the marks a reload
        keeps); returns how many."""
        if not names:
            return 0
        every = self.columns.names
        candidates = self.shown_indices() if shown_only else range(len(every))
        count = 0
        for i in [i for i in candidates if every[i] in names]:
            self._set_mark(i, True)
            count += 1
        return count

    def clear_marks(self) -> None:
        flags = self.columns.flags
        if self._marked_count:
            flags[:] = flags.translate(bytes(b & ~MARKED for b in range(256)))
        self._marked_count = 0
        self._marked_size = 0
