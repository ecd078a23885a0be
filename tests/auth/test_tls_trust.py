"""One TLS trust for sign-in, Graph and the drive finder (core.tls), end to end.

The emulator's CA is given to skypane in one place only per test, never with ``--ca-bundle``,
and ``skypane login`` (msal's device-code flow, the drive finder) then ``skypane ls`` (Graph)
must both work: a component that trusted another store would fail with
CERTIFICATE_VERIFY_FAILED.
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
import sys
from pathlib import Path

import pytest

from core import tls
from core.emulator import RunningServer
from tests.auth.conftest import CLIENT_ID, Serve
from tui.cli import main

Capture = pytest.CaptureFixture[str]


def login_without_ca_bundle(server: RunningServer) -> list[str]:
    return [
        "login", "demo", "--client-id", CLIENT_ID, "--authority", server.authority,
        "--graph-url", server.graph_url, "--no-qr",
    ]  # fmt: skip


def sign_in_and_list(server: RunningServer, capsys: Capture) -> None:
    server.emulator.put_file("/Documents/report.txt", b"hello")
    assert main(login_without_ca_bundle(server)) == 0, capsys.readouterr().err
    capsys.readouterr()
    assert main(["ls", "demo:Documents"]) == 0, capsys.readouterr().err
    assert "report.txt" in capsys.readouterr().out


@pytest.fixture
def private_system_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty stand-in for the distribution's CA bundle (the machine's is never touched)."""
    bundle = tmp_path / "system-ca-certificates.crt"
    bundle.write_text("")
    monkeypatch.setattr(tls, "SYSTEM_CA_FILES", (str(bundle),))
    monkeypatch.setattr(tls, "SYSTEM_CA_DIRS", ())
    return bundle


def test_a_ca_only_in_the_system_store_signs_in_and_lists(
    serve: Serve, private_system_store: Path, capsys: Capture
) -> None:
    server = serve(auto_approve_after=0)
    # as update-ca-certificates does: the CA appended to the system bundle, no variables set
    shutil.copyfile(server.ca_bundle, private_system_store)
    sign_in_and_list(server, capsys)


def test_a_ca_only_in_ssl_cert_file_signs_in_and_lists(
    serve: Serve, private_system_store: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capture
) -> None:
    server = serve(auto_approve_after=0)
    monkeypatch.setenv("SSL_CERT_FILE", str(server.ca_bundle))
    sign_in_and_list(server, capsys)


