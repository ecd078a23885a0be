"""F3 and F4 on a named pipe (issue #21): said what it is, never opened (a read would wait
for a writer that never comes and hang the viewer or the editor)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.tui.helpers import main_screen, make_app, settle
from tui.screens.viewer import ViewerScreen

SIZE = (120, 36)


async def test_f3_on_a_named_pipe_says_what_it_is(isolated_dirs: Path, target: Path) -> None:
    os.mkfifo(isolated_dirs / "pipe")
    app = make_app(isolated_dirs, target)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        fl = main_screen(app).active.file_list
        fl.move_cursor(fl.listing.index_of("pipe"))
        await pilot.press("f3")
        await settle(pilot)
        viewer = app.screen
        assert isinstance(viewer, ViewerScreen) and viewer.done
        state = str(viewer.query_one("#viewer-state").render())
        assert "not a regular file (named pipe): never opened" in state


async def test_f4_on_a_named_pipe_runs_no_editor(
    isolated_dirs: Path, target: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    os.mkfifo(isolated_dirs / "pipe")
    monkeypatch.setenv("EDITOR", "false-editor-that-must-not-run")
    app = make_app(isolated_dirs, target)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        fl = main_screen(app).active.file_list
        fl.move_cursor(fl.listing.index_of("pipe"))
        await pilot.press("f4")
        await settle(pilot)
        said = [n.message for n in app._notifications]
        assert "pipe is a named pipe, not a file" in said
