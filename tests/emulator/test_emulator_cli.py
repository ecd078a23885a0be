"""``skypane emulator`` prints where it serves and serves until stopped."""

from __future__ import annotations

import io
import re
import signal
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from core.emulator.cli import build_parser, chosen_files_port, main

ROOT = Path(__file__).resolve().parents[2]


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
        files = re.search(r"Download/upload:\s+(\S+)", text)
        assert graph and authority and bundle and files, text
        assert httpx.URL(files.group(1)).port != httpx.URL(graph.group(1)).port
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


def test_cli_files_port_defaults_to_the_next_port() -> None:
    def chosen(*argv: str) -> int:
        return chosen_files_port(build_parser().parse_args(list(argv)))

    assert chosen() == 8444
    assert chosen("--port", "9443") == 9444
    assert chosen("--port", "0") == 0  # any free port
    assert chosen("--port", "65535") == 0
    assert chosen("--port", "9443", "--files-port", "7000") == 7000
    assert main(["--files-port", "70000"], out=io.StringIO()) == 2
    assert main(["--port", "9443", "--files-port", "9443"], out=io.StringIO()) == 2


def test_cli_rejects_a_rate_above_one() -> None:
    assert main(["--throttle-rate", "2"], out=io.StringIO()) == 2


def test_cli_sets_the_device_code_lifetime() -> None:
    assert build_parser().parse_args(["--device-code-lifetime", "30"]).device_code_lifetime == 30
    assert main(["--device-code-lifetime", "0"], out=io.StringIO()) == 2
    args = build_parser().parse_args(["--device-code-lifetime", "45", "--port", "0"])
    from core.emulator.cli import make_emulator

    emulator = make_emulator(args)
    try:
        code = emulator.identity.new_device_code("c", "Files.Read")
        assert code.expires_at - code.issued_at == 45
    finally:
        emulator.close()


def test_sigterm_stops_the_emulator_as_cleanly_as_ctrl_c(tmp_path: Path) -> None:
    child = subprocess.Popen(
        [sys.executable, "-m", "tui", "emulator", "--port", "0", "--state", str(tmp_path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        lines = []
        for line in child.stdout:  # until it serves (generous: a busy machine starts slowly)
            lines.append(line)
            if "Ctrl-C" in line:
                break
        text = "".join(lines)
        bundle = re.search(r"CA bundle:\s+(\S+)", text)
        graph = re.search(r"Graph base URL:\s+(\S+)", text)
        assert bundle and graph, text
        context = ssl.create_default_context(cafile=bundle.group(1))
        assert httpx.get(f"{graph.group(1)}/me/drive", verify=context).status_code == 401
        child.send_signal(signal.SIGTERM)
        out, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == 0, err
    assert "stopping" in out and "Traceback" not in err
    # What Ctrl-C would have saved is there for the next run.
    from core.emulator import Emulator, EmulatorConfig

    again = Emulator(EmulatorConfig(state_dir=tmp_path))
    try:
        assert again.item("Documents") is not None  # the sample tree it was seeded with
    finally:
        again.close()
