"""A remote "work" signed in through `skypane login` to the TLS emulator, in both flavours."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator

import pytest

from core.emulator import RunningServer
from tests.emulator_fixtures import signed_in_remote
from tui.cli import main


def cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(params=["personal", "business"])
def remote(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[RunningServer]:
    with signed_in_remote(request.param, monkeypatch) as server:
        yield server
