"""The transfer journal: jobs, items and resume state in SQLite, so a crash loses nothing.

One file, ``core.dirs.state_dir()/journal.sqlite3``, mode 0600, in WAL mode. Writes are
small and run on the event loop (a WAL commit with ``synchronous=NORMAL`` costs tens of
microseconds and survives ``kill -9``; only a power cut may lose the last commits, never
corrupt the file). Byte counters are not journaled per chunk: an item's progress is
recorded at its checkpoints (upload fragment, part file), which is all a resume needs.

Each running job is leased to one process (``core.transfer.lease``): the lease is taken in
one ``BEGIN IMMEDIATE`` transaction (SQLite's write lock, so two processes cannot both see
the job free), renewed by heartbeats and released at the end. Writes about a job made with
an ``owner`` happen only while that owner holds the lease, so a process that lost its job to
another never records a state; and a job or item recorded ``done`` is never recorded again as
anything else.

SQLite's locking relies on the file system's byte-range locks and WAL mode on shared memory:
both work on local disks. On NFS, locks work only where the client and server support them
(NFSv4, or v3 with lockd) and WAL's shared memory does not work across machines at all, so
the journal must not be shared by processes on different machines; one machine using a home
folder on NFS is fine.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core import errors
from core.dirs import private_dir, state_dir
from core.paths import Location
from core.transfer.lease import Claim, Lease, Owner
from core.transfer.model import (
    ConflictPolicy,
    Item,
    ItemKind,
    ItemState,
    Job,
    JobKind,
    JobState,
)

FILE_NAME = "journal.sqlite3"
SCHEMA_VERSION = 2

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    sources TEXT NOT NULL,
    dest TEXT,
    policy TEXT NOT NULL,
    state TEXT NOT NULL,
    use_trash INTEGER NOT NULL DEFAULT 1,
    created REAL NOT NULL,
    updated REAL NOT NULL,
    error TEXT
);
CREATE TABLE IF NOT EXISTS items (
    job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    kind TEXT NOT NULL,
    src_remote TEXT,
    src_path TEXT NOT NULL,
    dst_remote TEXT,
    dst_path TEXT NOT NULL,
    size INTEGER NOT NULL,
    is_dir INTEGER NOT NULL,
    state TEXT NOT NULL,
    src_modified_ns INTEGER,
    src_hashes TEXT,
    existing TEXT,
    action TEXT,
    resume TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    note TEXT,
    src_mode INTEGER,
    src_id TEXT,
    PRIMARY KEY (job_id, seq)
);
CREATE TABLE IF NOT EXISTS leases (
    job_id TEXT PRIMARY KEY REFERENCES jobs(id) ON DELETE CASCADE,
    pid INTEGER NOT NULL,
    host TEXT NOT NULL,
    started REAL NOT NULL,
    token TEXT NOT NULL,
    taken REAL NOT NULL,
    heartbeat REAL NOT NULL,
    bytes_done INTEGER NOT NULL DEFAULT 0
);
"""

#: Columns added after the first release: (table, column, type), added to older files.
_ADDED_COLUMNS = (("items", "src_mode", "INTEGER"), ("items", "src_id", "TEXT"))

_LEASE_COLUMNS = "job_id, pid, host, started, token, taken, heartbeat, bytes_done"
#: A write made on behalf of an owner matches only while that owner holds the job's lease.
_HELD = "EXISTS (SELECT 1 FROM leases WHERE leases.job_id=? AND leases.token=?)"
_DONE = str(JobState.DONE)


def _text(value: str | None) -> str | bytes | None:
    """A path or message as SQLite can store it. A local name that is not UTF-8 reaches us
    with surrogate escapes (``os.fsdecode``), which SQLite's UTF-8 refuses: such a value is
    kept as the bytes it stands for (a BLOB in the TEXT column) and read back unchanged."""
    if value is None:
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return value.encode("utf-8", "surrogateescape")
    return value


