"""A throwaway certificate authority and a server certificate for 127.0.0.1 and localhost."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path

HOSTS = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class TlsFiles:
    #: PEM of the CA certificate: what clients verify against.
    ca_bundle: Path
    #: PEM with the server's private key and certificate chain.
    server_pem: Path


def make_tls(directory: Path) -> TlsFiles:
    """Certificates in ``directory``, reusing ones made earlier (a state folder keeps them,
    so a client's stored CA path stays valid across runs)."""
    directory.mkdir(parents=True, exist_ok=True)
    files = TlsFiles(directory / "ca.pem", directory / "server.pem")
    if files.ca_bundle.exists() and files.server_pem.exists() and _loads(files):
        return files
    import trustme  # only to make them: it loads the whole of cryptography

    ca = trustme.CA(organization_name="skypane emulator")
    cert = ca.issue_cert(*HOSTS, common_name="skypane emulator")
    ca.cert_pem.write_to_path(str(files.ca_bundle))
    cert.private_key_and_cert_chain_pem.write_to_path(str(files.server_pem))
    files.server_pem.chmod(0o600)
    return files


def _loads(files: TlsFiles) -> bool:
    try:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(files.server_pem))
        ssl.create_default_context(cafile=str(files.ca_bundle))
    except (ssl.SSLError, OSError):
        return False
    return True