def test_a_ca_only_in_ssl_cert_dir_signs_in_and_lists(
    serve: Serve,
    private_system_store: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: Capture,
) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("naming a CA in a certificate folder needs the openssl command")
    server = serve(auto_approve_after=0)
    subject_hash = subprocess.run(
        [openssl, "x509", "-hash", "-noout", "-in", str(server.ca_bundle)],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout.strip()  # fmt: skip
    folder = tmp_path / "certs"
    folder.mkdir()
    shutil.copyfile(server.ca_bundle, folder / f"{subject_hash}.0")  # as c_rehash names it
    monkeypatch.setenv("SSL_CERT_DIR", str(folder))
    sign_in_and_list(server, capsys)


def hashed_folder(ca: Path, folder: Path) -> Path:
    """``folder`` as update-ca-certificates leaves /etc/ssl/certs: the bundle and, for each
    CA in it, a link named by its subject hash."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("naming a CA in a certificate folder needs the openssl command")
    subject_hash = subprocess.run(
        [openssl, "x509", "-hash", "-noout", "-in", str(ca)],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout.strip()  # fmt: skip
    folder.mkdir()
    bundle = folder / "ca-certificates.crt"
    shutil.copyfile(ca, bundle)
    (folder / f"{subject_hash}.0").symlink_to(bundle.name)
    return bundle


def test_a_system_bundle_beside_its_hashed_links_is_read_through_them(
    serve: Serve, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capture
) -> None:
    # Parsing the whole bundle costs ~20 ms per context; the hashed folder written with it
    # gives OpenSSL the one CA a chain names, when it names it. SSL_CERT_FILE naming the
    # same bundle (as many machines set it) reads nothing more.
    server = serve(auto_approve_after=0)
    bundle = hashed_folder(server.ca_bundle, tmp_path / "certs")
    monkeypatch.setattr(tls, "SYSTEM_CA_FILES", (str(bundle),))
    monkeypatch.setattr(tls, "SYSTEM_CA_DIRS", (str(tmp_path / "certs"),))
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    context = tls.tls_context()
    assert context.cert_store_stats()["x509_ca"] == 0  # nothing parsed up front
    sign_in_and_list(server, capsys)  # and the CA is still found when the server shows it


def test_a_bundle_away_from_the_hashed_folder_is_still_read(
    serve: Serve, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capture
) -> None:
    import certifi

    server = serve(auto_approve_after=0)
    system = hashed_folder(Path(certifi.where()), tmp_path / "certs")  # not the emulator's CA
    monkeypatch.setattr(tls, "SYSTEM_CA_FILES", (str(system),))
    monkeypatch.setattr(tls, "SYSTEM_CA_DIRS", (str(tmp_path / "certs"),))
    monkeypatch.setenv("SSL_CERT_FILE", str(server.ca_bundle))  # a bundle elsewhere
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    assert tls.tls_context().cert_store_stats()["x509_ca"] == 1
    sign_in_and_list(server, capsys)


def test_ssl_cert_file_in_the_hashed_folder_is_read_whole(
    serve: Serve, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capture
) -> None:
    # A bundle of one's own dropped beside the system's (no hash link made for it) and
    # named by SSL_CERT_FILE: only the distribution's own bundle is left to the links.
    import certifi

    server = serve(auto_approve_after=0)
    system = hashed_folder(Path(certifi.where()), tmp_path / "certs")
    own = tmp_path / "certs" / "corporate.pem"
    shutil.copyfile(server.ca_bundle, own)
    monkeypatch.setattr(tls, "SYSTEM_CA_FILES", (str(system),))
    monkeypatch.setattr(tls, "SYSTEM_CA_DIRS", (str(tmp_path / "certs"),))
    monkeypatch.setenv("SSL_CERT_FILE", str(own))
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    assert tls.tls_context().cert_store_stats()["x509_ca"] == 1
    sign_in_and_list(server, capsys)


def test_without_the_ca_anywhere_the_sign_in_is_refused(
    serve: Serve, private_system_store: Path, capsys: Capture
) -> None:
    server = serve(auto_approve_after=0)
    assert main(login_without_ca_bundle(server)) != 0
    assert "CERTIFICATE_VERIFY_FAILED" in capsys.readouterr().err


def test_a_missing_ca_bundle_is_named() -> None:
    from core.errors import ConfigError

    with pytest.raises(ConfigError, match=r"CA bundle not found: /nonexistent/ca\.pem"):
        tls.tls_context("/nonexistent/ca.pem")


def test_one_context_per_set_of_sources(
    serve: Serve, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    server = serve()
    bundle = tmp_path / "ca.pem"
    shutil.copyfile(server.ca_bundle, bundle)
    first = tls.tls_context(str(bundle))
    assert tls.tls_context(str(bundle)) is first  # sign-in, Graph, the finder: one context
    assert tls.tls_context(None) is not first
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    assert tls.tls_context(str(bundle)) is not first  # another source: another context
    monkeypatch.delenv("SSL_CERT_FILE")
    bundle.write_text(bundle.read_text() + "\n")  # the file changed: read again
    assert tls.tls_context(str(bundle)) is not first


@pytest.mark.skipif(sys.platform in tls.OS_STORE_PLATFORMS, reason="the OS store is truststore's")
def test_away_from_macos_and_windows_the_bundle_is_loaded_once_into_a_verifying_context(
    private_system_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # truststore would reload the distribution's bundle for every connection (~21 ms each);
    # here the context holds it already, and still refuses what it cannot verify
    import certifi

    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    shutil.copyfile(certifi.where(), private_system_store)
    context = tls.tls_context()
    assert type(context) is ssl.SSLContext
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert context.cert_store_stats()["x509_ca"] > 0
