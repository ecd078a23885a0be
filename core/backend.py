"""The Backend contract: a small mandatory protocol plus one protocol per optional capability.

The UI and the transfer engine ask ``isinstance(backend, Links)`` and so on to find out
what a backend can do; they never look at a backend's name.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Protocol, runtime_checkable

from core.model import (
    Entry,
    Link,
    LinkRequest,
    LinkSupport,
    Quota,
    RecycledItem,
    RecycleSupport,
    RestoreResult,
    Version,
    VersionSupport,
    _no_hashes,
)

#: Opens the source of a write at a byte offset and yields its bytes from there on.
#: Backends call it again with a later offset to resume or retry a fragment.
ByteSource = Callable[[int], AsyncIterator[bytes]]


@dataclass(frozen=True, slots=True)
class Capabilities:
    """Static traits of a backend (or of one configured remote of it)."""

    case_insensitive: bool = False
    hash_algorithms: tuple[str, ...] = ()
    #: Smallest modification time step the backend stores, in seconds.
    mtime_precision: float = 1e-9
    max_file_size: int | None = None
    max_path_length: int | None = None
    max_name_length: int | None = None
    #: Whether ``open_read`` accepts a non-zero offset cheaply (Range, seek).
    seekable_read: bool = True
    #: Algorithms of ``WriteRequest.expected_hashes`` that ``write`` checks against the bytes
    #: it stores (``IntegrityError`` on a mismatch), so the caller need not hash them too.
    write_verifies: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Option:
    """One setting a backend declares; the config wizard and ``skypane login`` are built from these."""

    name: str
    help: str
    default: Any = None
    kind: str = "str"  # str, int, bool, choice, path
    choices: tuple[str, ...] = ()
    secret: bool = False
    advanced: bool = False
    required: bool = False
    #: Checks a typed value and returns it tidied (``ConfigError`` saying why when it is wrong).
    check: Callable[[str], Any] | None = field(default=None, compare=False)
    #: Longer help (how to get a value: an app registration), shown on request.
    guide: str = ""
    #: Set by the backend's setup steps (the account signed in, the drive chosen), so a
    #: settings form does not ask for it.
    filled_by_setup: bool = False
    #: An environment variable whose value stands in when the option is not set.
    env: str = ""
    #: Values worth offering while one is typed (the host aliases of ~/.ssh/config).
    suggestions: Callable[[], Sequence[str]] | None = field(default=None, compare=False)


@runtime_checkable
class WriteProgress(Protocol):
    """What a backend reports while it writes; the engine implements it."""

    def advance(self, nbytes: int) -> None:
        """``nbytes`` more bytes reached the destination (may be negative after a rewind)."""

    def checkpoint(self, state: Mapping[str, Any]) -> None:
        """Resumable state (an upload session URL and offset, …) to keep in the journal."""


@dataclass(frozen=True, slots=True)
class WriteRequest:
    """Everything about a file to be written except its bytes."""

    size: int
    modified: datetime | None = None
    #: Exact source mtime in nanoseconds where known; wins over ``modified`` if the backend can store it.
    modified_ns: int | None = None
    #: Hashes of the source the caller already knows, for the backend to verify against.
    expected_hashes: Mapping[str, str] = field(default_factory=_no_hashes)
    #: State a previous ``WriteProgress.checkpoint`` handed out, to resume from.
    resume: Mapping[str, Any] | None = None
    #: Permission bits of the source where it has them: a new local file gets them less the
    #: umask (as cp does), so a private file does not become readable by others.
    mode: int | None = None
    #: Ranges the write may read at once when the source is also a ``RangeSource`` (the
    #: engine sets it for a large file from a ``RangedRead`` backend); 1: one stream.
    streams: int = 1


@runtime_checkable
class Backend(Protocol):
    """The mandatory surface every backend offers."""

    #: Name of the configured remote ("local" for the local filesystem).
    remote: str
    capabilities: Capabilities
    OPTIONS: ClassVar[tuple[Option, ...]]

    def list(self, path: str) -> AsyncIterator[list[Entry]]:
        """Yield the folder's entries page by page (pages may be of any size)."""
        ...

    async def stat(self, path: str) -> Entry:
        """One entry; raises ``NotFound``."""
        ...

    def open_read(self, path: str, offset: int = 0) -> AsyncIterator[bytes]:
        """Yield the file's bytes from ``offset`` in chunks of bounded size."""
        ...

    async def write(
        self,
        path: str,
        source: ByteSource,
        request: WriteRequest,
        progress: WriteProgress | None = None,
    ) -> Entry:
        """Create or replace the file at ``path`` with ``request.size`` bytes from ``source``.

        Returns the entry as stored (with the backend's hashes where it computes any).
        Raises ``IntegrityError`` when what arrived differs from what was sent.
        """
        ...

    async def mkdir(self, path: str, *, parents: bool = False) -> Entry:
        """Create a folder; ``AlreadyExists`` if there is one (unless ``parents``)."""
        ...

    async def remove(self, path: str, *, recursive: bool = False) -> None:
        """Delete for good (no trash); a folder only when empty unless ``recursive``."""
        ...

    async def move(self, src: str, dst: str) -> Entry:
        """Rename or move within this backend; ``AlreadyExists`` if ``dst`` is taken."""
        ...

    async def set_modified(self, path: str, modified: datetime) -> Entry:
        """Set a file's modification time."""
        ...

    def check_path(self, path: str, size: int | None = None) -> None:
        """Raise ``InvalidName``/``PathTooLong``/``FileTooLarge`` if this cannot be stored."""
        ...

    async def close(self) -> None:
        """Release connections and files."""
        ...


