"""``remote:path`` locations, as on rclone's command line, and POSIX path helpers."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from core.errors import UnknownRemote


@dataclass(frozen=True, slots=True)
class Location:
    """A place named on the command line: ``remote`` None means the local filesystem."""

    remote: str | None
    path: str

    def __str__(self) -> str:
        if self.remote is None:
            return self.path
        return f"{self.remote}:{self.path.lstrip('/')}"


def parse_location(text: str, remotes: list[str] | None = None) -> Location:
    """Split ``remote:path`` into its parts.

    As in rclone, a colon counts only when what stands before it contains no ``/``:
    ``./a:b`` and ``/tmp/a:b`` are local paths. With ``remotes`` given, an unknown remote
    name raises ``UnknownRemote`` listing the known ones.
    """
    head, sep, tail = text.partition(":")
    if not sep or "/" in head or head == "":
        return Location(None, text)
    if remotes is not None and head not in remotes:
        known = ", ".join(sorted(remotes)) or "none configured; see `skypane login`"
        raise UnknownRemote(f"unknown remote {head!r} (known remotes: {known})")
    return Location(head, normalize(tail))


def normalize(path: str) -> str:
    """Make a remote path absolute and tidy: ``a//b/`` → ``/a/b``; ``""`` → ``/``."""
    cleaned = posixpath.normpath("/" + path.strip("/")) if path.strip("/") else "/"
    return "/" + cleaned.lstrip("/") if cleaned != "/" else "/"


def join(parent: str, name: str) -> str:
    """Join a folder path and a name."""
    return parent.rstrip("/") + "/" + name if parent != "/" else "/" + name


def parent(path: str) -> str:
    """The folder that holds ``path`` (the root is its own parent)."""
    head = posixpath.dirname(path.rstrip("/")) if path != "/" else "/"
    return head or "/"


def basename(path: str) -> str:
    """The last component of ``path`` ("" for the root)."""
    return posixpath.basename(path.rstrip("/"))
