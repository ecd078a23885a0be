"""The Listing model behind a FileList: sorting, hiding, filtering, finding, marks."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.model import Entry
from tui.widgets.listing import PARENT, Listing, SortKey, SortOrder, compile_pattern


def entry(name: str, size: int = 0, *, is_dir: bool = False, day: int = 1) -> Entry:
    return Entry(
        name=name,
        path="/x/" + name,
        is_dir=is_dir,
        size=size,
        modified=datetime(2024, 1, day, tzinfo=UTC),
        is_hidden=name.startswith("."),
    )


def filled(*entries: Entry, parent: bool = True) -> Listing:
    listing = Listing(has_parent=parent)
    listing.add_page(list(entries))
    listing.rebuild()
    return listing


def names(listing: Listing) -> list[str]:
    return [e.name for e in listing.rows]


def test_folders_come_first_then_files_by_name_ignoring_case() -> None:
    listing = filled(
        entry("b.txt"), entry("Zoo", is_dir=True), entry("A.txt"), entry("a", is_dir=True)
    )
    assert names(listing) == ["..", "a", "Zoo", "A.txt", "b.txt"]


def test_sort_by_size_time_and_extension_and_reversed() -> None:
    files = [entry("x.b", 30, day=2), entry("y.a", 10, day=3), entry("z.c", 20, day=1)]
    listing = filled(*files, parent=False)
    listing.set_order(SortOrder(SortKey.SIZE))
    assert names(listing) == ["y.a", "z.c", "x.b"]
    listing.set_order(SortOrder(SortKey.TIME, reverse=True))
    assert names(listing) == ["y.a", "x.b", "z.c"]
    listing.set_order(SortOrder(SortKey.EXTENSION))
    assert names(listing) == ["y.a", "x.b", "z.c"]


def test_reversed_sort_keeps_folders_first() -> None:
    listing = filled(entry("a.txt"), entry("dir", is_dir=True), parent=False)
    listing.set_order(SortOrder(SortKey.NAME, reverse=True))
    assert names(listing) == ["dir", "a.txt"]


def test_hidden_entries_show_only_when_asked() -> None:
    listing = filled(entry(".secret"), entry("plain"), parent=False)
    assert names(listing) == ["plain"]
    listing.show_hidden = True
    listing.rebuild()
    assert names(listing) == [".secret", "plain"]


def test_filter_keeps_folders_and_matching_files() -> None:
    listing = filled(entry("a.txt"), entry("b.jpg"), entry("pics", is_dir=True), parent=False)
    listing.filter = "*.jpg"
    listing.rebuild()
    assert names(listing) == ["pics", "b.jpg"]
    listing.filter = "a."  # no wildcard: a substring
    listing.rebuild()
    assert names(listing) == ["pics", "a.txt"]


def test_find_prefers_prefix_wraps_and_steps_backwards() -> None:
    listing = filled(
        entry("alpha"), entry("beta"), entry("alphabet"), entry("gamma-alp"), parent=False
    )
    assert listing.find("alp", 0) == 0
    assert listing.find("alp", 1) == 1  # "alphabet" from row 1 on
    assert listing.find("ALP", 2) == 0  # wraps around, case-insensitive
    assert listing.find("amma", 0) == 3  # no prefix match: substring
    assert listing.find("alp", 0, -1) == 0
    assert listing.find("nothing") is None


def test_index_of_finds_shown_rows_and_the_parent_row() -> None:
    listing = filled(entry("a"), entry(".hidden"), entry("b"))
    assert listing.index_of("..") == 0
    assert listing.index_of("b") == 2
    assert listing.index_of(".hidden") is None  # received but not shown
    assert filled(entry("a"), parent=False).index_of("..") is None


def test_marks_count_size_and_never_include_parent() -> None:
    listing = filled(entry("a", 10), entry("b", 20), entry("c.txt", 5))
    assert listing.toggle(0) is False  # the ".." row
    listing.toggle(1)
    listing.toggle(2)
    assert (listing.marked_count, listing.marked_size) == (2, 30)
    assert [e.name for e in listing.marked_entries()] == ["a", "b"]
    listing.toggle(1)
    assert (listing.marked_count, listing.marked_size) == (1, 20)


def test_pattern_select_unselect_and_invert() -> None:
    listing = filled(
        entry("a.txt", 1), entry("b.txt", 2), entry("c.jpg", 4), entry("d", is_dir=True)
    )
    assert listing.mark_pattern("*.txt") == 2
    assert listing.marked_size == 3
    assert listing.mark_pattern("a*", mark=False) == 1
    listing.invert()
    assert sorted(e.name for e in listing.marked_entries()) == ["a.txt", "c.jpg"]
    assert PARENT not in listing.marked_entries()


def test_replace_drops_marks_of_vanished_entries() -> None:
    listing = filled(entry("a", 1), entry("b", 2))
    listing.mark_pattern("*")
    listing.replace([entry("b", 2)])
    assert [e.name for e in listing.marked_entries()] == ["b"]
    assert listing.marked_size == 2


def test_pattern_without_wildcards_is_a_substring() -> None:
    match = compile_pattern("port")
    assert match("Report.PDF") and not match("notes")


def test_hundred_thousand_entries_sort() -> None:
    # How fast belongs in tests/bench/ (re-sorting 100k rows is a #15 figure). A wall-clock
    # limit here failed on a busy machine (3.8 s at load 12 on 2 cores).
    listing = Listing()
    listing.add_page([entry(f"file-{i:06d}.dat", i) for i in reversed(range(100_000))])
    listing.rebuild()
    assert listing.index_of("file-000000.dat") == 0
    assert listing.index_of("file-099999.dat") == 99_999


def test_rows_keep_every_field_of_an_entry_but_its_details() -> None:
    import dataclasses

    from tui.widgets.listing import DETAILS

    full = Entry(
        name="a.txt",
        path="/d/a.txt",
        is_dir=False,
        size=3,
        modified=datetime(2024, 1, 2, tzinfo=UTC),
        hashes={"quickxor": "h"},
        id="ID!1",
        mtime_ns=5,
        is_link=True,
        link_target="b",
        special="socket",
        is_hidden=True,
        is_package=True,
        web_url="https://x/a.txt",
        mime_type="text/plain",
        etag='"{E},1"',
        mode=0o644,
    )
    listing = Listing()
    listing.add_page([full])
    kept = listing.entries[0]
    for f in dataclasses.fields(Entry):
        value = getattr(kept, f.name)
        if f.name in DETAILS:
            assert not value, f.name
        else:
            assert value == getattr(full, f.name), f.name
    local = Entry("b", "/d/b", False, 1, mtime_ns=7, mode=0o600)
    listing.add_page([local])
    assert listing.entries[1] == local  # nothing to leave out: an equal entry


def expected_rows(
    received: list[Entry], order: SortOrder, show_hidden: bool, pattern: str
) -> list[str]:
    """What the rows must be, by the plain definition: filter, then sort each part."""
    match = compile_pattern(pattern)
    shown = [
        e
        for e in received
        if (show_hidden or not e.is_hidden) and (e.is_dir or not pattern or match(e.name))
    ]

    def when(e: Entry) -> int:
        if e.mtime_ns is not None:
            return e.mtime_ns
        return int(e.modified.timestamp()) * 10**9 if e.modified else 0

    def ext(e: Entry) -> str:
        stem, dot, tail = e.name.rpartition(".")
        return (dot + tail).casefold() if stem else ""

    keys = {
        SortKey.NAME: lambda e: e.name.casefold(),
        SortKey.SIZE: lambda e: (e.size, e.name.casefold()),
        SortKey.TIME: lambda e: (when(e), e.name.casefold()),
        SortKey.EXTENSION: lambda e: (ext(e), e.name.casefold()),
    }
    dir_key = keys[SortKey.TIME] if order.key is SortKey.TIME else keys[SortKey.NAME]
    dirs = sorted((e for e in shown if e.is_dir), key=dir_key, reverse=False)
    files = sorted((e for e in shown if not e.is_dir), key=keys[order.key])
    if order.reverse:
        dirs.reverse()
        files.reverse()
    return [e.name for e in dirs + files]


@pytest.mark.parametrize("in_order", [False, True], ids=["shuffled", "in-name-order"])
def test_rows_sorted_in_page_by_page_equal_a_sort_of_everything(in_order: bool) -> None:
    """Pages arriving in any order (or sorted by name, as servers often send them), merged as
    they come, with the order, hidden files and the filter changed between pages: the rows
    are always what one full sort would give."""
    import random

    rng = random.Random(15)
    words = ["Alpha", "alpha", "beta", "Gamma", ".dot", "delta.TXT", "x.tar.gz", "zeta.jpg"]
    received: list[Entry] = []
    listing = Listing(has_parent=True)
    views = [
        (SortOrder(key, reverse), hidden, pattern)
        for key in SortKey
        for reverse in (False, True)
        for hidden in (False, True)
        for pattern in ("", "*.jpg", "a")
    ]
    for page_number in range(40):
        page = []
        for _ in range(rng.randrange(0, 30)):
            n = len(received) + len(page)
            if in_order:
                name = f"n{n:05d}" + rng.choice(["", ".jpg", ".TXT"])
            else:
                name = f"{rng.choice(words)}{rng.randrange(50)}-{n}"
                name += rng.choice(["", ".jpg", ".TXT"])
            page.append(
                Entry(
                    name=name,
                    path="/d/" + name,
                    is_dir=rng.random() < 0.2,
                    size=rng.randrange(4) * 100,
                    modified=datetime(2024, 1, 1 + rng.randrange(3), tzinfo=UTC),
                    is_hidden=name.startswith("."),
                )
            )
        received += page
        listing.add_page(page)
        if page_number % 3:
            listing.merge_pending()
        else:
            order, hidden, pattern = rng.choice(views)
            listing.order, listing.show_hidden, listing.filter = order, hidden, pattern
            listing.rebuild()
        want = expected_rows(received, listing.order, listing.show_hidden, listing.filter)
        assert names(listing) == ["..", *want], (listing.order, listing.filter)
        files = [e for e in listing.rows if not e.is_dir]
        assert listing.shown_size == sum(e.size for e in files)
        assert listing.shown_count == len(want)


def test_marks_stay_on_their_entries_through_sorting_and_filtering() -> None:
    listing = filled(entry("a", 3), entry("b", 1), entry("c", 2), parent=False)
    listing.toggle(0)  # "a"
    listing.set_order(SortOrder(SortKey.SIZE))
    assert names(listing) == ["b", "c", "a"]
    assert [listing.row_marked(r) for r in range(3)] == [False, False, True]
    listing.filter = "b"
    listing.rebuild()
    assert listing.marked_entries() == []  # the marked one is filtered out of view
    assert (listing.marked_count, listing.marked_size) == (1, 3)
    assert [e.name for e in listing.marked_entries(shown_only=False)] == ["a"]
    listing.clear_marks()
    assert listing.marked_count == 0 and not listing.marked_entries(shown_only=False)


def test_find_in_a_reversed_listing_steps_both_ways() -> None:
    listing = filled(entry("apple"), entry("banana"), entry("cherry"), entry("grape"))
    listing.set_order(SortOrder(SortKey.NAME, reverse=True))
    assert names(listing) == ["..", "grape", "cherry", "banana", "apple"]
    assert listing.find("a") == 4  # a name starting so first, wrapping past the end
    assert listing.find("ap", 2) == 4
    assert listing.find("gr", 2) == 1  # wraps from the bottom to the top
    assert listing.find("an", 0) == 3  # contains
    assert listing.find("e", 4, -1) == 4  # backwards from "apple" itself
    assert listing.find("rap", 0, -1) == 1  # backwards, wrapping from the top to the bottom


def test_entries_from_many_folders_and_odd_times_come_back_as_they_went_in() -> None:
    from datetime import timedelta, timezone

    zone = timezone(timedelta(hours=2))
    sent = [
        Entry("a", "/x/a", False, 1, datetime(2024, 1, 1, 12, 0, 0, 123456, tzinfo=UTC)),
        Entry("b", "/elsewhere/b", False, 2, datetime(2024, 1, 1, 14, 0, tzinfo=zone)),
        Entry("c", "/x/c", True, 0, None, link_target="/t", is_link=True, special=None),
        Entry("pipe", "/x/pipe", False, 0, special="named pipe"),
    ]
    listing = Listing()
    listing.add_page(sent)
    assert list(listing.entries) == sent
    assert listing.entries[1].modified.tzinfo is zone  # type: ignore[union-attr]


def test_names_packed_in_blocks_read_back_and_are_found() -> None:
    from tui.widgets.columns import Names

    names = Names()
    sent = [f"n{i}" + ("é" if i % 7 else "") for i in range(2 * Names.BLOCK + 10)]
    sent[Names.BLOCK + 3] = "odd\0name"  # a block holding a NUL stays a plain list
    sent[5] = sent[Names.BLOCK + 700] = "twice"
    for name in sent:
        names.append(name)
    assert len(names) == len(sent) and list(names) == sent
    assert names.index("twice") == 5 and names.index("twice", 6) == Names.BLOCK + 700
    assert names.index("odd\0name") == Names.BLOCK + 3
    assert names.index(sent[-1], len(sent) - 1) == len(sent) - 1  # the unpacked tail
    assert (
        names.between(Names.BLOCK - 1, Names.BLOCK + 1) == sent[Names.BLOCK - 1 : Names.BLOCK + 1]
    )
    with pytest.raises(ValueError):
        names.index("n1é", 2)
