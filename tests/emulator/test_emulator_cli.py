"""``skypane emulator`` prints where it serves and serves until stopped."""

from __future__ import annotations

import io
import re
import ssl
import threading
import time

import httpx

from core.emulator.cli import build_parser, main


def test_cli_prints_urls_and_serves_until_stopped() -> None:
    out = io.StringIO()
    stop = threading.Event()
    codes: list[int] = []
    thread = threading.Thread(
        target=lambda: codes.append(
            main(
                ["--port", "0", "--flavour", "business", "--throttle-rate", "0"], out=out, stop=stop
            )
        )
    )
    thread.start()
    deadline = time.monotonic() + 20
    while "Ctrl-C" not in out.getvalue() and time.monotonic() < deadline:
        time.sleep(0.02)
    text = out.getvalue()
    try:
        graph = re.search(r"Graph base URL:\s+(\S+)", text)
        authority = re.search(r"Authority:\s+(\S+)", text)
        bundle = re.search(r"CA bundle:\s+(\S+)", text)
        assert graph and authority and bundle, text
        assert "skypane login" in text and "--graph-url" in text
        assert "Verification page:" in text
        context = ssl.create_default_context(cafile=bundle.group(1))
        discovery = httpx.get(
            f"{authority.group(1)}/v2.0/.well-known/openid-configuration", verify=context
        )
        assert discovery.status_code == 200
        assert httpx.get(f"{graph.group(1)}/me/drive", verify=context).status_code == 401
    finally:
        stop.set()
        thread.join(timeout=15)
    assert codes == [0]


def test_cli_parses_fault_switches() -> None:
    args = build_parser().parse_args(
        ["--drop-rate", "0.1", "--lose-upload-sessions", "0.2", "--state", "/tmp/x"]
    )
    assert args.drop_rate == 0.1 and args.lose_upload_sessions == 0.2
    assert str(args.state) == "/tmp/x"


def test_cli_rejects_a_rate_above_one() -> None:
    assert main(["--throttle-rate", "2"], out=io.StringIO()) == 2
