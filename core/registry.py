"""Backend discovery through the ``skypane.backends`` entry-point group.

Names are listed from package metadata without importing any backend; a backend's module
is imported only when a remote of that type is opened.
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import EntryPoint, entry_points

from core.backend import BackendType
from core.errors import ConfigError

GROUP = "skypane.backends"


@cache
def _entry_points() -> dict[str, EntryPoint]:
    return {ep.name: ep for ep in entry_points(group=GROUP)}


def backend_names() -> list[str]:
    """Names of every installed backend type, sorted."""
    return sorted(_entry_points())


def backend_class(name: str) -> BackendType:
    """Import and return the backend class registered as ``name``."""
    eps = _entry_points()
    try:
        ep = eps[name]
    except KeyError:
        known = ", ".join(sorted(eps)) or "none"
        raise ConfigError(f"unknown backend type {name!r} (known types: {known})") from None
    cls = ep.load()
    if not isinstance(cls, BackendType):
        raise ConfigError(
            f"backend type {name!r} ({ep.value}) is not a skypane backend class",
            detail="it declares no OPTIONS or has no from_config(remote, options, context)",
        )
    return cls
