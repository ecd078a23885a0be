"""Two ``skypane resume`` started together on a transfer killed at ~40 %: what crosses the wire.

Run: python3 -m uv run python tests/bench/bench_two_resumes.py [--size-mib 200] [--runs 1]

For an upload and a download of ``--size-mib`` (default 200 MiB, upload fragments of 10 MiB,
OneDrive's default here): start the transfer with the real CLI (``skypane put``/``get`` as
a process), SIGKILL it at ~40 % (the upload after 8 of 20 acknowledged fragments, the
download once its part file passes 40 %), then start two ``skypane resume --json`` at the
same moment. Prints one JSON object per scenario and run: the bytes that were left, the bytes
the emulator received (upload fragments) or sent (download bodies) after the kill, the
excess over the remaining bytes in fragments, both processes' exit statuses and what each
said, and the journal's final state and owner (``skypane jobs --json``).

The goal (issue #20): the remaining bytes once, plus at most one fragment; one process runs
the job and exits 0 with "done", the other leaves it ("running in another skypane (pid N)")
and exits 0; the journal ends "done" with no owner. Everything runs in a private HOME.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.isolation import private_home  # noqa: E402

MIB = 1024 * 1024
FRAGMENT = 10 * MIB
KILL_AT = 0.4


def _race_report(race: Any, job_id: str, remaining: int, moved: int) -> dict[str, Any]:
    from tests.engine.two_runners import journal_state

    state, owner = journal_state(job_id)

    def said(o: Any) -> str:
        if isinstance(o.report, dict):
            if o.report.get("elsewhere"):
                return f"left it: running in another skypane (pid {o.report['elsewhere']['pid']})"
            return f"{o.report['state']}: {o.report['bytes']} bytes"
        return (o.stderr or str(o.report)).strip()[-200:]

    return {
        "remaining_bytes": remaining,
        "bytes_on_the_wire": moved,
        "excess_fragments": round((moved - remaining) / FRAGMENT, 3),
        "within_goal": remaining <= moved <= remaining + FRAGMENT,
        "runner": {"pid": race.runner.pid, "exit": race.runner.status, "said": said(race.runner)},
        "other": {"pid": race.other.pid, "exit": race.other.status, "said": said(race.other)},
        "journal": {"state": state, "owner": owner},
    }


def upload(server: Any, work: Path, size: int) -> dict[str, Any]:
    from tests.engine.two_runners import (
        Hold,
        after_n,
        is_upload,
        kill_at_hold,
        race_two_resumes,
        skypane,
    )

    em = server.emulator
    name = f"up-{work.name}.bin"  # a new name each run: an existing one would be skipped
    src = work / name
    with open(src, "wb") as f:
        for _ in range(size // MIB):
            f.write(os.urandom(MIB))
    fragments = -(-size // FRAGMENT)
    killed_after = int(fragments * KILL_AT)
    hold = Hold(em)
    try:
        hold.arm(after_n(killed_after, lambda r: is_upload(r) and r.status == 202))
        kill_at_hold(skypane("put", "--json", str(src), "em:"), hold)
        job_id = _unfinished_job()
        remaining = size - killed_after * FRAGMENT
        race = race_two_resumes(em, hold)
    finally:
        hold.close()
    sent = sum(r.bytes_in for r in race.requests if is_upload(r))
    ok = em.read(name) == src.read_bytes()
    src.unlink()
    out = _race_report(race, job_id, remaining, sent)
    out.update(kind="upload", killed_at=round(killed_after * FRAGMENT / size, 3), verified=ok)
    out["new_upload_sessions"] = sum("createUploadSession" in r.path for r in race.requests)
    return out


def download(server: Any, work: Path, size: int) -> dict[str, Any]:
    from tests.engine.two_runners import Hold, is_download, race_two_resumes, skypane

    em = server.emulator
    data = os.urandom(size)
    name = f"down-{work.name}.bin"
    em.put_file(name, data)
    dest = work / "down"
    dest.mkdir()
    proc = skypane("get", "--json", f"em:{name}", str(dest))
    kept = 0
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        parts = list(dest.glob("*.skypane-part"))
        kept = parts[0].stat().st_size if parts else 0
        if kept >= size * KILL_AT:
            os.kill(proc.pid, signal.SIGKILL)
            break
        time.sleep(0.001)
    proc.wait(60)
    if proc.returncode != -signal.SIGKILL:
        raise SystemExit("the download ended before it could be killed; use a larger --size-mib")
    [part] = list(dest.glob("*.skypane-part"))
    kept = part.stat().st_size
    job_id = _unfinished_job()
    hold = Hold(em)
    try:
        race = race_two_resumes(em, hold)
    finally:
        hold.close()
    fetched = sum(r.bytes_out for r in race.requests if is_download(r))
    ok = (dest / name).read_bytes() == data
    (dest / name).unlink()
    out = _race_report(race, job_id, size - kept, fetched)
    out.update(kind="download", killed_at=round(kept / size, 3), verified=ok)
    return out


def _unfinished_job() -> str:
    from core.transfer import Journal

    journal = Journal()
    try:
        return journal.job_ids(unfinished_only=True)[-1]
    finally:
        journal.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size-mib", type=int, default=200)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    # The emulator writing to a killed client's socket is expected here, not news.
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)
    size = args.size_mib * MIB
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="skypane-bench-") as tmp:
        os.environ.update(private_home(Path(tmp) / "home"))
        work = Path(tmp) / "work"
        work.mkdir()
        from tests.engine.two_runners import signed_in

        with signed_in("em") as server:
            for run in range(args.runs):
                for scenario in (upload, download):
                    folder = work / f"{scenario.__name__}{run}"
                    folder.mkdir()
                    began = time.monotonic()
                    row = scenario(server, folder, size)
                    row["seconds"] = round(time.monotonic() - began, 1)
                    rows.append(row)
                    print(json.dumps(row), flush=True)
    for kind in ("upload", "download"):
        excess = [r["excess_fragments"] for r in rows if r["kind"] == kind]
        print(
            json.dumps(
                {
                    "summary": kind,
                    "runs": len(excess),
                    "excess_fragments_min": min(excess),
                    "excess_fragments_median": statistics.median(excess),
                    "all_within_goal": all(r["within_goal"] for r in rows if r["kind"] == kind),
                }
            )
        )


if __name__ == "__main__":
    main()
