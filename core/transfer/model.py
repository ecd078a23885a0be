"""The values the transfer engine hands to its callers: jobs, items, plans, progress, conflicts.

Everything a UI reads is here and nothing here knows about a UI. ``Job`` and ``Item`` are
mutable records the engine owns and updates; callers read them (``engine.jobs()``) but change
them only through ``TransferEngine`` methods. ``ProgressSnapshot``, ``Plan``, ``PlanProblem``,
``ConflictQuestion`` and ``ConflictDecision`` are frozen values, safe to keep and compare.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.model import Entry
from core.paths import Location
from core.transfer.lease import Lease


class JobKind(enum.StrEnum):
    """What the user asked for."""

    COPY = "copy"
    MOVE = "move"
    DELETE = "delete"
    MKDIR = "mkdir"
    #: Make the destination folder like the source: copy what is missing or different,
    #: delete (to the trash only) what the source lacks.
    MIRROR = "mirror"


class JobState(enum.StrEnum):
    """Where a job is. ``THROTTLED`` is ``RUNNING`` while the drive asked us to wait."""

    QUEUED = "queued"
    PLANNING = "planning"
    RUNNING = "running"
    PAUSED = "paused"
    THROTTLED = "throttled"
    FAILED = "failed"
    DONE = "done"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in (JobState.FAILED, JobState.DONE, JobState.CANCELLED)


class ItemKind(enum.StrEnum):
    """One step of a plan."""

    MKDIR = "mkdir"  # create a destination folder (always before the files in it)
    FILE = "file"  # copy (or, in a move job, copy + verify + delete source) one file
    MOVE = "move"  # rename/move a file or whole folder within one backend
    DELETE = "delete"  # delete a file or folder (rm job)
    RMDIR = "rmdir"  # remove an emptied source folder at the end of a move


class ItemState(enum.StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    SKIPPED = "skipped"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self not in (ItemState.PENDING, ItemState.RUNNING)


class ConflictPolicy(enum.StrEnum):
    """What to do when a destination file already exists.

    ``NEWER``: replace only when the source is newer (beyond both sides' mtime precision).
    ``SIZE_DIFFERS``: replace only when the sizes differ. ``SAME_HASH_SKIP``: skip when size
    and QuickXorHash match (hashing the local side if needed), otherwise replace.
    ``RENAME``: keep both, writing the new one as ``name (1).ext``.
    """

    ASK = "ask"
    OVERWRITE = "overwrite"
    SKIP = "skip"
    RENAME = "rename"
    NEWER = "newer"
    SIZE_DIFFERS = "size_differs"
    SAME_HASH_SKIP = "same_hash_skip"


class ConflictAction(enum.StrEnum):
    """The answer to one conflict question."""

    OVERWRITE = "overwrite"
    SKIP = "skip"
    RENAME = "rename"
    CANCEL = "cancel"  # cancel the whole job


@dataclass(frozen=True, slots=True)
class ConflictQuestion:
    """What the ``on_conflict`` callback is asked: ``source`` would replace ``existing``."""

    job_id: str
    source: Entry
    existing: Entry
    #: Where the source would land (the existing entry's path).
    dest_path: str
    #: Where a rename would put it instead.
    renamed_path: str
    #: How many more conflicts of this job may follow (for an "apply to all" hint).
    remaining: int = 0


@dataclass(frozen=True, slots=True)
class ConflictDecision:
    """The callback's answer; ``apply_to_all`` makes it the job's policy from now on."""

    action: ConflictAction
    apply_to_all: bool = False


@dataclass(frozen=True, slots=True)
class PlanProblem:
    """Something the pre-flight found. ``fatal`` problems stop the job before anything is
    written (not enough space); the others fail (``error``) or skip (``warning``) one item."""

    path: str
    reason: str
    severity: str = "error"  # "error", "warning" or "fatal"


@dataclass(frozen=True, slots=True)
class Plan:
    """The pre-flight report of a job (what ``--dry-run`` prints)."""

    folders: int
    files: int
    bytes: int
    #: Destination files that already exist (resolved at run time by the policy or callback).
    conflicts: tuple[str, ...] = ()
    problems: tuple[PlanProblem, ...] = ()
    #: Free space at the destination where the backend reports it.
    free: int | None = None
    #: Whether bytes travel through the client ("stream") or stay on the server ("server").
    method: str = "stream"
    #: Paths a mirror deletes (to the trash) because the source lacks them.
    deletes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """No problem that stops or fails anything."""
        return not any(p.severity in ("error", "fatal") for p in self.problems)

    @property
    def fatal(self) -> bool:
        return any(p.severity == "fatal" for p in self.problems)


@dataclass(frozen=True, slots=True)
class ProgressSnapshot:
    """One job's progress at one moment; what ``on_progress`` receives (≤ ~10 per second)."""

    job_id: str
    kind: JobKind
    state: JobState
    bytes_done: int
    bytes_total: int
    items_done: int
    items_total: int
    items_failed: int
    items_skipped: int
    #: Smoothed transfer rate in bytes per second.
    rate: float
    #: Seconds left at the smoothed rate; None when unknown.
    eta: float | None
    #: Paths being transferred now (the first is "the" current file).
    current: tuple[str, ...] = ()
    #: When the drive lets us go again, if it asked us to wait.
    throttled_until: datetime | None = None
    #: Items allowed to run at once now (drops while throttled).
    concurrency: int = 0
    error: str | None = None
    #: Set while another skypane process runs the job: this one only watches it.
    holder: Lease | None = None

    @property
    def current_file(self) -> str | None:
        return self.current[0] if self.current else None

    @property
    def fraction(self) -> float:
        """0..1 by bytes (by items when there are no bytes to move)."""
        if self.bytes_total > 0:
            return min(max(self.bytes_done / self.bytes_total, 0.0), 1.0)
        if self.items_total > 0:
            return (self.items_done + self.items_failed + self.items_skipped) / self.items_total
        return 1.0 if self.state.finished else 0.0


@dataclass(slots=True, eq=False)
class Item:
    """One planned step of a job and what became of it."""

    seq: int
    kind: ItemKind
    src_remote: str | None
    src_path: str
    dst_remote: str | None
    dst_path: str
    size: int = 0
    is_dir: bool = False
    state: ItemState = ItemState.PENDING
    #: Source facts at plan time: mtime (ns), hashes; used to write and verify.
    src_modified_ns: int | None = None
    src_hashes: dict[str, str] = field(default_factory=dict)
    #: Permission bits of the source where its backend has them (for a new local copy).
    src_mode: int | None = None
    #: The source's id where its backend has ids: the item read is the item listed.
    src_id: str | None = None
    #: Destination entry found at plan time (a conflict to resolve), as (size, mtime ns, hash).
    existing: tuple[int, int | None, str | None] | None = None
    #: The conflict answer once decided ("overwrite", "rename", "write" for no conflict).
    action: str | None = None
    #: Backend resume state from the last ``WriteProgress.checkpoint``.
    resume: dict[str, Any] | None = None
    attempts: int = 0
    bytes_done: int = 0
    error: str | None = None
    #: A remark shown with a finished item ("rewritten by SharePoint", "skipped: same hash").
    note: str | None = None

    @property
    def src(self) -> Location:
        return Location(self.src_remote, self.src_path)

    @property
    def dst(self) -> Location:
        return Location(self.dst_remote, self.dst_path)


@dataclass(slots=True, eq=False)
class Job:
    """A user intent and its items. Read it; change it through the engine."""

    id: str
    kind: JobKind
    sources: tuple[Location, ...]
    dest: Location | None
    policy: ConflictPolicy
    created: datetime
    state: JobState = JobState.QUEUED
    dry_run: bool = False
    #: Delete to the trash where the backend has one (rm jobs).
    use_trash: bool = True
    #: Most deletions a mirror may plan (None: no limit); more makes the plan fatal.
    max_delete: int | None = None
    plan: Plan | None = None
    items: list[Item] = field(default_factory=list)
    error: str | None = None
    #: Last snapshot sent to ``on_progress``.
    last_snapshot: ProgressSnapshot | None = None

    @property
    def title(self) -> str:
        srcs = ", ".join(str(s) for s in self.sources[:2])
        if len(self.sources) > 2:
            srcs += f" (+{len(self.sources) - 2})"
        if self.dest is None or self.kind is JobKind.DELETE:
            return f"{self.kind} {srcs}"
        if self.kind is JobKind.MKDIR:
            return f"mkdir {self.dest}"
        if self.kind is JobKind.MIRROR:
            return f"mirror {srcs} ⇒ {self.dest}"
        return f"{self.kind} {srcs} → {self.dest}"

    def failed_items(self) -> list[Item]:
        return [i for i in self.items if i.state is ItemState.FAILED]
