"""F4: edit a file with ``$VISUAL``/``$EDITOR`` while the app is suspended.

A remote file is downloaded to a private temporary folder, edited there and uploaded back
only if its bytes changed (compared by QuickXorHash), so opening and quitting the editor
never creates a new version on the drive.
"""

from __future__ import annotations

import asyncio
import os
import shlex
import shutil
import subprocess
import tempfile
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from textual.app import SuspendNotSupported

from core.backend import Backend, WriteRequest
from core.backends.local import LocalBackend
from core.errors import SkypaneError
from core.hashing import hash_file
from core.model import Entry
from tui.screens.log import report_error

if TYPE_CHECKING:
    from textual.app import App

    from tui.screens.operations import FileOperations
    from tui.widgets.pane import Pane


def editor_command() -> list[str]:
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    return shlex.split(editor)


def run_editor(app: App[object], path: str) -> int:
    """Run the editor on ``path`` with the terminal handed over; returns its exit code."""
    command = [*editor_command(), path]
    try:
        with app.suspend():
            return subprocess.call(command)
    except SuspendNotSupported:
        # Headless (tests) or a web terminal: nothing to hand over, run it as it is.
        return subprocess.call(command, stdin=subprocess.DEVNULL)


async def edit_entry(screen: FileOperations, pane: Pane, entry: Entry) -> None:
    backend = pane.backend
    if backend is None:
        return
    app = screen.app
    if backend.remote == "local":
        await asyncio.sleep(0)  # let the key's repaint finish before the terminal is handed over
        run_editor(app, entry.path)
        pane.reload(cursor=entry.name)
        return
    try:
        changed = await edit_remote(app, backend, entry)
    except (SkypaneError, OSError) as exc:
        report_error(app, f"cannot edit {entry.name}", exc)
        return
    if changed:
        app.notify(f"{entry.name} uploaded", title="Edit")
        screen.reload_location(pane.location)
    else:
        app.notify(f"{entry.name} unchanged, nothing uploaded", title="Edit")


async def edit_remote(app: App[object], backend: Backend, entry: Entry) -> bool:
    """Download, edit, upload if changed; returns whether it was uploaded."""
    local = LocalBackend()
    folder = tempfile.mkdtemp(prefix="skypane-edit-")
    try:
        path = os.path.join(folder, entry.name.replace("/", "_") or "file")
        await local.write(
            path,
            lambda offset: backend.open_read(entry.path, offset),
            WriteRequest(size=entry.size, modified=entry.modified),
        )
        before = await asyncio.to_thread(hash_file, path)
        run_editor(app, path)
        after = await asyncio.to_thread(hash_file, path)
        if after == before:
            return False
        size = os.path.getsize(path)
        await backend.write(
            entry.path,
            lambda offset: local.open_read(path, offset),
            WriteRequest(size=size, modified=datetime.now(UTC), expected_hashes={}),
        )
        return True
    finally:
        shutil.rmtree(folder, ignore_errors=True)
