"""F3 on a multi-GiB file: the viewer reads only the ranges it shows, seeks anywhere, searches
forward and backward, and switches between text and hex, on the local disk and on OneDrive."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.config import load_config
from core.emulator import RunningServer
from core.paths import Location
from tests.tui.dialogs.harness import until
from tests.tui.helpers import main_screen, make_app, settle
from tui.screens.viewer import BLOCK, parse_position

SIZE = (100, 30)
GIB = 1024**3
TAIL = b"\nlast but one\nthe very last line\n"


def sparse_file(path: Path, size: int, marks: dict[int, bytes]) -> None:
    """A file of ``size`` bytes (holes read as zeros) with ``marks`` written at offsets."""
    with path.open("wb") as f:
        f.truncate(size)
        for offset, data in marks.items():
            f.seek(offset)
            f.write(data)


async def open_viewer(pilot: Any, name: str) -> Any:
    pane = main_screen(pilot.app).active
    pane.file_list.move_cursor(pane.listing.index_of(name))
    await pilot.press("f3")
    await settle(pilot)
    return pilot.app.screen


async def answer(pilot: Any, text: str) -> None:
    await until(pilot, lambda: type(pilot.app.screen).__name__ == "InputDialog")
    pilot.app.screen.query_one("Input").value = text
    await pilot.press("enter")
    await settle(pilot)


def test_positions_read_as_percent_hex_or_bytes() -> None:
    assert parse_position("50%", 1000) == 500
    assert parse_position("0x10", 1000) == 16
    assert parse_position("1,000,000", 10**9) == 10**6
    assert parse_position("5000", 1000) == 1000
    assert parse_position("half", 1000) is None


async def test_a_three_gib_file_seeks_searches_and_shows_hex(tmp_path: Path, target: Path) -> None:
    here = tmp_path / "here"
    here.mkdir()
    size = 3 * GIB
    sparse_file(
        here / "huge.log",
        size,
        {
            0: b"first line\nsecond line\n" + b"text, so it opens as text\n" * 400,
            2 * GIB - 3 * 2**20 - 1: b"\nneedle one\n",
            2 * GIB: b"\nhalfway-and-more\nneedle two\n",
            size - len(TAIL): TAIL,
        },
    )
    app = make_app(here, target)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        viewer = await open_viewer(pilot, "huge.log")
        view = viewer.view
        assert view.text_lines[:2] == ["first line", "second line"]
        await pilot.press("end")
        await settle(pilot)
        assert view.text_lines[-1] == "the very last line"
        assert view.text_lines[-2] == "last but one"
        assert viewer.reader.reads <= 4  # the end is a range away, not 3 GiB
        await pilot.press("g")
        await answer(pilot, str(2 * GIB + 1))
        assert view.text_lines[:2] == ["halfway-and-more", "needle two"]
        one = 2 * GIB - 3 * 2**20  # where "needle one" starts
        await pilot.press("g")
        await answer(pilot, str(one - 2**20))
        await pilot.press("slash")
        await answer(pilot, "needle")  # forward from the screen's top
        assert view.match == (one, 6) and view.text_lines[0] == "needle one"
        await pilot.press("n")
        await settle(pilot)
        assert view.match == (2 * GIB + 18, 6) and view.text_lines[0] == "needle two"
        await pilot.press("N")
        await settle(pilot)
        assert view.match == (one, 6)
        await pilot.press("g")
        await answer(pilot, str(2 * GIB + 8 * 2**20))
        await pilot.press("question_mark")
        await answer(pilot, "needle")  # backward from the end of the screen
        assert view.match == (2 * GIB + 18, 6) and "needle two" in view.text_lines
        await pilot.press("home", "slash")
        await answer(pilot, "second")
        assert view.match == (11, 6) and view.text_lines[0] == "second line"
        await pilot.press("g")
        await answer(pilot, str(2 * GIB + 1))
        await pilot.press("f4")
        await settle(pilot)
        assert view.hex_mode and view.text_lines[0].startswith(f"{2 * GIB:010x}  0a 68 61 6c")
        await pilot.press("end")
        await settle(pilot)
        assert view.text_lines[-1].startswith(f"{size - 16:010x}")
        assert "100%" in str(viewer.query_one("#viewer-state").render())
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is main_screen(app))  # the pop needs CPU


class CountingReads:
    """The OneDrive backend as is, counting what its reads deliver."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.delivered = 0
        self.offsets: list[int] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def _count(self, path: str, offset: int) -> Any:
        self.offsets.append(offset)
        async for chunk in self.inner.open_read(path, offset):
            self.delivered += len(chunk)
            yield chunk

    def open_read(self, path: str, offset: int = 0) -> Any:
        return self._count(path, offset)


async def test_a_remote_file_is_read_by_range_as_the_view_moves(
    onedrive: RunningServer, sample: Path
) -> None:
    size = 48 * 2**20
    body = bytearray(size)
    head = b"top of it\n" + b"remote text\n" * 800
    body[: len(head)] = head
    body[-30:] = b"\nremote tail line\nend of file\n"
    onedrive.emulator.put_file("/big.log", bytes(body))
    app = make_app(sample, Location("work", "/"), config=load_config())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        await pilot.press("tab")
        await settle(pilot)
        counting = CountingReads(screen.backend_for("work"))
        screen.pane("right").backend = counting
        viewer = await open_viewer(pilot, "big.log")
        assert viewer.view.text_lines[0] == "top of it"
        await pilot.press("end")
        await settle(pilot)
        assert viewer.view.text_lines[-2:] == ["remote tail line", "end of file"]
        assert max(counting.offsets) >= size - BLOCK  # a Range request near the end
        assert counting.delivered < 2 * 2**20  # never the whole 48 MiB


async def test_follow_shows_what_is_added_to_the_file(
    tmp_path: Path, target: Path, monkeypatch: Any
) -> None:
    from tui.screens.viewer import ViewerScreen

    monkeypatch.setattr(ViewerScreen, "FOLLOW_EVERY", 0.05)
    here = tmp_path / "here"
    here.mkdir()
    log = here / "app.log"
    log.write_bytes(b"".join(b"line %d\n" % i for i in range(200)))
    app = make_app(here, target)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        viewer = await open_viewer(pilot, "app.log")
        await pilot.press("f")
        await settle(pilot)
        assert viewer.view.text_lines[-1] == "line 199"
        with log.open("ab") as f:
            f.write(b"a new line\n")
        await until(
            pilot,
            lambda: bool(viewer.view.text_lines) and viewer.view.text_lines[-1] == "a new line",
        )
        assert viewer.view.text_lines[-2:] == ["line 199", "a new line"]
