"""How each dialog looks, on fixed data and a fixed clock (pytest-textual-snapshot).

The same scenes make the README screenshots (tests/tui/dialogs/screenshots.py).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.tui.dialogs.harness import SIZE, Harness, settled
from tests.tui.dialogs.scenes import SCENES


@pytest.mark.parametrize("name", sorted(SCENES))
def test_dialog_snapshot(name: str, snap_compare: Any) -> None:
    make, ready = SCENES[name]()

    async def before(pilot: Any) -> None:
        await ready(pilot)
        await settled(pilot)

    assert snap_compare(Harness(make), terminal_size=SIZE, run_before=before)
