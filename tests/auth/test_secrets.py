"""Token storage: the keyring when a secure one exists, else a private file with one warning."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import keyring
import keyring.errors
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail, null

from core.dirs import data_dir
from core.secrets import SERVICE, MemorySecrets, Secrets, SecretStore, find_secure_keyring
from tests.auth.conftest import MemoryKeyring

BLOB = '{"RefreshToken": {"x": {"secret": "M.C5-very-secret-refresh-token"}}}'


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_without_keyring_tokens_go_to_a_private_file_with_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = SecretStore()
    assert not store.uses_keyring
    assert store.folder == data_dir() / "tokens"
    with caplog.at_level(logging.WARNING, logger="skypane.secrets"):
        store.save("work", BLOB)
        store.save("work", BLOB + " ")  # rewriting is not news
        store.save("home", BLOB)  # neither is a second remote in the same folder
    path = store.path_for("work")
    assert path.read_text() == BLOB + " "
    assert mode(path) == 0o600
    assert mode(store.folder) == 0o700
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    text = warnings[0].getMessage()
    assert str(store.folder) in text and "no secure system keyring" in text
    assert "M.C5" not in caplog.text
    assert store.warning is not None and str(store.folder) in store.warning
    assert list(store.folder.glob(".tokens-*")) == []  # no temporary file left behind
    assert store.load("work") == BLOB + " "
    assert store.load("nobody") is None
    store.delete("work")
    assert store.load("work") is None and not path.exists()
    assert store.load("home") == BLOB


def test_the_file_warning_can_be_left_to_the_caller(caplog: pytest.LogCaptureFixture) -> None:
    store = SecretStore(log_warning=False, folder=data_dir() / "quiet")
    with caplog.at_level(logging.DEBUG):
        store.save("work", BLOB)
    assert caplog.records == []
    assert store.warning


def test_a_secure_keyring_holds_the_tokens_and_no_file_is_written() -> None:
    memory = MemoryKeyring()
    keyring.set_keyring(memory)
    store = SecretStore()
    assert store.uses_keyring and store.warning is None
    assert "MemoryKeyring" in store.backend_description
    store.save("work", BLOB)
    assert memory.values[(SERVICE, "token-cache:work")] == BLOB
    assert not store.folder.exists()
    assert store.load("work") == BLOB
    store.delete("work")
    assert memory.values == {}
    store.delete("work")  # deleting twice is fine


def test_a_leftover_file_is_removed_once_the_keyring_takes_over() -> None:
    SecretStore().save("work", BLOB)  # written while no keyring existed
    keyring.set_keyring(MemoryKeyring())
    store = SecretStore()
    assert store.load("work") == BLOB  # still found
    store.save("work", BLOB)
    assert not store.path_for("work").exists()


def test_a_keyring_that_refuses_falls_back_to_the_file() -> None:
    class Refusing(MemoryKeyring):
        def set_password(self, service: str, username: str, password: str) -> None:
            raise keyring.errors.PasswordSetError("entry too large")

    store = SecretStore(keyring_backend=Refusing())
    store.save("work", BLOB)
    assert mode(store.path_for("work")) == 0o600
    assert store.warning is not None and "refused" in store.warning
    assert store.load("work") == BLOB


class AltPlaintext(MemoryKeyring):
    """Looks like keyrings.alt's PlaintextKeyring (base64 in a file: not secure)."""


AltPlaintext.__module__ = "keyrings.alt.file"


class Chainer(KeyringBackend):
    priority = 10  # type: ignore[assignment]

    def __init__(self, backends: list[KeyringBackend]) -> None:
        super().__init__()
        self.backends = backends

    def get_password(self, service: str, username: str) -> str | None:
        raise AssertionError("the chainer itself must not be used")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise AssertionError("the chainer itself must not be used")

    def delete_password(self, service: str, username: str) -> None:
        raise AssertionError("the chainer itself must not be used")


@pytest.mark.parametrize(
    "backend",
    [fail.Keyring(), null.Keyring(), AltPlaintext(), Chainer([]), Chainer([AltPlaintext()])],
    ids=["fail", "null", "keyrings.alt", "empty-chainer", "chainer-with-plaintext"],
)
def test_insecure_or_empty_keyrings_count_as_none(backend: KeyringBackend) -> None:
    keyring.set_keyring(backend)
    found, why = find_secure_keyring()
    assert found is None
    assert "no secure system keyring" in why
    assert SecretStore().warning


def test_the_chainer_hands_over_its_best_secure_backend() -> None:
    secure = MemoryKeyring()
    keyring.set_keyring(Chainer([AltPlaintext(), secure]))
    store = SecretStore()
    store.save("work", BLOB)
    assert secure.values[(SERVICE, "token-cache:work")] == BLOB


def test_a_keyring_library_that_cannot_start_means_no_keyring(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken() -> KeyringBackend:
        raise RuntimeError("No recommended backend was available")

    monkeypatch.setattr(keyring, "get_keyring", broken)
    store = SecretStore()
    assert not store.uses_keyring
    assert store.warning is not None and "No recommended backend" in store.warning


def test_reprs_name_the_place_never_the_secret() -> None:
    store = SecretStore()
    store.save("work", BLOB)
    memory = MemorySecrets()
    memory.save("work", BLOB)
    assert "M.C5" not in repr(store) and "M.C5" not in repr(memory)
    assert isinstance(store, Secrets) and isinstance(memory, Secrets)
