"""Version clean-up: scan a tree's file versions, plan what a policy deletes, run the plan.

No UI here: the TUI's versions dialog and the ``skypane versions`` / ``skypane cleanup``
commands share it. The current version of a file is never deleted, whatever the policy.
Progress goes to a plain callback; cancellation is a plain ``asyncio.Event``.
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable

from core import errors
from core.backend import Backend, Versions, WriteProgress, WriteRequest
from core.model import Entry, Version
from core.names import FolderGuard, refusal
from core.paths import join, normalize
from core.when import parse_cutoff as parse_cutoff  # the cut-off forms policies take

#: Version listings (and deletes) in flight at once; Graph throttles well before 8.
DEFAULT_CONCURRENCY = 4


@runtime_checkable
class VersionedBackend(Backend, Versions, Protocol):
    """A backend that lists folders and keeps file versions."""


class PolicyKind(enum.StrEnum):
    KEEP_NEWEST = "keep-newest"
    OLDER_THAN = "older-than"
    ALL_BUT_CURRENT = "all-but-current"


@dataclass(frozen=True, slots=True)
class CleanupPolicy:
    """Which older versions go: all but the newest ``keep``, those before ``before``, or all."""

    kind: PolicyKind
    #: KEEP_NEWEST: versions kept per file, the current one included (at least 1).
    keep: int = 1
    #: OLDER_THAN: versions last modified before this moment are deleted (aware datetime).
    before: datetime | None = None

    def __post_init__(self) -> None:
        if self.kind is PolicyKind.KEEP_NEWEST and self.keep < 1:
            raise errors.ConfigError("keep at least 1 version (the current one)")
        if self.kind is PolicyKind.OLDER_THAN:
            if self.before is None:
                raise errors.ConfigError("older-than needs a date")
            if self.before.tzinfo is None:
                raise errors.ConfigError("older-than needs a date with a time zone")

    @classmethod
    def keep_newest(cls, n: int) -> CleanupPolicy:
        return cls(PolicyKind.KEEP_NEWEST, keep=n)

    @classmethod
    def older_than(cls, before: datetime) -> CleanupPolicy:
        return cls(PolicyKind.OLDER_THAN, before=before)

    @classmethod
    def all_but_current(cls) -> CleanupPolicy:
        return cls(PolicyKind.ALL_BUT_CURRENT)

    def describe(self) -> str:
        if self.kind is PolicyKind.KEEP_NEWEST:
            return f"keep the newest {self.keep} version(s) of each file"
        if self.kind is PolicyKind.OLDER_THAN:
            assert self.before is not None
            return f"delete versions older than {self.before:%Y-%m-%d %H:%M %Z}".rstrip()
        return "delete every version but the current one"

    def doomed(self, versions: Sequence[Version]) -> list[Version]:
        """The versions of one file this policy deletes (never the current one)."""
        older = _older_versions(versions)
        if self.kind is PolicyKind.KEEP_NEWEST:
            return older[max(self.keep - 1, 0) :]
        if self.kind is PolicyKind.OLDER_THAN:
            before = self.before
            assert before is not None
            return [v for v in older if v.modified is not None and v.modified < before]
        return older


def _older_versions(versions: Sequence[Version]) -> list[Version]:
    """Every version but the current one, newest first.

    The current version is the one flagged ``current``, else the newest (listings put it
    first). Sorting by date keeps ``keep-newest`` right even if a service lists out of order.
    """
    if not versions:
        return []
    current = next((v for v in versions if v.current), None)
    if current is None:
        current = max(versions, key=_sort_key)
    rest = [v for v in versions if v is not current]
    rest.sort(key=_sort_key, reverse=True)
    return rest


def _sort_key(version: Version) -> float:
    return version.modified.timestamp() if version.modified is not None else float("-inf")


# -- one version as a file ----------------------------------------------------------------


def version_file_name(name: str, version: Version) -> str:
    """``report.docx`` → ``report (version 3.0, 2025-05-01).docx`` (what a saved copy is called)."""
    stem, dot, ext = name.rpartition(".")
    if not stem or not dot:
        stem, ext = name, ""
    when = f", {version.modified:%Y-%m-%d}" if version.modified is not None else ""
    label = "".join(c if c not in '/\\:*?"<>|' else "-" for c in version.id)
    return f"{stem} (version {label}{when}){'.' + ext if ext else ''}"


async def free_path(dest: Backend, folder: str, name: str) -> str:
    """``folder/name``, or ``folder/name 2`` … when that is taken (never overwrite)."""
    stem, dot, ext = name.rpartition(".")
    if not stem or not dot:
        stem, ext = name, ""
    for n in range(1, 1000):
        candidate = name if n == 1 else f"{stem} {n}{'.' + ext if ext else ''}"
        path = join(folder, candidate)
        try:
            await dest.stat(path)
        except errors.NotFound:
            return path
    raise errors.AlreadyExists("no free name", path=join(folder, name))


async def save_version(
    backend: Versions,
    path: str,
    version: Version,
    dest: Backend,
    dest_path: str,
    progress: WriteProgress | None = None,
) -> Entry:
    """Write ``version`` of the file at ``path`` to ``dest_path`` on ``dest`` (any backend),
    with the version's size and modification time."""

    def source(offset: int) -> AsyncIterator[bytes]:
        return backend.open_version(path, version.id, offset)

    request = WriteRequest(size=version.size, modified=version.modified)
    return await dest.write(dest_path, source, request, progress)


