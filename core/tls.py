"""The one TLS configuration for every HTTPS connection skypane makes.

Sign-in (msal), Graph, the upload and download hosts and the drive finder all verify
servers against the same certificates:

* the operating system's store: through ``truststore`` on macOS (the keychain) and Windows
  (its certificate store); on Linux and the BSDs the distribution's bundle, which is where
  ``update-ca-certificates`` puts a corporate proxy's CA, given by us once per context
  (``truststore`` does nothing more there, but reloads the bundle for every connection:
  ~21 ms of CPU each, measured with ``wrap_bio`` on Debian 12's 140-certificate bundle).
  Where the bundle sits in a folder of hashed links that is given too (Debian, Ubuntu,
  Alpine, Arch: /etc/ssl/certs), the folder alone is given: OpenSSL then reads the one CA
  a server's chain names instead of parsing all of them (a context: 41 → 1.5 ms of CPU
  with ``SSL_CERT_FILE`` naming that same bundle, as on many machines);
* ``SSL_CERT_FILE`` and ``SSL_CERT_DIR`` when set, *in addition* to the system store
  (OpenSSL alone would read them instead of it);
* the remote's own ``ca_bundle`` option.

Verification is never switched off.

A context is made once per set of sources and shared (Graph, the files hosts, the drive
finder and msal's sign-in of a remote use the same one): loading the system bundle costs
tens of milliseconds, and an ``SSLContext`` is safe to share between connections and threads.
"""

from __future__ import annotations

import contextlib
import os
import re
import ssl
import sys
import threading
from pathlib import Path

from core.errors import ConfigError

#: The distribution bundles looked for on Linux and the BSDs, first found wins: OpenSSL's
#: compiled-in file first, then where the common distributions keep theirs.
SYSTEM_CA_FILES: tuple[str, ...] = (
    ssl.get_default_verify_paths().openssl_cafile,
    "/etc/ssl/certs/ca-certificates.crt",  # Debian, Ubuntu, Alpine
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",  # Fedora, RHEL
    "/etc/pki/tls/cert.pem",
    "/etc/ssl/cert.pem",  # Arch, the BSDs, macOS's OpenSSL
    "/etc/ssl/ca-bundle.pem",  # SUSE
)
#: OpenSSL's compiled-in folder of hashed certificates.
SYSTEM_CA_DIRS: tuple[str, ...] = (ssl.get_default_verify_paths().openssl_capath,)


_made: dict[tuple[object, ...], ssl.SSLContext] = {}
_made_lock = threading.Lock()


def tls_context(ca_bundle: str | os.PathLike[str] | None = None) -> ssl.SSLContext:
    """A client context trusting the system store, ``SSL_CERT_FILE``/``SSL_CERT_DIR`` and
    ``ca_bundle`` (a PEM file; ``ConfigError`` naming it when it is missing or unusable).

    The same sources (and an unchanged ``ca_bundle`` file) give the same context object."""
    bundle = Path(ca_bundle).expanduser() if ca_bundle else None
    try:
        stamp = (bundle.stat().st_mtime_ns, bundle.stat().st_size) if bundle else None
    except OSError:
        stamp = None
    key = (
        SYSTEM_CA_FILES,
        SYSTEM_CA_DIRS,
        os.environ.get("SSL_CERT_FILE"),
        os.environ.get("SSL_CERT_DIR"),
        str(bundle),
        stamp,
    )
    with _made_lock:
        found = _made.get(key)
        if found is None:
            found = _new_context(bundle)
            if len(_made) >= 16:
                _made.clear()
            _made[key] = found
        return found


#: Where the operating system keeps trust decisions outside any file OpenSSL can read.
OS_STORE_PLATFORMS = ("darwin", "win32")


def _base_context() -> ssl.SSLContext:
    if sys.platform in OS_STORE_PLATFORMS:
        import truststore

        os_store: ssl.SSLContext = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        return os_store
    # PROTOCOL_TLS_CLIENT verifies the chain and the host name; the bundles come below
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


def _new_context(ca_bundle: Path | None) -> ssl.SSLContext:
    context = _base_context()
    env_dirs = (os.environ.get("SSL_CERT_DIR") or "").split(os.pathsep)
    hashed = {os.path.realpath(d) for d in (*SYSTEM_CA_DIRS, *env_dirs) if d and _hashed_folder(d)}
    given: set[str] = set()  # each file or folder once, by its real path

    def add(system: bool = False, **where: str) -> None:
        real = os.path.realpath(next(iter(where.values())))
        if real in given:
            return
        given.add(real)
        if system and os.path.dirname(real) in hashed:
            # The distribution's bundle sits in a hashed folder that is given too: its tool
            # (update-ca-certificates) wrote both from the same certificates, and OpenSSL
            # reads from the folder only the CA a server's chain names, when it names it,
            # where the bundle would be parsed whole now (~20 ms of CPU for ~140 CAs). A
            # file named by SSL_CERT_FILE is always read, unless it is this same bundle.
            return
        _load(context, **where)

    for cafile in SYSTEM_CA_FILES:
        if cafile and os.path.isfile(cafile):
            add(system=True, cafile=cafile)
            break
    for capath in SYSTEM_CA_DIRS:
        if capath and os.path.isdir(capath):
            add(capath=capath)
    env_file = os.environ.get("SSL_CERT_FILE")
    if env_file and os.path.isfile(env_file):
        add(cafile=env_file)
    for capath in env_dirs:
        if capath and os.path.isdir(capath):
            add(capath=capath)
    if ca_bundle is not None:
        path = ca_bundle
        if not path.is_file():
            raise ConfigError(f"CA bundle not found: {path}")
        try:
            context.load_verify_locations(cafile=str(path))
        except (ssl.SSLError, ValueError, OSError) as exc:
            raise ConfigError(f"CA bundle {path} is not a usable PEM file ({exc})") from exc
    return context


def _hashed_folder(path: str) -> bool:
    """Whether ``path`` holds certificates under OpenSSL's hashed names (``1a2b3c4d.0``)."""
    try:
        with os.scandir(path) as found:
            return any(_HASHED.fullmatch(entry.name) for entry in found)
    except OSError:
        return False


_HASHED = re.compile(r"[0-9a-f]{8}\.[0-9]+")


def _load(context: ssl.SSLContext, **where: str) -> None:
    # A damaged system or environment bundle must not stop skypane: the other sources
    # (and the OS store) still apply, and a server they cannot vouch for is refused anyway.
    with contextlib.suppress(ssl.SSLError, ValueError, OSError):
        context.load_verify_locations(**where)
