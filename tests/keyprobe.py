"""skypane on a pty that records which action each key reached instead of running it.

Run as ``python -m tests.keyprobe LOG`` in a folder (the left pane shows it, the right pane the
home folder): every action a binding selects is appended to LOG as ``Namespace action`` and
is not run, so a test can write the raw bytes a terminal sends for every default key and read
which binding Textual matched, without dialogs opening or files moving. ``ready`` is written
once the main screen is up.
"""

from __future__ import annotations

import sys
from pathlib import Path

from textual.message_pump import MessagePump

from tui.app import SkypaneApp
from tui.screens.main import MainScreen


class ProbeApp(SkypaneApp):
    CSS_PATH = Path(__file__).resolve().parents[1] / "tui" / "styles" / "app.tcss"

    def __init__(self, log: Path) -> None:
        super().__init__()
        self.key_log = log

    def record(self, line: str) -> None:
        with self.key_log.open("a") as out:
            out.write(line + "\n")

    async def run_action(
        self,
        action: str | object,
        default_namespace: MessagePump | None = None,
    ) -> bool:
        if isinstance(self.screen, MainScreen) and isinstance(action, str):
            target = default_namespace or self
            name = "SkypaneApp" if target is self else type(target).__name__
            self.record(f"{name} {action}")
            return True
        return await super().run_action(action, default_namespace)  # type: ignore[arg-type]

    def on_ready(self) -> None:
        self.record("ready")


if __name__ == "__main__":
    ProbeApp(Path(sys.argv[1])).run()
