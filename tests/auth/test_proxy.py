"""HTTPS_PROXY and NO_PROXY end to end: ``skypane login`` (msal's device-code flow and the
drive finder), ``skypane ls`` (Graph) and ``skypane get`` (a download URL on the files
origin) against the TLS emulator through a real CONNECT proxy, TLS verified through the
tunnel; with NO_PROXY naming the host, nothing goes through the proxy."""

from __future__ import annotations

import base64
import collections
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.emulator import RunningServer
from tests.auth.conftest import CLIENT_ID, Serve
from tests.connect_proxy import ConnectProxy
from tests.onedrive.helpers import count_connections
from tui.cli import main

Capture = pytest.CaptureFixture[str]
PROXY_VARIABLES = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY")


@pytest.fixture
def proxied(
    serve: Serve, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[RunningServer, ConnectProxy]]:
    """A TLS emulator and a CONNECT proxy named by HTTPS_PROXY (no other proxy variable)."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    server = serve(auto_approve_after=0)
    server.emulator.put_file("/Documents/report.txt", b"hello through the tunnel")
    with ConnectProxy() as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        yield server, proxy


def login(server: RunningServer) -> list[str]:
    return [
        "login", "work", "--client-id", CLIENT_ID, "--authority", server.authority,
        "--graph-url", server.graph_url, "--ca-bundle", str(server.ca_bundle), "--no-qr",
    ]  # fmt: skip


def origins(server: RunningServer) -> tuple[str, str]:
    """``host:port`` of Graph (and sign-in) and of the files host."""
    graph = server.base_url.removeprefix("https://")
    return graph, f"{graph.rpartition(':')[0]}:{server.files_port}"


def sign_in_list_and_get(
    server: RunningServer, proxy: ConnectProxy, capsys: Capture, tmp_path: Path
) -> list[list[str]]:
    """Run ``login``, ``ls`` and ``get``; the tunnels the proxy had opened after each."""
    after: list[list[str]] = []
    for argv in (
        login(server),
        ["ls", "work:Documents"],
        ["get", "work:Documents/report.txt", str(tmp_path)],
    ):
        assert main(argv) == 0, capsys.readouterr().err
        after.append(list(proxy.tunnels))
    assert "report.txt" in capsys.readouterr().out
    assert (tmp_path / "report.txt").read_bytes() == b"hello through the tunnel"
    return after


def test_sign_in_listing_and_download_go_through_the_proxy(
    proxied: tuple[RunningServer, ConnectProxy],
    monkeypatch: pytest.MonkeyPatch,
    capsys: Capture,
    tmp_path: Path,
) -> None:
    server, proxy = proxied
    graph, files = origins(server)
    opened = count_connections(monkeypatch)  # the async stack's own connections
    after_login, after_ls, tunnels = sign_in_list_and_get(server, proxy, capsys, tmp_path)
    # Sign-in went through the proxy: msal's client and the drive finder's each opened a
    # tunnel of their own; then the listing (Graph), then the download (Graph for the item,
    # the files host for its bytes).
    assert len(after_login) >= 2 and set(after_login) == {graph}
    assert len(after_ls) > len(after_login) and set(after_ls[len(after_login) :]) == {graph}
    assert files in tunnels[len(after_ls) :]
    # Every connection of the asynchronous stack was proxied: the same aiohttp code as a
    # direct one (its connector opened them all), each a tunnel the proxy saw.
    assert opened and set(opened) <= {graph, files}
    per_origin = collections.Counter(opened)
    asked = collections.Counter(tunnels)
    assert all(asked[origin] >= n for origin, n in per_origin.items())


def test_no_proxy_bypasses_the_proxy(
    proxied: tuple[RunningServer, ConnectProxy],
    monkeypatch: pytest.MonkeyPatch,
    capsys: Capture,
    tmp_path: Path,
) -> None:
    server, proxy = proxied
    graph, _ = origins(server)
    monkeypatch.setenv("NO_PROXY", f"localhost,{graph.rpartition(':')[0]}")
    sign_in_list_and_get(server, proxy, capsys, tmp_path)
    assert proxy.tunnels == []


def test_credentials_in_the_proxy_url_are_sent_to_the_proxy(
    proxied: tuple[RunningServer, ConnectProxy],
    monkeypatch: pytest.MonkeyPatch,
    capsys: Capture,
    tmp_path: Path,
) -> None:
    server, proxy = proxied
    monkeypatch.setenv("HTTPS_PROXY", proxy.url.replace("://", "://user:s%40cret@"))
    sign_in_list_and_get(server, proxy, capsys, tmp_path)
    expected = "Basic " + base64.b64encode(b"user:s@cret").decode()
    assert proxy.tunnels and set(proxy.credentials) == {expected}
    assert "s@cret" not in capsys.readouterr().err


def test_a_proxy_that_refuses_the_tunnel_is_a_clear_error(
    proxied: tuple[RunningServer, ConnectProxy], capsys: Capture
) -> None:
    server, proxy = proxied
    proxy.refuse = True
    assert main(login(server)) != 0
    err = capsys.readouterr().err
    assert "proxy" in err.lower(), err
