"""Screenshots of the dialogs for the README: ``python -m tests.tui.dialogs.screenshots``.

Each dialog is shown by the same harness the tests use, on fixed data, at 120x36; the SVG
comes from ``App.save_screenshot`` and the PNG from ``rsvg-convert`` (Debian librsvg2-bin).
``tests/bench/screenshots.py`` runs this too, so one command regenerates every screenshot.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.tui.dialogs.harness import SIZE, Harness, settled
from tests.tui.dialogs.scenes import SCENES

OUT = Path(__file__).resolve().parents[3] / "screenshots"


async def shoot(name: str, scene: Callable[[], Any]) -> Path:
    make, prepare = scene()
    app = Harness(make)
    async with app.run_test(size=SIZE) as pilot:
        await prepare(pilot)
        await settled(pilot)
        svg = Path(app.save_screenshot(filename=f"{name}.svg", path=str(OUT)))
    return svg


def main(names: list[str]) -> int:
    from tests.bench.screenshots import to_png

    OUT.mkdir(exist_ok=True)
    for name in names or list(SCENES):
        svg = asyncio.run(shoot(name, SCENES[name]))
        png = to_png(svg)
        print(png or svg)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
