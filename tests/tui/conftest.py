"""Fixtures of the TUI tests."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.tui.helpers import make_sample_tree


@pytest.fixture(autouse=True)
def utc_timezone(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Local times shown in dialogs and panels come out the same on every machine."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def sample(isolated_dirs: Path) -> Path:
    """The sample folder under the (temporary) home, so panes show it as ``~/sample``."""
    return make_sample_tree(isolated_dirs / "sample")


@pytest.fixture
def target(isolated_dirs: Path) -> Path:
    """An empty folder for the other pane."""
    path = isolated_dirs / "target"
    path.mkdir()
    return path
