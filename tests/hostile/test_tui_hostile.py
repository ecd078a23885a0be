"""The TUI on a folder a hostile server lists (Pilot, TLS emulator): names are shown escaped,
and an entry whose path would lead elsewhere (``.``, ``../x``) is refused by name instead of
opening, viewing or editing another item."""

from __future__ import annotations

from pathlib import Path

from core.config import load_config
from core.emulator import RunningServer
from core.paths import Location
from tests.tui.conftest import onedrive, sample
from tests.tui.dialogs.harness import until
from tests.tui.helpers import main_screen, make_app, settle
from tui.screens.viewer import ViewerScreen

__all__ = ["onedrive", "sample"]

SIZE = (120, 36)


async def test_entries_whose_path_leads_elsewhere_are_refused_by_name(
    onedrive: RunningServer, sample: Path
) -> None:
    em = onedrive.emulator
    em.put_file("todo.md", b"the drive root's file")
    em.plant("f", ".")
    em.plant("f", "../todo.md", b"listed in f")
    em.plant("f", "bell\x07\x1b]0;pwned\x07.txt", b"escapes")
    app = make_app(sample, Location("work", "/f"), config=load_config())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        right = main_screen(app).pane("right")
        await pilot.press("tab")
        fl = right.file_list
        painted = "".join(fl.render_line(y).text for y in range(fl.size.height))
        assert "bell\\x07\\x1b]0;pwned\\x07.txt" in painted and "\x1b" not in painted

        right.file_list.move_cursor(right.listing.index_of("../todo.md"))
        await pilot.press("f3")
        await until(pilot, lambda: any("separator" in n.message for n in app._notifications))
        assert not isinstance(app.screen, ViewerScreen)

        dots = [i for i, e in enumerate(right.listing.rows) if e.name == "." and e.is_dir]
        right.file_list.move_cursor(dots[0])
        await pilot.press("enter")
        await until(pilot, lambda: any("relative path" in n.message for n in app._notifications))
        await settle(pilot)
        assert right.location == Location("work", "/f")
