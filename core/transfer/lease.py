"""Who runs a job: the lease a process holds in the journal so no two processes run one job.

A lease names its owner (process id, host name, the process's start time and a token per
engine) and carries a heartbeat the owner renews while it runs. Another process may take a
job over only when the owner is gone:

* on this host, its process id no longer exists, or it now belongs to a process that
  started at another time (the id was reused after a reboot or a wrap-around);
* on any host, its heartbeat is older than ``STALE_AFTER`` (the only test possible for a
  process on another machine sharing the journal over NFS; generous, so a busy machine or a
  short network hiccup never loses a job to a second runner).

An owner that comes back after its lease was taken (a laptop waking up, a process resumed
after Ctrl-Z) finds out at its next journal write or heartbeat and stops without writing.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass

from core.errors import SkypaneError

#: Seconds between two heartbeats of a running owner.
HEARTBEAT_INTERVAL = 10.0
#: Seconds without a heartbeat after which an owner counts as gone wherever it runs.
STALE_AFTER = 300.0
#: Slack when comparing process start times (they are derived from clock ticks since boot).
START_SLACK = 1.0


def host_name() -> str:
    return socket.gethostname()


def process_started(pid: int) -> float | None:
    """When process ``pid`` started (seconds since the epoch); None if there is no such process."""
    import psutil  # here, not at the top: the TUI's first frame does not need it

    try:
        return float(psutil.Process(pid).create_time())
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return None
    except psutil.Error:  # not allowed to look: it exists, its start time is unknown
        return 0.0


@dataclass(frozen=True, slots=True)
class Owner:
    """One engine in one process: what a lease records about its holder."""

    pid: int
    host: str
    #: Start time of the process (guards against a reused process id).
    started: float
    #: One per engine, so two engines of one process never mistake each other's leases.
    token: str

    @classmethod
    def current(cls) -> Owner:
        pid = os.getpid()
        return cls(pid, host_name(), process_started(pid) or 0.0, uuid.uuid4().hex)


@dataclass(frozen=True, slots=True)
class Lease:
    """A job's claim as the journal holds it."""

    job_id: str
    pid: int
    host: str
    started: float
    token: str
    #: When the owner took the job, and when it last said it was alive (epoch seconds).
    taken: float
    heartbeat: float
    #: Bytes the owner had moved at its last heartbeat (for read-only views elsewhere).
    bytes_done: int = 0

    def held_by(self, owner: Owner) -> bool:
        return self.token == owner.token

    def owner_gone(self, now: float, *, here: str | None = None) -> bool:
        """Whether the holder can no longer be running (so the job may be taken over)."""
        if now - self.heartbeat > STALE_AFTER:
            return True
        if self.host != (here if here is not None else host_name()):
            return False  # another machine: only the heartbeat can tell
        started = process_started(self.pid)
        if started is None:
            return True
        # A different start time: the id now belongs to another process.
        return bool(started and self.started and abs(started - self.started) > START_SLACK)

    def describe(self, *, here: str | None = None) -> str:
        """``pid 1234`` on this host, ``pid 1234 on laptop`` elsewhere."""
        if self.host == (here if here is not None else host_name()):
            return f"pid {self.pid}"
        return f"pid {self.pid} on {self.host}"


class JobHeldElsewhere(SkypaneError):
    """Raised by engine commands on a job another skypane runs."""

    def __init__(self, lease: Lease) -> None:
        super().__init__(f"running in another skypane ({lease.describe()})", path=lease.job_id)
        self.lease = lease


@dataclass(frozen=True, slots=True)
class Claim:
    """What trying to take a job gave: it is ours now, or ``holder`` runs it."""

    #: The live owner that keeps the job (None: the job is ours now).
    holder: Lease | None = None
    #: The gone owner whose lease we took over, if there was one.
    took_over: Lease | None = None

    @property
    def ok(self) -> bool:
        return self.holder is None
