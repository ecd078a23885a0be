"""Names never reach a terminal raw: the CLI's progress line, its errors and the rich bar.

Before: the progress line printed the current file as it was, so a name holding an OSC
sequence set the window title and one holding CSI set colours.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.emulator import RunningServer
from core.transfer import JobKind, JobState, ProgressSnapshot
from tui.cli import main
from tui.cli.progress_view import RichView

TITLE = "a\x1b]0;pwned\x07\x9b31m\u202e.txt"


@pytest.mark.timeout(60)
def test_the_progress_line_shows_a_hostile_current_file_escaped(
    tmp_path: Path, remote: RunningServer, capsys: pytest.CaptureFixture[str]
):
    (tmp_path / TITLE).write_bytes(b"x" * 1000)
    # One throttled upload: the job shows "throttled" with the file it is sending.
    remote.emulator.faults.fail_next(1, status=429, retry_after=1, method="PUT")

    assert main(["put", str(tmp_path / TITLE), "em:out.txt"]) == 0
    err = capsys.readouterr().err

    assert "throttled" in err and "a\\x1b]0;pwned\\x07\\x9b31m\\u202e.txt" in err
    assert not any(c in err for c in "\x1b\x07\x9b\u202e"), repr(err)
    assert remote.emulator.read("out.txt") == b"x" * 1000


def test_the_rich_bar_shows_markup_in_a_name_as_text():
    view = RichView()
    try:
        view.progress.console.record = True
        view.progress.console.width = 200
        view.update(
            ProgressSnapshot(
                job_id="j",
                kind=JobKind.COPY,
                state=JobState.RUNNING,
                bytes_done=1,
                bytes_total=2,
                items_done=0,
                items_total=1,
                items_failed=0,
                items_skipped=0,
                rate=1.0,
                eta=1.0,
                current=("/tmp/[bold red]loud\x1b[31m.txt",),
                throttled_until=datetime.now(UTC),
            )
        )
    finally:
        view.close()
    text = view.progress.console.export_text()
    assert "[bold red]loud\\x1b[31m.txt" in text
