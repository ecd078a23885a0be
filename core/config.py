"""Remotes and settings in ``config.toml`` under the platform config folder.

The file is read and written with tomlkit so a user's comments and layout survive our
edits. Writes are atomic (temporary file, fsync, rename). A malformed file is never
overwritten: loading it raises ``ConfigError`` naming the file, the line and the key.
No secret is ever written here; tokens live in ``core.secrets``.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomlkit
import tomlkit.exceptions
from tomlkit.items import Table

from core.dirs import config_dir
from core.errors import ConfigError, UnknownRemote

FILE_NAME = "config.toml"
#: Keys that would hold a secret; refused anywhere in the file.
SECRET_KEYS = frozenset(
    {"access_token", "refresh_token", "id_token", "token", "client_secret", "password", "secret"}
)
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\- ]{0,63}$")

HEADER = """\
# skypane configuration. Remotes are added by `skypane login NAME` or the config wizard;
# edit freely: comments and layout are kept. Secrets are never stored in this file.
"""


def default_path() -> Path:
    return config_dir() / FILE_NAME


def validate_remote_name(name: str) -> None:
    """Raise ``ConfigError`` unless ``name`` can be used before a colon on the command line."""
    if not _NAME.match(name) or name.endswith(" ") or name == "local":
        raise ConfigError(
            f"invalid remote name {name!r}: use letters, digits, '_', '-', '.' or spaces "
            "(not starting with a space or '-', at most 64 characters, not 'local')"
        )


@dataclass(frozen=True, slots=True)
class RemoteConfig:
    """One configured remote: its name, backend type and options."""

    name: str
    type: str
    options: Mapping[str, Any] = field(default_factory=dict)

    def get(self, key: str, default: Any = None) -> Any:
        return self.options.get(key, default)


def _line_of(text: str, needle: str) -> int | None:
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    return None


class Config:
    """The parsed file, with typed accessors; ``save()`` writes it back atomically."""

    def __init__(self, path: Path, doc: tomlkit.TOMLDocument, text: str = "") -> None:
        self.path = path
        self._doc = doc
        self._text = text
        self._validate()

    # -- reading ---------------------------------------------------------------

    def _error(self, key: str, problem: str, needle: str | None = None) -> ConfigError:
        line = _line_of(self._text, needle or key.rsplit(".", 1)[-1]) if self._text else None
        where = f"{self.path}, line {line}" if line else str(self.path)
        return ConfigError(f"{where}: key {key!r}: {problem}")

    def _validate(self) -> None:
        for section in ("settings", "keys", "remotes"):
            if section in self._doc and not isinstance(self._doc[section], dict):
                raise self._error(section, "must be a table", f"{section}")
        for name, table in self._remote_tables():
            if not isinstance(table, dict):
                raise self._error(f"remotes.{name}", "must be a table", f"remotes.{name}")
            kind = table.get("type")
            if not isinstance(kind, str) or not kind:
                raise self._error(
                    f"remotes.{name}.type", "missing or not a string", f"[remotes.{name}"
                )
        for key in self._walk_keys(self._doc, ""):
            if key.rsplit(".", 1)[-1].lower() in SECRET_KEYS:
                raise self._error(key, "secrets do not belong in the config file; remove it")
        keys = self._doc.get("keys", {})
        for action, binding in keys.items():
            if not isinstance(binding, str):
                raise self._error(f"keys.{action}", "must be a string such as 'f5,ctrl+c'")

    def _walk_keys(self, table: Mapping[str, Any], prefix: str) -> Iterator[str]:
        for key, value in table.items():
            full = f"{prefix}{key}"
            yield full
            if isinstance(value, dict):
                yield from self._walk_keys(value, full + ".")

    def _remote_tables(self) -> Iterator[tuple[str, Any]]:
        remotes = self._doc.get("remotes", {})
        yield from remotes.items()

    @property
    def remotes(self) -> dict[str, RemoteConfig]:
        """Configured remotes by name, in file order."""
        out: dict[str, RemoteConfig] = {}
        for name, table in self._remote_tables():
            options = {k: _plain(v) for k, v in table.items() if k != "type"}
            out[name] = RemoteConfig(name=name, type=str(table["type"]), options=options)
        return out

    def remote(self, name: str) -> RemoteConfig:
        try:
            return self.remotes[name]
        except KeyError:
            known = ", ".join(self.remotes) or "none configured; see `skypane login`"
            raise UnknownRemote(f"unknown remote {name!r} (known remotes: {known})") from None

    @property
    def settings(self) -> dict[str, Any]:
        return {k: _plain(v) for k, v in self._doc.get("settings", {}).items()}

    @property
    def keymap(self) -> dict[str, str]:
        """Binding id → keys, for ``App.set_keymap``."""
        return {k: str(v) for k, v in self._doc.get("keys", {}).items()}

    # -- changing --------------------------------------------------------------

    def set_remote(self, remote: RemoteConfig) -> None:
        """Add or replace a remote; ``None`` option values are left out."""
        validate_remote_name(remote.name)
        for key in remote.options:
            if key.lower() in SECRET_KEYS:
                raise ConfigError(f"refusing to write secret option {key!r} to {self.path}")
        remotes = self._doc.get("remotes")
        if remotes is None:
            remotes = tomlkit.table(is_super_table=True)
            self._doc["remotes"] = remotes
        table = remotes.get(remote.name)
        if not isinstance(table, Table):
            table = tomlkit.table()
            remotes[remote.name] = table
        for key in list(table.keys()):
            if key != "type" and key not in remote.options:
                del table[key]
        table["type"] = remote.type
        for key, value in remote.options.items():
            if value is not None:
                table[key] = value

    def delete_remote(self, name: str) -> None:
        self.remote(name)
        del self._doc["remotes"][name]

    def rename_remote(self, old: str, new: str) -> None:
        validate_remote_name(new)
        if new in self.remotes:
            raise ConfigError(f"a remote named {new!r} already exists")
        remote = self.remote(old)
        self.delete_remote(old)
        self.set_remote(RemoteConfig(new, remote.type, dict(remote.options)))

    def set_setting(self, key: str, value: Any) -> None:
        settings = self._doc.get("settings")
        if settings is None:
            settings = tomlkit.table()
            self._doc["settings"] = settings
        settings[key] = value

    def save(self) -> None:
        """Write atomically, owner-only, creating the folder if needed."""
        text = tomlkit.dumps(self._doc)
        if not text.startswith("#"):
            text = HEADER + text
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".config-", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        self._text = text


def _plain(value: Any) -> Any:
    unwrap = getattr(value, "unwrap", None)
    return unwrap() if callable(unwrap) else value


def load_config(path: Path | None = None) -> Config:
    """Read the config file (an absent file is an empty config)."""
    path = path or default_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Config(path, tomlkit.document())
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc})") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from exc
    try:
        doc = tomlkit.parse(text)
    except tomlkit.exceptions.ParseError as exc:
        raise ConfigError(f"{path}, line {exc.line}, column {exc.col}: {exc}") from exc
    return Config(path, doc, text)
