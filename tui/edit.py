"""F4: edit a file with ``$VISUAL``/``$EDITOR`` while the app is suspended.

A remote file is downloaded to a private temporary folder, edited there and uploaded back
only if its bytes changed (compared by QuickXorHash), so opening and quitting the editor
never creates a new version on the drive. Before the upload the file is looked at again: if
its eTag changed (someone saved it meanwhile) or it is gone, the user chooses between keeping
the edit as a numbered copy, overwriting, and discarding the edit, so a change made on the
drive is never replaced unasked.
"""

from __future__ import annotations

import asyncio
import os
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from textual.app import SuspendNotSupported

from core.backend import Backend, WriteRequest
from core.errors import NotFound, SkypaneError
from core.hashing import hash_file
from core.model import Entry
from core.names import refusal
from core.paths import basename
from core.remotes import local_backend as LocalBackend
from core.transfer.conflicts import renamed
from tui.dialogs.edit_conflict import EditChoice, EditConflictDialog
from tui.format import safe_name
from tui.screens.log import report_error

if TYPE_CHECKING:
    from textual.app import App

    from core.paths import Location
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


async def edit_entry(
    app: App[object], pane: Pane, entry: Entry, reload_location: Callable[[Location], None]
) -> None:
    """Edit ``entry`` of ``pane``; after an upload ``reload_location`` re-lists every pane
    that shows the folder."""
    backend = pane.backend
    if backend is None:
        return
    if entry.special is not None:  # an editor would block on a pipe or act on a device
        app.notify(f"{entry.name} is a {entry.special}, not a file", title="Edit", severity="error")
        return
    if backend.remote == "local":
        await asyncio.sleep(0)  # let the key's repaint finish before the terminal is handed over
        run_editor(app, entry.path)
        pane.reload(cursor=entry.name)
        return

    async def ask(name: str, copy_name: str, gone: bool) -> EditChoice:
        return await app.push_screen_wait(EditConflictDialog(name, copy_name, gone))

    try:
        outcome = await edit_remote(app, backend, entry, ask)
    except (SkypaneError, OSError) as exc:
        report_error(app, f"cannot edit {entry.name}", exc)
        return
    shown = safe_name(entry.name)
    if outcome == "unchanged":
        app.notify(f"{shown} unchanged, nothing uploaded", title="Edit", markup=False)
        return
    if outcome == "discarded":
        app.notify(f"your edit of {shown} was discarded", title="Edit", markup=False)
        return
    where = shown if outcome == "uploaded" else safe_name(basename(outcome))
    app.notify(f"{where} uploaded", title="Edit", markup=False)
    reload_location(pane.location)


#: Asked when the file changed (or went) on the drive during the edit: (name, the name a
#: copy would get, whether it is gone) → the user's choice.
AskEditConflict = Callable[[str, str, bool], Awaitable[EditChoice]]


def _same_version(a: Entry, b: Entry) -> bool:
    if a.etag and b.etag:
        return a.etag == b.etag
    return (a.size, a.modified, dict(a.hashes)) == (b.size, b.modified, dict(b.hashes))


async def edit_remote(
    app: App[object], backend: Backend, entry: Entry, ask: AskEditConflict
) -> str:
    """Download, edit, upload if changed. Returns "unchanged", "discarded", "uploaded", or
    the path of the copy the edit was uploaded as."""
    local = LocalBackend()
    folder = tempfile.mkdtemp(prefix="skypane-edit-")
    try:
        # What is downloaded is the version the edit starts from: its eTag is the check.
        start = await backend.stat(entry.path)
        local_name = start.name if refusal(start.name) is None else "file"
        path = os.path.join(folder, local_name)
        await local.write(
            path,
            lambda offset: backend.open_read(entry.path, offset),
            WriteRequest(size=start.size, modified=start.modified),
        )
        before = await asyncio.to_thread(hash_file, path)
        run_editor(app, path)
        after = await asyncio.to_thread(hash_file, path)
        if after == before:
            return "unchanged"
        target = entry.path
        try:
            now: Entry | None = await backend.stat(entry.path)
        except NotFound:
            now = None
        if now is None or not _same_version(start, now):
            copy_path = await renamed(backend, entry.path, set(), exists=_exists_on(backend))
            choice = await ask(entry.name, basename(copy_path), now is None)
            if choice == "discard":
                return "discarded"
            if choice == "copy":
                target = copy_path
        size = os.path.getsize(path)
        await backend.write(
            target,
            lambda offset: local.open_read(path, offset),
            WriteRequest(size=size, modified=datetime.now(UTC), expected_hashes={}),
        )
        return "uploaded" if target == entry.path else target
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _exists_on(backend: Backend) -> Callable[[str], Awaitable[bool]]:
    async def exists(path: str) -> bool:
        try:
            await backend.stat(path)
        except NotFound:
            return False
        return True

    return exists