@runtime_checkable
class ServerSideCopy(Protocol):
    """Copy without the bytes passing through the client."""

    async def copy(self, src: str, dst: str) -> Entry: ...


@runtime_checkable
class Trash(Protocol):
    """Delete to a recycle bin / desktop trash, recoverable by the user.

    ``trash`` may return a sentence saying where the item went and how to get it back."""

    async def trash(self, path: str) -> str | None: ...


@runtime_checkable
class QuotaInfo(Protocol):
    """Storage figures of the drive."""

    async def about(self) -> Quota: ...


@runtime_checkable
class Links(Protocol):
    """Share links."""

    def link_support(self) -> LinkSupport: ...

    async def create_link(self, path: str, request: LinkRequest) -> Link: ...

    async def list_links(self, path: str) -> list[Link]: ...

    async def revoke_link(self, path: str, link_id: str) -> None: ...


@runtime_checkable
class Versions(Protocol):
    """Older versions of files."""

    def version_support(self) -> VersionSupport: ...

    async def list_versions(self, path: str) -> list[Version]: ...

    def open_version(self, path: str, version_id: str, offset: int = 0) -> AsyncIterator[bytes]: ...

    async def restore_version(self, path: str, version_id: str) -> None: ...

    async def delete_version(self, path: str, version_id: str) -> None: ...


@runtime_checkable
class Search(Protocol):
    """Search by name/content below a folder."""

    def search(self, query: str, path: str = "/") -> AsyncIterator[list[Entry]]: ...


@runtime_checkable
class ReadById(Protocol):
    """A backend whose entries carry ids it can read by. The engine reads a file by the id
    its listing gave, so the bytes fetched are those of the item listed even where its path
    would now lead elsewhere (a name the server spells two ways, a rename meanwhile).
    ``path`` is only for messages. Not a user-visible capability."""

    def open_read_id(
        self, item_id: str, path: str, offset: int = 0, *, check_hash: bool = True
    ) -> AsyncIterator[bytes]: ...


@runtime_checkable
class SharedStorage(Protocol):
    """A backend that can say which storage its paths address, so that two remotes of the
    same drive (configured under two names) are known as one: a move between them is then
    one rename, not a copy and a delete. Equal keys promise interchangeable paths."""

    def storage_key(self) -> str | None:
        """The storage and path space, or None when not known (then only the remote's name
        tells)."""
        ...


@runtime_checkable
class RecycleBin(Protocol):
    """A recycle bin the API can reach: ``recycle_support`` says how far (list, restore,
    empty) and gives the web page for what it cannot do."""

    async def recycle_support(self) -> RecycleSupport: ...

    async def list_recycled(self) -> list[RecycledItem]: ...

    async def restore_recycled(self, ids: Sequence[str]) -> list[RestoreResult]: ...

    async def empty_recycled(self, ids: Sequence[str] | None = None) -> None: ...


@runtime_checkable
class TreeListing(Protocol):
    """Every entry below a folder in one enumeration (OneDrive: ``delta``) instead of one
    listing per folder; ``progress`` hears how many items have been read so far."""

    def list_tree(
        self, path: str, progress: Callable[[int], None] | None = None
    ) -> AsyncIterator[list[Entry]]: ...


@runtime_checkable
class UncheckedRead(Protocol):
    """A backend whose ``open_read`` checks a whole read against its own hash, and that can
    read without that check for a caller that verifies the same bytes anyway (the engine,
    when the destination's ``write_verifies`` covers the source's known hash): each byte is
    then hashed once. Not a user-visible capability."""

    def open_read_unchecked(self, path: str, offset: int = 0) -> AsyncIterator[bytes]: ...


