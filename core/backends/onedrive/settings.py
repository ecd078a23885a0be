"""A OneDrive remote's options, typed and checked (values may arrive as TOML or strings)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.backends.onedrive.options import CHUNK_UNIT, OPTIONS
from core.errors import ConfigError

#: Graph refuses fragment requests of 60 MiB or more.
MAX_CHUNK = 60 * 1024 * 1024 - CHUNK_UNIT
DEFAULTS = {o.name: o.default for o in OPTIONS}


def _bool(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ConfigError(f"option {name}: expected true or false, got {value!r}")


def _int(name: str, value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"option {name}: expected a whole number, got {value!r}") from None


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


@dataclass(frozen=True, slots=True)
class Settings:
    region: str = "global"
    graph_url: str | None = None
    ca_bundle: str | None = None
    user_agent: str | None = None
    drive_id: str | None = None
    drive_type: str | None = None
    root_folder_id: str | None = None
    chunk_size: int = 10 * 1024 * 1024
    #: Graph's own page size: each page parses in a few milliseconds, so a TUI listing a
    #: big folder answers keys between pages (a 1,000-entry page took 50 ms on a busy box).
    list_chunk: int = 1000
    expose_onenote_files: bool = False
    no_versions: bool = False
    hash_type: str = "quickxor"
    encoding: bool = True
    hard_delete: bool = False

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> Settings:
        """Options with defaults filled in; ``ConfigError`` naming the option that is wrong."""
        o = {**DEFAULTS, **{k: v for k, v in options.items() if v is not None}}
        chunk = _int("chunk_size", o["chunk_size"])
        if chunk <= 0 or chunk % CHUNK_UNIT or chunk > MAX_CHUNK:
            raise ConfigError(
                f"option chunk_size: {chunk} must be a positive multiple of 320 KiB "
                f"({CHUNK_UNIT} bytes) below 60 MiB"
            )
        list_chunk = _int("list_chunk", o["list_chunk"])
        if not 1 <= list_chunk <= 1000:
            raise ConfigError(f"option list_chunk: {list_chunk} must be between 1 and 1000")
        hash_type = str(o["hash_type"]).lower()
        if hash_type not in ("quickxor", "sha1", "none"):
            raise ConfigError(f"option hash_type: {hash_type!r} is not quickxor, sha1 or none")
        return cls(
            region=str(o.get("region") or "global"),
            graph_url=_text(o.get("graph_url")),
            ca_bundle=_text(o.get("ca_bundle")),
            user_agent=_text(o.get("user_agent")),
            drive_id=_text(o.get("drive_id")),
            drive_type=_text(o.get("drive_type")),
            root_folder_id=_text(o.get("root_folder_id")),
            chunk_size=chunk,
            list_chunk=list_chunk,
            expose_onenote_files=_bool("expose_onenote_files", o["expose_onenote_files"]),
            no_versions=_bool("no_versions", o["no_versions"]),
            hash_type=hash_type,
            encoding=_bool("encoding", o["encoding"]),
            hard_delete=_bool("hard_delete", o["hard_delete"]),
        )
