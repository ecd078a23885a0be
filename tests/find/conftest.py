"""A remote "work" signed in through `skypane login` to the TLS emulator, in both flavours."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from typing import Any

import pytest

from core.emulator import RunningServer, start_server
from tests.emulator_fixtures import make_emulator
from tui.cli import main

CLIENT_ID = "12345678-abcd-4ef0-9876-0123456789ab"


def cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(params=["personal", "business"])
def remote(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[RunningServer]:
    from core.backends.onedrive import msal_http

    made: list[Any] = []
    original = msal_http.MsalHttpClient.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        made.append(self)

    monkeypatch.setattr(msal_http.MsalHttpClient, "__init__", init)
    server = start_server(make_emulator(request.param, auto_approve_after=0))
    try:
        code, out, err = cli(
            "login", "work", "--client-id", CLIENT_ID, "--authority", server.authority,
            "--graph-url", server.graph_url, "--ca-bundle", str(server.ca_bundle),
        )  # fmt: skip
        assert code == 0, out + err
        yield server
    finally:
        for client in made:
            client.close()
        server.stop()
        server.emulator.close()
