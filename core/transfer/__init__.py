"""The transfer engine: planned, parallel, verified, resumable copies, moves and deletes.

Usage (one asyncio loop: the TUI's, or ``asyncio.run`` in the CLI)::

    engine = TransferEngine(open_backend, Journal(), workers=4,
                            on_progress=sink, on_conflict=ask, on_job_done=done)
    job = await engine.submit(JobKind.COPY, [Location(None, "/home/me/photos")],
                              Location("work", "/Backup"), policy=ConflictPolicy.ASK)
    await engine.wait(job.id)          # or watch on_progress / on_job_done
    engine.pause(job.id); engine.resume(job.id); engine.cancel(job.id)
    engine.retry_failed(job.id)
    await engine.resume_unfinished()   # at start-up: jobs a crash or kill -9 interrupted
    await engine.close()

* ``open_backend(remote)`` returns the backend for a remote name (``None`` = local disk); the
  engine calls it once per remote and closes what it opened in ``close()`` unless
  ``owns_backends=False`` (a TUI that shares its panes' backends passes that).
* ``submit`` returns at once with the job queued (planning runs in the background), except
  with ``dry_run=True``: then it returns after planning, with ``job.plan`` filled and
  ``job.items`` listing what would be done, and nothing is written or journaled.
* ``on_progress(ProgressSnapshot)`` is called from the loop at most every ``progress_interval``
  seconds (0.1) per job, plus once at each state change; never per chunk. Keep it cheap.
* ``on_conflict(ConflictQuestion) -> ConflictDecision`` is awaited when the policy is ``ASK``;
  questions of one job come one at a time; ``apply_to_all`` turns the answer into the job's
  policy. Without a callback, ``ASK`` skips (and says so in the item's note).
* ``on_job_done(Job)`` is called once when a job reaches done, failed or cancelled.

Semantics: ``dest`` is the folder the sources go into when it is an existing folder (or when
there are several sources); with one source and a ``dest`` that does not exist, ``dest`` is
the new name (like ``cp``). Moves within one backend are renames (whole folders at once);
elsewhere a move is copy, verify, then delete the source. Same-remote copies use the
backend's server-side copy when it has one. Every file is verified (size, and QuickXorHash
where both sides have one); a mismatch never touches the source, removes the bad copy and is
retried once. Directory symlinks are never followed.
"""

from __future__ import annotations

from core.paths import Location
from core.transfer.engine import TransferEngine
from core.transfer.journal import Journal
from core.transfer.model import (
    ConflictAction,
    ConflictDecision,
    ConflictPolicy,
    ConflictQuestion,
    Item,
    ItemKind,
    ItemState,
    Job,
    JobKind,
    JobState,
    Plan,
    PlanProblem,
    ProgressSnapshot,
)

__all__ = [
    "ConflictAction",
    "ConflictDecision",
    "ConflictPolicy",
    "ConflictQuestion",
    "Item",
    "ItemKind",
    "ItemState",
    "Job",
    "JobKind",
    "JobState",
    "Journal",
    "Location",
    "Plan",
    "PlanProblem",
    "ProgressSnapshot",
    "TransferEngine",
]
