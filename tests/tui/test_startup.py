"""The TUI's first frame comes before a drive's libraries load: the modules that draw it
(the app, its main screen and the start-up code) import no HTTP, sign-in or keyring library
and no emulator; a drive's backend opens in a thread once the screen is up (``MainScreen``)."""

from __future__ import annotations

import os
import subprocess
import sys

#: Loaded only when a drive is opened (or the demo starts its emulator).
DRIVE_LIBRARIES = ("msal", "keyring", "httpx", "httpcore", "requests", "core.emulator")


def test_the_modules_that_draw_the_first_frame_load_no_drive_library() -> None:
    code = (
        "import sys, tui.cli, tui.run, tui.app, tui.screens.main; "
        "print('\\n'.join(sorted(sys.modules)))"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPYCACHEPREFIX"}
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    loaded = set(proc.stdout.split())
    assert "textual.app" in loaded and "tui.screens.main" in loaded  # the check can fail
    heavy = sorted(
        name
        for name in loaded
        if any(name == m or name.startswith(m + ".") for m in DRIVE_LIBRARIES)
    )
    assert not heavy, f"the first frame's modules import {heavy}"
