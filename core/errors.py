"""The one error family every backend raises.

Backends map their own failures (OS errors, HTTP status codes, Graph error codes) onto
these types and keep the original detail in ``detail`` so the message shown to the user
says what really happened.
"""

from __future__ import annotations


class SkypaneError(Exception):
    """Base of every error skypane reports to a user."""

    #: Whether retrying the same call later may succeed.
    retryable: bool = False

    def __init__(self, message: str, *, path: str | None = None, detail: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.detail = detail

    def __str__(self) -> str:
        text = self.message
        if self.path is not None and self.path not in text:
            text = f"{text}: {self.path}"
        if self.detail:
            text = f"{text} ({self.detail})"
        return text


class NotFound(SkypaneError):
    """The path or item does not exist."""


class AlreadyExists(SkypaneError):
    """Something with that name is already there."""


class NotADirectory(SkypaneError):
    """A folder was expected."""


class IsADirectory(SkypaneError):
    """A file was expected."""


class DirectoryNotEmpty(SkypaneError):
    """A folder still has entries and recursive removal was not asked for."""


class PermissionDenied(SkypaneError):
    """The account or the OS refuses access."""


class InvalidName(SkypaneError):
    """The destination cannot store this name (reserved name or character)."""


class PathTooLong(SkypaneError):
    """The destination cannot store a path this long."""


class CannotMoveHere(SkypaneError):
    """This backend cannot move the item to that place by itself (another device, another
    drive). The only error on which a move falls back to copy + verify + delete."""


class NotARegularFile(SkypaneError):
    """A named pipe, socket or device where a file was expected: it is never opened."""


class FileTooLarge(SkypaneError):
    """The destination cannot store a file this large."""


class QuotaExceeded(SkypaneError):
    """Not enough space at the destination (HTTP 507, ENOSPC)."""


class Unsupported(SkypaneError):
    """The backend does not offer this operation."""


class IntegrityError(SkypaneError):
    """Size or hash after a transfer differs from the source."""


class Cancelled(SkypaneError):
    """The user stopped the operation."""


class ConfigError(SkypaneError):
    """The configuration file or a remote's options are wrong."""


class UnknownRemote(ConfigError):
    """A ``remote:`` prefix names no configured remote."""


class AuthenticationRequired(SkypaneError):
    """No valid sign-in: the user must sign in (again)."""


class TransientError(SkypaneError):
    """A failure that may go away on retry (5xx, dropped connection)."""

    retryable = True


class Throttled(TransientError):
    """The service asked us to slow down; ``retry_after`` seconds if it said."""

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        path: str | None = None,
        detail: str | None = None,
    ) -> None:
        super().__init__(message, path=path, detail=detail)
        self.retry_after = retry_after


class ResumeLost(SkypaneError):
    """A saved upload session or partial download can no longer be resumed."""
