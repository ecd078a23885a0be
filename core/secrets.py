"""Where sign-in secrets live: the system keyring when a secure one exists, else a private file.

A remote's secret is one opaque text (the msal token cache, serialised). It never goes to
the config file, to logs or into a repr. Without a desktop session (SSH, containers, CI)
keyring has no secure backend; then the secret goes to a 0600 file in a 0700 folder under
the user data dir, and the store says so once, in plain words, with the path.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol, runtime_checkable
from urllib.parse import quote

import keyring
import keyring.errors
from keyring.backend import KeyringBackend

from core.dirs import data_dir, private_dir

log = logging.getLogger("skypane.secrets")

SERVICE = "skypane"
TOKENS_DIR = "tokens"

#: keyring backends that keep nothing or keep it in clear (keyrings.alt stores base64 only).
_INSECURE_MODULES = ("keyring.backends.fail", "keyring.backends.null", "keyrings.alt")

_warned: set[Path] = set()
_warned_lock = threading.Lock()


@runtime_checkable
class Secrets(Protocol):
    """What sign-in needs from a secret store."""

    def load(self, remote: str) -> str | None: ...

    def save(self, remote: str, blob: str) -> None: ...

    def delete(self, remote: str) -> None: ...


class MemorySecrets:
    """Secrets held in memory only: a sign-in not yet committed (``skypane login`` keeps
    the new tokens here until the remote is saved), or tests."""

    def __init__(self) -> None:
        self._values: dict[str, str] = {}

    def load(self, remote: str) -> str | None:
        return self._values.get(remote)

    def save(self, remote: str, blob: str) -> None:
        self._values[remote] = blob

    def delete(self, remote: str) -> None:
        self._values.pop(remote, None)

    def names(self) -> list[str]:
        """Names of the secrets held."""
        return list(self._values)

    def __repr__(self) -> str:
        return f"MemorySecrets({sorted(self._values)!r})"


def _is_secure(backend: KeyringBackend) -> bool:
    module = type(backend).__module__
    if any(module == m or module.startswith(m + ".") for m in _INSECURE_MODULES):
        return False
    try:
        return float(backend.priority) > 0
    except Exception:  # a backend that cannot run says so by raising from priority
        return False


def find_secure_keyring() -> tuple[KeyringBackend | None, str]:
    """The keyring backend to use (or None) and why, in words fit for a user."""
    try:
        chosen = keyring.get_keyring()
    except (keyring.errors.NoKeyringError, RuntimeError) as exc:
        return None, f"the keyring library cannot start a backend ({exc})"
    except Exception as exc:  # a PYTHON_KEYRING_BACKEND naming something broken
        return None, f"the keyring backend failed to load ({type(exc).__name__}: {exc})"
    # The chainer hides the real backends; use the best secure one directly so a
    # plaintext backend with a higher priority never receives the secret.
    inner = getattr(chosen, "backends", None)
    candidates: list[KeyringBackend] = list(inner) if inner is not None else [chosen]
    for backend in candidates:
        if _is_secure(backend):
            return backend, f"system keyring ({_backend_name(backend)})"
    names = ", ".join(_backend_name(b) for b in candidates) or "none"
    return None, f"no secure system keyring is available (keyring backends: {names})"


def _backend_name(backend: KeyringBackend) -> str:
    cls = type(backend)
    return f"{cls.__module__}.{cls.__qualname__}"


class SecretStore:
    """Per-remote secrets: ``load``/``save``/``delete``; ``warning`` says when they sit in a file.

    ``keyring_backend`` forces a backend (tests); ``None`` looks one up. ``folder``
    overrides the fallback folder (default ``data_dir()/tokens``). ``log_warning``:
    whether the store logs its warning itself the first time it creates a token file
    (callers that print ``warning`` themselves pass False).
    """

    def __init__(
        self,
        *,
        keyring_backend: KeyringBackend | None = None,
        folder: Path | None = None,
        log_warning: bool = True,
    ) -> None:
        if keyring_backend is not None:
            self._keyring: KeyringBackend | None = keyring_backend
            self._why = f"system keyring ({_backend_name(keyring_backend)})"
        else:
            self._keyring, self._why = find_secure_keyring()
        self._folder = folder or data_dir() / TOKENS_DIR
        self._log_warning = log_warning
        #: Set when a keyring write failed and this store fell back to the file.
        self._keyring_failed: str | None = None

    # -- description -------------------------------------------------------------

    @property
    def uses_keyring(self) -> bool:
        return self._keyring is not None and self._keyring_failed is None

    @property
    def folder(self) -> Path:
        return self._folder

    @property
    def backend_description(self) -> str:
        if self.uses_keyring:
            return self._why
        return f"private file in {self._folder}"

    @property
    def warning(self) -> str | None:
        """One sentence for the user when secrets go to a file instead of a keyring."""
        if self.uses_keyring:
            return None
        why = self._keyring_failed or self._why
        return (
            f"sign-in tokens are stored in a file readable only by you, in {self._folder}, "
            f"because {why}. Anyone with access to your account can use them; "
            f"`skypane logout NAME` removes them."
        )

    def __repr__(self) -> str:
        return f"SecretStore({self.backend_description!r})"

    # -- operations --------------------------------------------------------------

    def path_for(self, remote: str) -> Path:
        """The fallback file of ``remote`` (whether or not it exists)."""
        return self._folder / (quote(remote, safe="") + ".json")

    @staticmethod
    def _username(remote: str) -> str:
        return f"token-cache:{remote}"

    def load(self, remote: str) -> str | None:
        """The stored secret of ``remote``, or None."""
        if self.uses_keyring:
            assert self._keyring is not None
            try:
                value = self._keyring.get_password(SERVICE, self._username(remote))
            except keyring.errors.KeyringError as exc:
                log.debug("keyring read failed for %s: %s", remote, type(exc).__name__)
                value = None
            if value is not None:
                return value
        try:
            return self.path_for(remote).read_text(encoding="utf-8")
        except FileNotFoundError:
            return None

    def save(self, remote: str, blob: str) -> None:
        """Store ``blob`` for ``remote``, replacing what was there."""
        if self.uses_keyring:
            assert self._keyring is not None
            try:
                self._keyring.set_password(SERVICE, self._username(remote), blob)
            except (keyring.errors.KeyringError, RuntimeError, OSError) as exc:
                # A keyring that refuses (locked, too large an entry) must not lose the
                # sign-in: fall back to the file and say why.
                self._keyring_failed = f"the system keyring refused it ({type(exc).__name__})"
            else:
                self._remove_file(remote)  # an older fallback copy must not linger
                return
        self._write_file(remote, blob)

    def delete(self, remote: str) -> None:
        """Forget ``remote``'s secret everywhere it may be."""
        if self._keyring is not None:
            with contextlib.suppress(
                keyring.errors.PasswordDeleteError, keyring.errors.KeyringError
            ):
                self._keyring.delete_password(SERVICE, self._username(remote))
        self._remove_file(remote)

    # -- the file fallback -------------------------------------------------------

    def _write_file(self, remote: str, blob: str) -> None:
        folder = private_dir(self._folder)
        target = self.path_for(remote)
        created = not target.exists()
        fd, tmp = tempfile.mkstemp(prefix=".tokens-", suffix=".tmp", dir=folder)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(blob)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, target)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        if created and self._log_warning:
            self._announce()

    def _announce(self) -> None:
        with _warned_lock:
            if self._folder in _warned:
                return
            _warned.add(self._folder)
        log.warning("skypane: %s", self.warning)

    def _remove_file(self, remote: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path_for(remote).unlink()


def default_store(secrets: Any = None) -> Secrets:
    """``secrets`` if it is a store (a backend context's), else the default one."""
    return secrets if isinstance(secrets, Secrets) else SecretStore()


# -- secret options of a remote ----------------------------------------------------------------
#
# A backend option declared ``secret`` (an SFTP password) is never written to the config
# file: its value lives in the secret store, all of a remote's such values as one JSON
# object, under a key of its own (``NAME#options``: ``#`` cannot occur in a remote's name,
# so it never meets the sign-in tokens stored under ``NAME``).


def _options_key(remote: str) -> str:
    return f"{remote}#options"


def load_secret_options(store: Secrets, remote: str) -> dict[str, str]:
    """The remote's secret option values (empty when none are stored)."""
    blob = store.load(_options_key(remote))
    if not blob:
        return {}
    try:
        values = json.loads(blob)
    except ValueError:
        return {}
    if not isinstance(values, dict):
        return {}
    return {k: v for k, v in values.items() if isinstance(k, str) and isinstance(v, str)}


def save_secret_options(store: Secrets, remote: str, values: Mapping[str, str | None]) -> None:
    """Set (a string) or forget (None, "") secret option values of the remote."""
    current = load_secret_options(store, remote)
    for name, value in values.items():
        if value:
            current[name] = value
        else:
            current.pop(name, None)
    if current:
        store.save(_options_key(remote), json.dumps(current))
    else:
        store.delete(_options_key(remote))


def delete_secret_options(store: Secrets, remote: str) -> None:
    store.delete(_options_key(remote))
