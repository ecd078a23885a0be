"""Full listing mode at narrow widths: the name keeps the room, sizes and times shorten."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.tui.helpers import main_screen, make_app, settle
from tui.format import fmt_mtime_short, fmt_size_short
from tui.widgets.file_list import (
    NAME_AT_LEAST,
    SHORT_SIZE_WIDTH,
    SHORT_TIME_WIDTH,
    SIZE_WIDTH,
    TIME_WIDTH,
    column_widths,
)

NOW = datetime(2025, 6, 15, 12, 0, tzinfo=UTC)


def test_a_half_of_80_columns_shortens_size_and_time_for_the_name() -> None:
    name_w, size_w, time_w = column_widths(37)  # a pane's rows at 80 columns
    assert (size_w, time_w) == (SHORT_SIZE_WIDTH, SHORT_TIME_WIDTH)
    assert name_w == 37 - 1 - (SHORT_SIZE_WIDTH + 1) - (SHORT_TIME_WIDTH + 1) == 23
    wide = column_widths(57)  # at 120 columns: the full forms
    assert wide[1:] == (SIZE_WIDTH, TIME_WIDTH) and wide[0] >= NAME_AT_LEAST
    assert column_widths(57, "long")[1:] == column_widths(90, "long")[1:]


def test_short_sizes_and_times_fit_their_columns() -> None:
    sizes = [0, 999, 1023, 1500, 1023 * 1024 + 900, 35 << 20, 300 << 20, 3 << 40, None]
    for size in sizes:
        assert len(fmt_size_short(size)) <= SHORT_SIZE_WIDTH, size
    assert fmt_size_short(300 << 20) == "300M" and fmt_size_short(1500) == "1.5K"
    assert fmt_mtime_short(NOW - timedelta(hours=3), NOW) == "09:00"
    assert fmt_mtime_short(NOW - timedelta(days=3), NOW) == "Jun 12"
    assert fmt_mtime_short(NOW - timedelta(days=400), NOW) == "2024"
    assert fmt_mtime_short(None, NOW) == ""


async def test_names_at_80_columns_are_drawn_to_23_cells(tmp_path: Path) -> None:
    long_name = "a-rather-long-report-name-2025.pdf"
    (tmp_path / long_name).write_bytes(b"x" * 2048)
    app = make_app(tmp_path, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        left = main_screen(app).pane("left")
        row = left.file_list.render_line(1).text  # ".." then the file
        assert long_name[:22] + "~" in row, row
        assert "2.0K" in row
