"""Screenshots of the dialogs for the README: ``python -m tests.tui.dialogs.screenshots``.

Each dialog is shown by the same harness the tests use, on fixed data, at 120x36; the SVG
comes from ``App.save_screenshot`` and the PNG from ``rsvg-convert`` (Debian librsvg2-bin).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.tui.dialogs.harness import SIZE, Harness
from tests.tui.dialogs.scenes import SCENES

OUT = Path(__file__).resolve().parents[3] / "screenshots"
#: Textual's SVG asks for "Fira Code"; without it fontconfig picks a proportional font and
#: rsvg squeezes each run of text to fit, so half blocks and spaces drift apart.
FONTS_CONF = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
  <alias binding="strong"><family>Fira Code</family><prefer><family>DejaVu Sans Mono</family></prefer></alias>
</fontconfig>
"""


async def shoot(name: str, scene: Callable[[], Any]) -> Path:
    make, prepare = scene()
    app = Harness(make)
    async with app.run_test(size=SIZE) as pilot:
        await prepare(pilot)
        await pilot.pause()
        svg = Path(app.save_screenshot(filename=f"{name}.svg", path=str(OUT)))
    return svg


def main(names: list[str]) -> int:
    OUT.mkdir(exist_ok=True)
    chosen = names or list(SCENES)
    converter = shutil.which("rsvg-convert")
    conf = OUT / ".fonts.conf"
    conf.write_text(FONTS_CONF)
    env = {**os.environ, "FONTCONFIG_FILE": str(conf)}
    for name in chosen:
        svg = asyncio.run(shoot(name, SCENES[name]))
        if converter:
            # rsvg drops the no-break spaces that start a line of text, shifting the line;
            # plain spaces with xml:space="preserve" keep their width.
            fixed = conf.with_name(".page.svg")
            text = svg.read_text().replace("&#160;", " ")
            fixed.write_text(text.replace("<svg ", '<svg xml:space="preserve" ', 1))
            subprocess.run(
                [converter, "-o", str(svg.with_suffix(".png")), str(fixed)], check=True, env=env
            )
            fixed.unlink()
        print(svg.with_suffix(".png" if converter else ".svg"))
    conf.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
