"""F4 on a remote file that someone changes while it is open in the editor (Pilot, TLS emulator).

Before: the edit was uploaded with conflictBehavior=replace and no check, so the change made
on the drive meanwhile was silently replaced.
"""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pytest

import tui.edit
from core.config import load_config
from core.emulator import RunningServer
from core.paths import Location
from tests.tui.conftest import onedrive, sample
from tests.tui.dialogs.harness import until
from tests.tui.helpers import main_screen, make_app, settle
from tui.dialogs.edit_conflict import EditConflictDialog

__all__ = ["onedrive", "sample"]

SIZE = (120, 36)
THEIRS = b"- saved from the web while you edited\n"


def appending_editor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    script = tmp_path / "editor.sh"
    script.write_text('#!/bin/sh\necho "- call mum" >> "$1"\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("EDITOR", str(script))


async def edit_todo(pilot: Any) -> None:
    """F4 on todo.md in the right pane (the remote's root)."""
    await settle(pilot)
    right = main_screen(pilot.app).pane("right")
    await pilot.press("tab")
    right.file_list.move_cursor(right.listing.index_of("todo.md"))
    await pilot.press("f4")


@pytest.mark.parametrize(
    ("key", "todo", "copy"),
    [
        ("c", THEIRS, b"- call mum\n"),  # keep mine as a copy: both kept
        ("o", b"- call mum\n", None),  # overwrite, as asked
        ("d", THEIRS, None),  # discard my edit
    ],
)
async def test_a_file_changed_during_the_edit_is_not_replaced_unasked(
    onedrive: RunningServer,
    sample: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    key: str,
    todo: bytes,
    copy: bytes | None,
) -> None:
    appending_editor(tmp_path, monkeypatch)
    em = onedrive.emulator
    real_editor = tui.edit.run_editor

    def editor_while_someone_saves(app: object, path: str) -> int:
        code = real_editor(app, path)  # type: ignore[arg-type]
        em.put_file("todo.md", THEIRS)
        return code

    monkeypatch.setattr(tui.edit, "run_editor", editor_while_someone_saves)
    app = make_app(sample, Location("work", "/"), config=load_config())
    async with app.run_test(size=SIZE) as pilot:
        await edit_todo(pilot)
        await until(pilot, lambda: isinstance(app.screen, EditConflictDialog))
        assert "changed on the drive" in str(app.screen.query_one("#dialog-message").render())
        await pilot.press(key)
        await settle(pilot)

    assert em.read("todo.md").endswith(todo)
    if copy is None:
        with pytest.raises(Exception):  # noqa: B017 - no copy made
            em.item("todo (1).md")
    else:
        assert em.read("todo (1).md").endswith(copy)


async def test_an_unchanged_file_is_uploaded_without_a_question(
    onedrive: RunningServer, sample: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    appending_editor(tmp_path, monkeypatch)
    app = make_app(sample, Location("work", "/"), config=load_config())
    async with app.run_test(size=SIZE) as pilot:
        await edit_todo(pilot)
        await settle(pilot)
        assert not isinstance(app.screen, EditConflictDialog)
    assert onedrive.emulator.read("todo.md").endswith(b"- call mum\n")