@runtime_checkable
class RangedRead(Protocol):
    """A backend that reads a bounded range of a file without checking a hash, so that one
    large file can be fetched over several streams at once (as rclone's multi-thread
    streams); the caller composes and checks the QuickXorHash. Not a user-visible capability."""

    def open_read_range(
        self, path: str, offset: int, end: int, *, item_id: str | None = None
    ) -> AsyncIterator[bytes]: ...


@runtime_checkable
class RangeSource(Protocol):
    """A ``ByteSource`` that also reads ``[offset, end)`` on its own, several at once: a
    write given ``WriteRequest.streams`` > 1 and such a source may fill its file by ranges."""

    def __call__(self, offset: int) -> AsyncIterator[bytes]: ...

    def read_range(self, offset: int, end: int) -> AsyncIterator[bytes]: ...


@runtime_checkable
class RewritesOnStore(Protocol):
    """A backend whose drive may change a file as it stores it: SharePoint document libraries
    merge their metadata into Office documents, so the stored size and hash differ from the
    bytes sent. For such a path a difference after a completed upload is that rewrite, not
    corruption: reported, never retried. Not a user-visible capability."""

    def rewrites_on_store(self, path: str) -> bool: ...


@runtime_checkable
class Throttling(Protocol):
    """A backend that paces its requests and hears when its service throttles them (OneDrive's
    pacer closes its gate for as long as a ``Retry-After`` asked): the engine then lowers its
    concurrency and the status bar counts down, for listings as well as transfers."""

    def throttled_for(self) -> float:
        """Seconds until the service takes requests again; 0 when it is not throttling."""
        ...


def throttled_seconds(backend: object) -> float:
    """Seconds ``backend`` is still throttled for (0 for one without ``Throttling``)."""
    return max(backend.throttled_for(), 0.0) if isinstance(backend, Throttling) else 0.0


@runtime_checkable
class DiscardableWrite(Protocol):
    """A backend whose resumable write leaves something behind until it finishes (an upload
    session on the server, a part file) and that can throw it away when the engine gives
    up on resuming it. ``state`` is the last ``WriteProgress.checkpoint`` of that write to
    ``path``. Not a user-visible capability."""

    async def discard_write(self, path: str, state: Mapping[str, Any]) -> None: ...


CAPABILITY_PROTOCOLS: dict[str, type] = {
    "server_side_copy": ServerSideCopy,
    "trash": Trash,
    "quota": QuotaInfo,
    "links": Links,
    "versions": Versions,
    "search": Search,
    "tree_listing": TreeListing,
    "recycle_bin": RecycleBin,
}


def capabilities_of(backend: object) -> frozenset[str]:
    """Names of the optional capabilities ``backend`` offers."""
    return frozenset(
        name for name, proto in CAPABILITY_PROTOCOLS.items() if isinstance(backend, proto)
    )


@dataclass(slots=True)
class BackendContext:
    """What a backend may need from the application when it is opened.

    ``secrets`` is the token store (``core.secrets``); ``on_auth_required`` is an async
    callback the UI installs so that a backend whose sign-in died mid-session can ask
    the user to sign in again instead of failing queued work (the TUI's runs the
    backend's declared sign-in, ``core.setup.SignsIn``).
    """

    secrets: Any = None
    on_auth_required: Callable[[str], Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    #: The UI's ``core.setup.Asker``, for a backend that may ask while it connects (an SSH
    #: server's unknown host key, a password no stored one answers); None: nobody to ask.
    asker: Any = None


@runtime_checkable
class BackendType(Protocol):
    """What a backend class registered under ``skypane.backends`` offers before any remote
    of it is open: the options it declares, and a way to open a configured remote."""

    OPTIONS: tuple[Option, ...]

    def from_config(
        self, remote: str, options: Mapping[str, Any], context: BackendContext
    ) -> Backend:
        """Open the remote ``remote`` configured with ``options``."""
        ...


# -- waiting that a caller can cut short ------------------------------------------------------

#: Set by a caller around backend calls it may want to stop early (the transfer engine, for
#: pause and cancel): a check that raises ``errors.Cancelled`` once the work should stop.
stop_check: ContextVar[Callable[[], None] | None] = ContextVar("skypane_stop_check", default=None)

#: How often a long wait looks at ``stop_check``.
STOP_POLL = 0.25


async def patient_sleep(seconds: float) -> None:
    """``asyncio.sleep`` for backends' waits (Retry-After, back-off, polling a copy).

    Under a ``stop_check`` it ends early by raising ``errors.Cancelled`` when the check
    does, so a job paused or cancelled during a two-minute throttle stops at once.
    """
    check = stop_check.get()
    if check is None:
        await asyncio.sleep(seconds)
        return
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    while True:
        check()
        left = end - loop.time()
        if left <= 0:
            return
        await asyncio.sleep(min(left, STOP_POLL))
