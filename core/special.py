"""Local files that are not files: named pipes, sockets, devices, doors.

Reading a named pipe blocks until some other process writes to it, and reading a device can
have effects of its own (a tape rewinds, a terminal waits for a key), so skypane never opens
one as a file. ``special_kind`` names what a mode is; ``open_regular`` opens a path for
reading without ever blocking in ``open`` and refuses anything that turns out not to be a
regular file (a file swapped for a pipe between the listing and the read included).
"""

from __future__ import annotations

import errno
import os
import stat

from core.errors import NotARegularFile

_KINDS = (
    (stat.S_ISFIFO, "named pipe"),
    (stat.S_ISSOCK, "socket"),
    (stat.S_ISCHR, "character device"),
    (stat.S_ISBLK, "block device"),
    (stat.S_ISDOOR, "door"),
    (stat.S_ISPORT, "event port"),
    (stat.S_ISWHT, "whiteout"),
)


def special_kind(mode: int) -> str | None:
    """What a ``st_mode`` is when it is neither a regular file, a folder nor a link."""
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode) or stat.S_ISLNK(mode):
        return None
    for test, name in _KINDS:
        if test(mode):
            return name
    return "special file"


def not_a_file(path: str, kind: str) -> NotARegularFile:
    """The error for a special file met where a file is read."""
    return NotARegularFile(f"not a regular file ({kind}): never opened", path=path)


def open_regular(path: str | os.PathLike[str], flags: int = os.O_RDONLY) -> int:
    """A file descriptor of the regular file at ``path`` (blocking mode), or an error.

    ``O_NONBLOCK`` makes ``open`` return at once even on a named pipe with no writer; the
    ``fstat`` of what was opened decides, so a path swapped for a pipe after it was listed
    is refused too. Usable as ``open(path, "rb", opener=open_regular)``.
    """
    extra = getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags | extra)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            if stat.S_ISDIR(mode):
                raise IsADirectoryError(errno.EISDIR, "Is a directory", os.fsdecode(path))
            raise not_a_file(os.fsdecode(path), special_kind(mode) or "special file")
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd
