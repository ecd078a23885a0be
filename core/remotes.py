"""Open a backend for a location: the local filesystem or a configured remote."""

from __future__ import annotations

from core.backend import Backend, BackendContext
from core.backends.local import LocalBackend
from core.config import Config, load_config
from core.paths import Location, parse_location
from core.registry import backend_class

LOCAL = "local"


def local_backend() -> Backend:
    """The local filesystem as a backend (what ``open_backend(None)`` opens)."""
    return LocalBackend()


def open_backend(
    remote: str | None, config: Config | None = None, context: BackendContext | None = None
) -> Backend:
    """A backend for ``remote`` (``None`` or ``"local"``: the local filesystem).

    Every backend class offers ``from_config(remote, options, context)``; its module is
    imported only here, when a remote of its type is first used.
    """
    if remote is None or remote == LOCAL:
        return LocalBackend()
    config = config or load_config()
    rc = config.remote(remote)
    cls = backend_class(rc.type)
    return cls.from_config(rc.name, dict(rc.options), context or BackendContext())


def resolve(text: str, config: Config | None = None) -> tuple[Location, Config]:
    """Parse ``remote:path`` against the configured remotes (local paths are made absolute)."""
    import os

    config = config or load_config()
    loc = parse_location(text, list(config.remotes))
    if loc.remote is None:
        loc = Location(None, os.path.abspath(os.path.expanduser(loc.path)))
    return loc, config
