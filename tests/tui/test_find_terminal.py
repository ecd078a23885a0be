"""Find file and disk usage in a real terminal: Alt+L, Alt+G and Alt+U as escape sequences on a
pty (Textual reads ESC + "?" as two keys, which is why Find is Alt+L)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.terminal import Terminal, isolated_env


@pytest.mark.timeout(180)
def test_alt_l_finds_and_alt_u_sizes_in_a_terminal(tmp_path: Path) -> None:
    here = tmp_path / "here"
    (here / "deep" / "er").mkdir(parents=True)
    (here / "deep" / "er" / "needle-report.txt").write_bytes(b"x" * 5000)
    (here / "hay.txt").write_bytes(b"y")
    env = isolated_env(tmp_path / "home")
    term = Terminal(here, env, argv=[sys.executable, "-m", "tui"])
    try:
        term.wait_for(r"e\.g\. onedrive", 60)  # no remote yet: the first-start wizard
        term.drain(0.3)
        term.press("escape")
        term.wait_for(r"hay\.txt", 30)
        term.drain(0.3)
        term.press("\x1bl")  # Alt+L as a terminal sends it: ESC then "l"
        term.wait_for(r"Find file", 15)
        term.drain(0.2)
        for ch in "needle":
            term.press(ch)
        term.press("enter")
        term.wait_for(r"deep/er/needle-report\.txt", 15)  # a hit, named by its path below
        term.drain(0.3)
        term.press("down")  # from ".." to the hit
        term.drain(0.3)
        term.press("\x1bg")  # Alt+G: to the item's folder
        term.wait_for(r"here/deep/er", 15)
        term.drain(0.3)
        term.press("\x7f")  # Backspace, twice: back up to where we started
        term.drain(0.3)
        term.press("\x7f")
        term.wait_for(r"hay\.txt", 15)
        term.drain(0.3)
        term.press("\x1bu")  # Alt+U: disk usage; the folder's row shows its total
        term.wait_for(r"/deep\s+4\.9K", 30)
        term.press("f10")
        assert term.wait_exit(20) == 0, term.text()[-2000:]
    finally:
        term.close()
