"""What a pane's listing costs on 100,000 rows, in process: memory, and the CPU time of what a
key does to every row (sort, reverse, hidden files, filter, search, select all).

Run: python3 -m uv run python tests/bench/bench_rows.py [--entries 100000] [--runs 5]

Prints JSON: per operation the median and min of ``--runs`` runs in milliseconds of CPU time
(``time.process_time``, which a busy machine does not stretch as it does wall-clock time), and
the memory the rows take (tracemalloc) next to what the same entries take as ``Entry``
objects. Pages of 100 arrive either in name order (as Graph sends them) or shuffled (as a
local folder's ``scandir`` may), merged as the pane merges them (every 5,000 rows here).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from core.model import Entry
from tui.widgets.listing import Listing, SortKey, SortOrder

PAGE = 100
MERGE_EVERY = 5_000


def entries(count: int, shuffled: bool) -> list[Entry]:
    rng = random.Random(18)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    made = [
        Entry(
            name=f"report-{i:06d}.{('txt', 'jpg', 'csv')[i % 3]}",
            path=f"/big/report-{i:06d}.{('txt', 'jpg', 'csv')[i % 3]}",
            is_dir=i % 50 == 0,
            size=rng.randrange(1 << 20),
            modified=start + timedelta(seconds=rng.randrange(10**8)),
            is_hidden=i % 97 == 0,
        )
        for i in range(count)
    ]
    if shuffled:
        rng.shuffle(made)
    return made


def stream(listing: Listing, made: list[Entry]) -> float:
    """Pages in, merged now and then; returns the longest merge (ms of CPU)."""
    longest = 0.0
    for start in range(0, len(made), PAGE):
        listing.add_page(made[start : start + PAGE])
        if listing.pending >= MERGE_EVERY:
            began = time.process_time()
            listing.merge_pending()
            longest = max(longest, time.process_time() - began)
    listing.merge_pending()
    return longest * 1000


def timed(action: Callable[[], Any]) -> float:
    began = time.process_time()
    action()
    return (time.process_time() - began) * 1000


def one_run(made: list[Entry]) -> dict[str, float]:
    listing = Listing(has_parent=True)
    figures: dict[str, float] = {}
    began = time.process_time()
    figures["longest_merge_ms"] = stream(listing, made)
    figures["list_all_ms"] = (time.process_time() - began) * 1000

    def order(key: SortKey, reverse: bool = False) -> Callable[[], None]:
        return lambda: listing.set_order(SortOrder(key, reverse))

    def hidden(show: bool) -> Callable[[], None]:
        def act() -> None:
            listing.show_hidden = show
            listing.rebuild()

        return act

    def pattern(text: str) -> Callable[[], None]:
        def act() -> None:
            listing.filter = text
            listing.rebuild()

        return act

    steps: list[tuple[str, Callable[[], Any]]] = [
        ("sort_size_ms", order(SortKey.SIZE)),
        ("sort_size_reversed_ms", order(SortKey.SIZE, True)),
        ("sort_time_ms", order(SortKey.TIME)),
        ("sort_extension_ms", order(SortKey.EXTENSION)),
        ("sort_name_ms", order(SortKey.NAME)),
        ("hidden_on_ms", hidden(True)),
        ("hidden_off_ms", hidden(False)),
        ("filter_set_ms", pattern("*9999*")),
        ("filter_clear_ms", pattern("")),
        ("find_missing_ms", lambda: listing.find("zzz", 1)),
        ("find_again_ms", lambda: listing.find("report-0999", 1)),
        ("select_all_ms", lambda: listing.mark_pattern("*")),
        ("selected_entries_ms", listing.marked_entries),
        ("row_at_end_ms", lambda: listing.rows[len(listing) - 1]),
        ("index_of_last_ms", lambda: listing.index_of(made[-1].name)),
    ]
    for name, action in steps:
        figures[name] = timed(action)
    return figures


def memory(count: int, shuffled: bool) -> dict[str, float]:
    """MiB the rows take as the pane keeps them (the entries made for it and dropped after,
    as a backend's pages are), and as plain Entry objects."""
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    listing = Listing(has_parent=True)
    made = entries(count, shuffled)
    stream(listing, made)
    del made
    gc.collect()
    columns = tracemalloc.get_traced_memory()[0] - base
    del listing
    gc.collect()
    base = tracemalloc.get_traced_memory()[0]
    made = entries(count, shuffled)
    objects = tracemalloc.get_traced_memory()[0] - base
    del made
    tracemalloc.stop()
    return {
        "rows_mib": round(columns / 2**20, 1),
        "as_entry_objects_mib": round(objects / 2**20, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    result: dict[str, Any] = {
        "entries": args.entries,
        "runs": args.runs,
        "cpu_count": os.cpu_count(),
        "loadavg_at_start": [round(x, 1) for x in os.getloadavg()],
        "unit": "ms of CPU (process_time): median, min",
    }
    for arrival in ("in_name_order", "shuffled"):
        made = entries(args.entries, arrival == "shuffled")
        runs = [one_run(made) for _ in range(args.runs)]
        result[arrival] = {
            name: [
                round(statistics.median(r[name] for r in runs), 1),
                round(min(r[name] for r in runs), 1),
            ]
            for name in runs[0]
        }
        result[arrival]["memory"] = memory(args.entries, arrival == "shuffled")
    result["loadavg_at_end"] = [round(x, 1) for x in os.getloadavg()]
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
