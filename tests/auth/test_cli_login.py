"""``skypane login/logout/remotes/about`` end to end against the TLS emulator."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import threading
from pathlib import Path

import keyring
import pytest

from core.config import default_path, load_config
from core.dirs import data_dir
from core.emulator import RunningServer
from tests.auth.conftest import CLIENT_ID, MemoryKeyring, Serve, decide
from tui.cli import main
from tui.cli.asker import qr_text

Capture = pytest.CaptureFixture[str]


def login_args(server: RunningServer, name: str = "demo", *extra: str) -> list[str]:
    return [
        "login",
        name,
        "--client-id",
        CLIENT_ID,
        "--authority",
        server.authority,
        "--graph-url",
        server.graph_url,
        "--ca-bundle",
        str(server.ca_bundle),
        *extra,
    ]


def token_file(name: str = "demo") -> Path:
    return data_dir() / "tokens" / f"{name}.json"


def test_login_then_ls_remotes_about_logout(serve: Serve, capsys: Capture) -> None:
    server = serve(auto_approve_after=0)
    server.emulator.put_file("/Documents/report.txt", b"hello")
    server.emulator.put_file("/notes.md", b"# notes")

    assert main(login_args(server)) == 0
    out, err = capsys.readouterr()
    assert server.verification_url in out
    assert "Signed in as alice@outlook.com\n" in out
    assert "█" in out or "▀" in out  # the QR code
    assert "Drive: OneDrive  (OneDrive (personal))" in out
    assert f"id {server.emulator.drive_id}" in out and "Remote demo (onedrive) saved" in out
    assert err.count("warning:") == 1 and str(data_dir() / "tokens") in err

    remote = load_config().remote("demo")
    assert remote.type == "onedrive"
    assert remote.options["account"] == "alice@outlook.com"
    assert remote.options["drive_id"] == server.emulator.drive_id
    assert remote.options["drive_type"] == "personal"
    assert remote.options["client_id"] == CLIENT_ID
    assert remote.options["ca_bundle"] == str(server.ca_bundle)
    config_text = default_path().read_text()
    secrets = [*server.emulator.identity.access_tokens, *server.emulator.identity.refresh_tokens]
    assert secrets and not [s for s in secrets if s in config_text]
    assert stat.S_IMODE(token_file().stat().st_mode) == 0o600
    assert stat.S_IMODE(token_file().parent.stat().st_mode) == 0o700

    assert main(["ls", "demo:"]) == 0
    assert capsys.readouterr().out.splitlines() == ["Documents/", "notes.md"]
    assert main(["ls", "demo:Documents"]) == 0
    assert capsys.readouterr().out.splitlines() == ["report.txt"]

    assert main(["remotes"]) == 0
    line = capsys.readouterr().out.strip()
    assert line == f"demo:\tonedrive\talice@outlook.com\tpersonal {server.emulator.drive_id}"

    assert main(["about", "demo:", "--json"]) == 0
    quota = json.loads(capsys.readouterr().out)
    assert quota["total"] == 5 * 1024**3 and quota["used"] == 12
    assert quota["free"] == quota["total"] - 12 and quota["state"] == "normal"
    assert main(["about", "demo:"]) == 0
    text = capsys.readouterr().out
    assert "Total:   5.0 GiB" in text and "State:   normal" in text

    assert main(["logout", "demo"]) == 0
    assert "Signed out of demo (alice@outlook.com)" in capsys.readouterr().out
    assert not token_file().exists()
    assert "account" not in load_config().remote("demo").options
    assert main(["remotes"]) == 0
    assert "(not signed in)" in capsys.readouterr().out
    assert main(["ls", "demo:"]) == 1
    assert "sign in again: skypane login demo" in capsys.readouterr().err


def test_signing_in_again_keeps_the_chosen_drive(serve: Serve, capsys: Capture) -> None:
    server = serve("business", auto_approve_after=0)
    assert main(login_args(server, "work", "--no-qr", "--search", "market")) == 0
    library = load_config().remote("work").options
    assert library["drive_type"] == "documentLibrary"
    assert main(login_args(server, "work", "--no-qr")) == 0
    assert load_config().remote("work").options == library

    site = "https://contoso.sharepoint.com/sites/engineering"
    assert main(login_args(server, "eng", "--no-qr", "--site", site)) == 0
    assert load_config().remote("eng").options["drive_id"] != library["drive_id"]
    capsys.readouterr()


def test_an_unknown_drive_id_changes_nothing(serve: Serve, capsys: Capture) -> None:
    server = serve(auto_approve_after=0)
    assert main(login_args(server, "demo", "--no-qr")) == 0
    before = default_path().read_text()
    tokens_before = token_file().read_text()
    assert main(login_args(server, "demo", "--no-qr", "--drive-id", "0123456789abcdef")) == 1
    assert "not found" in capsys.readouterr().err
    assert default_path().read_text() == before
    assert token_file().read_text() == tokens_before


def test_declined_login_writes_nothing(serve: Serve, capsys: Capture) -> None:
    server = serve()
    codes = server.emulator.identity.device_codes
    stop = threading.Event()

    def decline_when_shown() -> None:
        while not codes and not stop.wait(0.005):
            pass
        if codes:
            decide(server, next(iter(codes.values())).user_code, approve=False)

    helper = threading.Thread(target=decline_when_shown)
    helper.start()
    try:
        assert main(login_args(server, "demo", "--no-qr")) == 1
    finally:
        stop.set()
        helper.join()
    assert "sign-in failed: the sign-in was declined" in capsys.readouterr().err
    assert not default_path().exists() and not token_file().exists()


def test_without_a_terminal_missing_values_are_a_usage_error(capsys: Capture) -> None:
    assert main(["login", "demo", "--authority", "https://127.0.0.1:9/common"]) == 2
    assert "no client id" in capsys.readouterr().err
    assert main(["login", "demo", "--client-id", "my-app"]) == 2
    assert "expected a GUID" in capsys.readouterr().err
    assert main(["login"]) == 2
    assert main(["login", "--help-registration"]) == 0
    assert "Allow public client flows" in capsys.readouterr().out
    assert not default_path().exists()


def test_client_id_from_the_environment_is_saved(
    serve: Serve, capsys: Capture, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = serve(auto_approve_after=0)
    monkeypatch.setenv("SKYPANE_CLIENT_ID", CLIENT_ID.upper())
    args = [a for a in login_args(server, "demo", "--no-qr") if a not in ("--client-id", CLIENT_ID)]
    assert main(args) == 0
    assert load_config().remote("demo").options["client_id"] == CLIENT_ID
    capsys.readouterr()


def test_qr_code_is_square_block_art() -> None:
    lines = qr_text("https://127.0.0.1:8443/devicelogin").splitlines()
    assert len({len(line) for line in lines}) == 1
    assert len(lines) < len(lines[0])  # compact: two modules per line


def test_ctrl_c_cancels_cleanly(serve: Serve) -> None:
    server = serve(device_code_interval=5)  # never approved: waits until interrupted
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui", *login_args(server, "demo", "--no-qr")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("Waiting for approval"):
            break
    proc.send_signal(signal.SIGINT)
    try:  # a generous limit: a busy machine may take long to schedule the child
        _out, err = proc.communicate(timeout=90)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert "sign-in cancelled; nothing was changed" in err
    assert not default_path().exists() and not token_file().exists()


def test_with_a_secure_keyring_no_token_file_and_no_warning(serve: Serve, capsys: Capture) -> None:
    memory = MemoryKeyring()
    keyring.set_keyring(memory)
    server = serve(auto_approve_after=0)
    assert main(login_args(server, "demo", "--no-qr")) == 0
    out, err = capsys.readouterr()
    assert "Secrets: system keyring (tests.auth.conftest.MemoryKeyring)" in out
    assert "warning" not in err
    assert not token_file().exists()
    assert json.loads(memory.values[("skypane", "token-cache:demo")])["RefreshToken"]
    assert main(["ls", "demo:"]) == 0
    assert main(["logout", "demo"]) == 0
    assert memory.values == {}


def test_several_sites_without_a_terminal_are_named_not_guessed(
    serve: Serve, capsys: Capture
) -> None:
    server = serve("business", auto_approve_after=0)
    assert main(login_args(server, "work", "--no-qr", "--search", "*")) == 2
    err = capsys.readouterr().err
    assert "Marketing" in err and "Engineering" in err
    assert "cannot ask, standard input is not a terminal" in err
    assert not default_path().exists() and not token_file("work").exists()