def _str(value: str | bytes | None) -> str | None:
    if isinstance(value, bytes):
        return value.decode("utf-8", "surrogateescape")
    return value


def default_path() -> Path:
    return state_dir() / FILE_NAME


def _loc_json(loc: Location | None) -> str | None:
    return None if loc is None else json.dumps([loc.remote, loc.path])


def _loc_from(text: str | None) -> Location | None:
    if text is None:
        return None
    remote, path = json.loads(text)
    return Location(remote, path)


class Journal:
    """Durable record of jobs; ``Journal()`` opens (and creates) the default file."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else default_path()
        private_dir(self.path.parent)
        # Create the file 0600 before SQLite does, so it is never readable by others.
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        os.close(fd)
        os.chmod(self.path, 0o600)
        # A claim waits for another process's write lock rather than fail at once (writes
        # are small, so the wait is short even on a busy machine).
        self._db = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False, timeout=30.0
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.executescript(_SCHEMA)
        for table, column, kind in _ADDED_COLUMNS:
            have = {row[1] for row in self._db.execute(f"PRAGMA table_info({table})")}
            if column not in have:
                self._db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
        self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        for suffix in ("-wal", "-shm"):
            side = Path(str(self.path) + suffix)
            if side.exists():
                os.chmod(side, 0o600)

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def close(self) -> None:
        self._db.close()

    # -- writing ---------------------------------------------------------------

    def add_job(self, job: Job, owner: Owner | None = None) -> None:
        """Record a new job, leased to ``owner`` from the start (one transaction)."""
        with self._tx() as db:
            self._write_job(db, job)
            if owner is not None:
                self._insert_lease(db, job.id, owner, time.time())

    def save_job(self, job: Job, owner: Owner | None = None) -> bool:
        """Insert or replace a job and all its items (after planning).

        With ``owner``, only while it holds the job's lease; False when it does not.
        """
        with self._tx() as db:
            if owner is not None and not self._holds(db, job.id, owner):
                return False
            self._write_job(db, job)
        return True

    def _write_job(self, db: sqlite3.Connection, job: Job) -> None:
        # An upsert, not INSERT OR REPLACE: replacing the row would delete its lease.
        db.execute(
            "INSERT INTO jobs VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET"
            " kind=excluded.kind, sources=excluded.sources, dest=excluded.dest,"
            " policy=excluded.policy, state=excluded.state, use_trash=excluded.use_trash,"
            " updated=excluded.updated, error=excluded.error",
            (
                job.id,
                str(job.kind),
                json.dumps([[s.remote, s.path] for s in job.sources]),
                _loc_json(job.dest),
                str(job.policy),
                str(job.state),
                int(job.use_trash),
                job.created.timestamp(),
                time.time(),
                _text(job.error),
            ),
        )
        db.execute("DELETE FROM items WHERE job_id=?", (job.id,))
        db.executemany(
            "INSERT INTO items VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [self._item_row(job.id, it) for it in job.items],
        )

    @staticmethod
    def _item_row(job_id: str, it: Item) -> tuple[Any, ...]:
        return (
            job_id,
            it.seq,
            str(it.kind),
            it.src_remote,
            _text(it.src_path),
            it.dst_remote,
            _text(it.dst_path),
            it.size,
            int(it.is_dir),
            str(it.state),
            it.src_modified_ns,
            json.dumps(it.src_hashes) if it.src_hashes else None,
            json.dumps(list(it.existing)) if it.existing is not None else None,
            it.action,
            json.dumps(it.resume) if it.resume is not None else None,
            it.attempts,
            _text(it.error),
            _text(it.note),
            it.src_mode,
            it.src_id,
        )

    def update_job(self, job: Job, owner: Owner | None = None) -> bool:
        """Record a job's state, policy and error; False if ``owner`` lost the job.

        A job recorded ``done`` keeps that state whatever a later write says.
        """
        sql = (
            "UPDATE jobs SET state=CASE WHEN state=? THEN state ELSE ? END, policy=?, error=?,"
            " updated=? WHERE id=?"
        )
        params: tuple[Any, ...] = (
            _DONE,
            str(job.state),
            str(job.policy),
            _text(job.error),
            time.time(),
            job.id,
        )
        return self._fenced(sql, params, job.id, owner)

    def update_item(self, job_id: str, it: Item, owner: Owner | None = None) -> bool:
        """Record an item's state, decision, resume state, attempts and outcome.

        False if ``owner`` lost the job. An item recorded ``done`` stays done.
        """
        sql = (
            "UPDATE items SET state=?, dst_path=?, action=?, resume=?, attempts=?, error=?,"
            " note=? WHERE job_id=? AND seq=? AND state<>?"
        )
        params: tuple[Any, ...] = (
            str(it.state),
            _text(it.dst_path),
            it.action,
            json.dumps(it.resume) if it.resume is not None else None,
            it.attempts,
            _text(it.error),
            _text(it.note),
            job_id,
            it.seq,
            _DONE,
        )
        return self._fenced(sql, params, job_id, owner)

    def _fenced(self, sql: str, params: tuple[Any, ...], job_id: str, owner: Owner | None) -> bool:
        if owner is None:
            self._db.execute(sql, params)
            return True
        cur = self._db.execute(f"{sql} AND {_HELD}", (*params, job_id, owner.token))
        if cur.rowcount:
            return True
        # Nothing changed: either the lease is gone or the row was already final.
        return self._holds(self._db, job_id, owner)

    # -- leases ------------------------------------------------------------------

    def claim(self, job_id: str, owner: Owner, *, now: float | None = None) -> Claim:
        """Take the job's lease for ``owner`` unless a live owner holds it (one transaction)."""
        now = time.time() if now is None else now
        with self._tx() as db:
            held = self._lease(db, job_id)
            if held is not None and held.token == owner.token:
                db.execute("UPDATE leases SET heartbeat=? WHERE job_id=?", (now, job_id))
                return Claim()
            if held is not None and not held.owner_gone(now, here=owner.host):
                return Claim(holder=held)
            if db.execute("SELECT 1 FROM jobs WHERE id=?", (job_id,)).fetchone() is None:
                raise errors.NotFound("no such job", path=job_id)
            db.execute("DELETE FROM leases WHERE job_id=?", (job_id,))
            self._insert_lease(db, job_id, owner, now)
            return Claim(took_over=held)

    def renew(
        self, owner: Owner, progress: dict[str, int], *, now: float | None = None
    ) -> set[str]:
        """Heartbeat every lease of ``owner``; returns the ids of the jobs it still holds.

        ``progress`` maps job ids to bytes moved so far, for views in other processes.
        """
        now = time.time() if now is None else now
        with self._tx() as db:
            for job_id, done in progress.items():
                db.execute(
                    "UPDATE leases SET heartbeat=?, bytes_done=? WHERE job_id=? AND token=?",
                    (now, done, job_id, owner.token),
                )
            rows = db.execute("SELECT job_id FROM leases WHERE token=?", (owner.token,))
            return {r[0] for r in rows}

    def release(self, job_id: str, owner: Owner) -> None:
        """Give the job up (finished, or left for the next start); only ``owner``'s lease."""
        self._db.execute("DELETE FROM leases WHERE job_id=? AND token=?", (job_id, owner.token))

    def lease(self, job_id: str) -> Lease | None:
        """Who holds the job now (alive or not), if anyone."""
        return self._lease(self._db, job_id)

    def leases(self) -> dict[str, Lease]:
        """Every lease, by job id."""
        rows = self._db.execute(f"SELECT {_LEASE_COLUMNS} FROM leases").fetchall()
        return {r[0]: Lease(*r) for r in rows}

    @staticmethod
    def _lease(db: sqlite3.Connection, job_id: str) -> Lease | None:
        row = db.execute(
            f"SELECT {_LEASE_COLUMNS} FROM leases WHERE job_id=?", (job_id,)
        ).fetchone()
        return None if row is None else Lease(*row)

    @staticmethod
    def _holds(db: sqlite3.Connection, job_id: str, owner: Owner) -> bool:
        row = db.execute(
            "SELECT 1 FROM leases WHERE job_id=? AND token=?", (job_id, owner.token)
        ).fetchone()
        return row is not None

    @staticmethod
    def _insert_lease(db: sqlite3.Connection, job_id: str, owner: Owner, now: float) -> None:
        db.execute(
            f"INSERT INTO leases ({_LEASE_COLUMNS}) VALUES (?,?,?,?,?,?,?,0)",
            (job_id, owner.pid, owner.host, owner.started, owner.token, now, now),
        )

    def delete_job(self, job_id: str) -> None:
        self._db.execute("DELETE FROM jobs WHERE id=?", (job_id,))

    def prune(self, keep_finished: int = 200) -> int:
        """Forget finished jobs beyond the newest ``keep_finished``; returns how many went."""
        states = tuple(str(s) for s in JobState if s.finished)
        marks = ",".join("?" * len(states))
        cur = self._db.execute(
            f"DELETE FROM jobs WHERE state IN ({marks}) AND id NOT IN ("
            f"SELECT id FROM jobs WHERE state IN ({marks}) ORDER BY created DESC LIMIT ?)",
            (*states, *states, keep_finished),
        )
        return cur.rowcount

    # -- reading ---------------------------------------------------------------

    def job_ids(self, *, unfinished_only: bool = False) -> list[str]:
        """Job ids, oldest first."""
        rows = self._db.execute("SELECT id, state FROM jobs ORDER BY created, id").fetchall()
        return [r[0] for r in rows if not (unfinished_only and JobState(r[1]).finished)]

    def load_job(self, job_id: str) -> Job | None:
        row = self._db.execute(
            "SELECT id, kind, sources, dest, policy, state, use_trash, created, error"
            " FROM jobs WHERE id=?",
            (job_id,),
        ).fetchone()
        if row is None:
            return None
        job = Job(
            id=row[0],
            kind=JobKind(row[1]),
            sources=tuple(Location(r, p) for r, p in json.loads(row[2])),
            dest=_loc_from(row[3]),
            policy=ConflictPolicy(row[4]),
            created=datetime.fromtimestamp(row[7], UTC),
            state=JobState(row[5]),
            use_trash=bool(row[6]),
            error=_str(row[8]),
        )
        for r in self._db.execute(
            "SELECT seq, kind, src_remote, src_path, dst_remote, dst_path, size, is_dir, state,"
            " src_modified_ns, src_hashes, existing, action, resume, attempts, error, note,"
            " src_mode, src_id"
            " FROM items WHERE job_id=? ORDER BY seq",
            (job_id,),
        ):
            existing = json.loads(r[11]) if r[11] else None
            job.items.append(
                Item(
                    seq=r[0],
                    kind=ItemKind(r[1]),
                    src_remote=r[2],
                    src_path=_str(r[3]) or "",
                    dst_remote=r[4],
                    dst_path=_str(r[5]) or "",
                    size=r[6],
                    is_dir=bool(r[7]),
                    state=ItemState(r[8]),
                    src_modified_ns=r[9],
                    src_hashes=json.loads(r[10]) if r[10] else {},
                    existing=(existing[0], existing[1], existing[2]) if existing else None,
                    action=r[12],
                    resume=json.loads(r[13]) if r[13] else None,
                    attempts=r[14],
                    error=_str(r[15]),
                    note=_str(r[16]),
                    src_mode=r[17],
                    src_id=r[18],
                )
            )
        return job

    def jobs(self, *, unfinished_only: bool = False) -> list[Job]:
        """Every journaled job with its items, oldest first."""
        out = []
        for job_id in self.job_ids(unfinished_only=unfinished_only):
            job = self.load_job(job_id)
            if job is not None:
                out.append(job)
        return out
