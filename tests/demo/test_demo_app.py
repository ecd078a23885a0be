"""`skypane --demo`'s app in-process: the sign-in dialog explains the demo, the drive shows on
the right, and sign-ins made from its dialogs stay in the demo's memory store."""

from __future__ import annotations

from pathlib import Path

from core.demo import REMOTE, start_demo
from core.dirs import data_dir
from core.secrets import MemorySecrets
from tests.tui.dialogs.harness import until
from tests.tui.helpers import main_screen, names, settle
from tui.dialogs.login import DeviceLoginDialog
from tui.dialogs.remotes import RemotesDialog
from tui.run import demo_app


async def test_demo_app_signs_in_shows_the_drive_and_keeps_tokens_in_memory(
    tmp_path: Path,
) -> None:
    session = start_demo(auto_approve_after=0.3)
    try:
        app = demo_app(session, left=str(tmp_path))
        async with app.run_test(size=(120, 36)) as pilot:
            await until(pilot, lambda: isinstance(app.screen, DeviceLoginDialog), timeout=20)
            note = str(app.screen.query_one("#login-note").render())
            assert "demo" in note and "approves the code by itself" in note
            await until(pilot, lambda: not isinstance(app.screen, DeviceLoginDialog), timeout=20)
            await settle(pilot)
            right = main_screen(app).pane("right")
            assert right.location.remote == REMOTE
            assert {"Documents", "Archive", "Pictures"} <= set(names(right))
            await pilot.press("alt+r")
            await until(pilot, lambda: isinstance(app.screen, RemotesDialog))
            dialog = app.screen
            assert isinstance(dialog, RemotesDialog) and isinstance(dialog.store, MemorySecrets)
            assert dialog.store.load(REMOTE)  # the demo's sign-in, held in memory
            await pilot.press("escape")
    finally:
        session.stop()
    tokens = data_dir() / "tokens"
    assert not tokens.exists() or not any(tokens.iterdir()), "the demo wrote a token file"