# -- scanning -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FileVersions:
    """One file and its versions, newest first."""

    path: str
    versions: tuple[Version, ...]

    @property
    def older_bytes(self) -> int:
        """Bytes held by every version but the current one."""
        return sum(v.size for v in _older_versions(self.versions))


@dataclass(frozen=True, slots=True)
class ScanError:
    path: str
    message: str


@dataclass(frozen=True, slots=True)
class ScanProgress:
    folders: int
    files: int
    versions: int
    #: Bytes in versions other than the current ones, found so far.
    older_bytes: int
    current: str


@dataclass(frozen=True, slots=True)
class ScanResult:
    root: str
    files: tuple[FileVersions, ...]
    folders: int
    errors: tuple[ScanError, ...] = ()
    cancelled: bool = False

    @property
    def version_count(self) -> int:
        return sum(len(f.versions) for f in self.files)

    @property
    def older_bytes(self) -> int:
        return sum(f.older_bytes for f in self.files)


@dataclass(slots=True)
class _Tally:
    folders: int = 0
    files: list[FileVersions] = field(default_factory=list)
    errors: list[ScanError] = field(default_factory=list)
    versions: int = 0
    older_bytes: int = 0


async def scan_versions(
    backend: VersionedBackend,
    root: str,
    *,
    on_progress: Callable[[ScanProgress], None] | None = None,
    cancel: asyncio.Event | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> ScanResult:
    """Every file below ``root`` (or ``root`` itself when it is a file) with its versions.

    Folders are listed one after the other; version listings run ``concurrency`` at a
    time. A file or folder that fails is recorded in ``errors`` and the scan goes on.
    Setting ``cancel`` stops it early with what was found (``cancelled`` True).
    """
    root = normalize(root)
    tally = _Tally()
    queue: asyncio.Queue[str | None] = asyncio.Queue(maxsize=concurrency * 4)
    stop = cancel or asyncio.Event()

    def report(current: str) -> None:
        if on_progress is not None:
            on_progress(
                ScanProgress(
                    tally.folders, len(tally.files), tally.versions, tally.older_bytes, current
                )
            )

    async def versions_worker() -> None:
        while (path := await queue.get()) is not None:
            if stop.is_set():
                continue
            try:
                found = tuple(await backend.list_versions(path))
            except errors.SkypaneError as exc:
                tally.errors.append(ScanError(path, str(exc)))
                continue
            item = FileVersions(path, found)
            tally.files.append(item)
            tally.versions += len(found)
            tally.older_bytes += item.older_bytes
            report(path)

    async def walk() -> None:
        try:
            top = await backend.stat(root)
        except errors.SkypaneError as exc:
            tally.errors.append(ScanError(root, str(exc)))
            return
        if not top.is_dir:
            await queue.put(root)
            return
        guard = FolderGuard()
        folders = [(top, 0)]
        while folders and not stop.is_set():
            here, level = folders.pop()
            folder = root if level == 0 else here.path
            refused = guard.enter(here, level)
            if refused is not None:
                tally.errors.append(ScanError(folder, refused))
                continue
            tally.folders += 1
            report(folder)
            try:
                async for page in backend.list(folder):
                    for entry in sorted(page, key=lambda e: e.name):
                        if stop.is_set():
                            return
                        bad_name = refusal(entry.name)
                        if bad_name is not None:  # its path would name another item
                            tally.errors.append(ScanError(entry.path, f"{bad_name}: skipped"))
                        elif entry.is_dir:
                            folders.append((entry, level + 1))
                        elif not entry.is_link:
                            await queue.put(entry.path)
            except errors.SkypaneError as exc:
                tally.errors.append(ScanError(folder, str(exc)))

    workers = [asyncio.create_task(versions_worker()) for _ in range(max(concurrency, 1))]
    try:
        await walk()
    finally:
        for _ in workers:
            await queue.put(None)
        await asyncio.gather(*workers, return_exceptions=True)
    files = tuple(sorted(tally.files, key=lambda f: f.path))
    report("")
    return ScanResult(root, files, tally.folders, tuple(tally.errors), cancelled=stop.is_set())


# -- planning -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlannedFile:
    path: str
    delete: tuple[Version, ...]
    kept: int

    @property
    def bytes(self) -> int:
        return sum(v.size for v in self.delete)


@dataclass(frozen=True, slots=True)
class CleanupPlan:
    """What a policy would delete: only files with something to delete are listed."""

    policy: CleanupPolicy
    files: tuple[PlannedFile, ...]
    #: Files looked at (with or without something to delete).
    scanned_files: int = 0

    @property
    def file_count(self) -> int:
        return len(self.files)

    @property
    def version_count(self) -> int:
        return sum(len(f.delete) for f in self.files)

    @property
    def bytes(self) -> int:
        return sum(f.bytes for f in self.files)


def plan_cleanup(files: Iterable[FileVersions], policy: CleanupPolicy) -> CleanupPlan:
    """Apply ``policy`` to each file (a dry run: nothing is deleted)."""
    planned: list[PlannedFile] = []
    seen = 0
    for item in files:
        seen += 1
        doomed = policy.doomed(item.versions)
        if doomed:
            planned.append(PlannedFile(item.path, tuple(doomed), len(item.versions) - len(doomed)))
    return CleanupPlan(policy, tuple(planned), seen)


# -- running --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CleanupProgress:
    done: int
    total: int
    bytes_reclaimed: int
    failed: int
    current: str


@dataclass(frozen=True, slots=True)
class CleanupFailure:
    path: str
    version_id: str
    message: str


@dataclass(frozen=True, slots=True)
class CleanupResult:
    deleted: int
    bytes_reclaimed: int
    failures: tuple[CleanupFailure, ...] = ()
    cancelled: bool = False
    #: Versions that had already gone when their turn came.
    vanished: int = 0


async def run_cleanup(
    backend: VersionedBackend,
    plan: CleanupPlan,
    *,
    on_progress: Callable[[CleanupProgress], None] | None = None,
    cancel: asyncio.Event | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> CleanupResult:
    """Delete the plan's versions, oldest first within a file, files ``concurrency`` at a time.

    Raises ``Unsupported`` before deleting anything when the drive cannot delete versions.
    A failed version is recorded and the run goes on, except when the drive answers
    ``Unsupported``: then nothing else would succeed either and the run stops.
    """
    support = backend.version_support()
    if not support.can_delete:
        raise errors.Unsupported(support.delete_refusal or "this drive cannot delete versions")
    stop = cancel or asyncio.Event()
    total = plan.version_count
    state = {"done": 0, "deleted": 0, "bytes": 0, "vanished": 0}
    failures: list[CleanupFailure] = []
    gate = asyncio.Semaphore(max(concurrency, 1))
    refused = asyncio.Event()

    def report(current: str) -> None:
        if on_progress is not None:
            on_progress(
                CleanupProgress(state["done"], total, state["bytes"], len(failures), current)
            )

    async def clean(item: PlannedFile) -> None:
        async with gate:
            for version in reversed(item.delete):  # oldest first
                if stop.is_set() or refused.is_set():
                    return
                try:
                    await backend.delete_version(item.path, version.id)
                except errors.NotFound:
                    state["vanished"] += 1
                except errors.Unsupported as exc:
                    failures.append(CleanupFailure(item.path, version.id, str(exc)))
                    refused.set()
                    return
                except errors.SkypaneError as exc:
                    failures.append(CleanupFailure(item.path, version.id, str(exc)))
                else:
                    state["deleted"] += 1
                    state["bytes"] += version.size
                state["done"] += 1
                report(item.path)

    report("")
    await asyncio.gather(*(clean(item) for item in plan.files))
    report("")
    return CleanupResult(
        deleted=state["deleted"],
        bytes_reclaimed=state["bytes"],
        failures=tuple(failures),
        cancelled=stop.is_set() or refused.is_set(),
        vanished=state["vanished"],
    )
