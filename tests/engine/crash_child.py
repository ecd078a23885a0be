"""A transfer that stops mid-file and waits to be killed (``kill -9``) by a test.

``python -m tests.engine.crash_child SRC DST AFTER [KIND]`` copies (or, with KIND ``mirror``,
mirrors) SRC into DST with the journal in ``$SKYPANE_STATE_DIR``; once AFTER bytes of the file
have been written it prints ``READY`` and blocks, so the parent can kill it at a known point.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator

from core.backends.local import LocalBackend
from core.paths import Location
from core.transfer import JobKind, Journal, TransferEngine


class StallingBackend(LocalBackend):
    def __init__(self, after: int) -> None:
        super().__init__()
        self.after = after

    async def open_read(self, path: str, offset: int = 0) -> AsyncIterator[bytes]:
        pos = offset
        async for chunk in super().open_read(path, offset):
            if pos >= self.after:
                print("READY", flush=True)
                await asyncio.Event().wait()  # until killed
            pos += len(chunk)
            yield chunk


async def main(src: str, dst: str, after: int, kind: str = "copy") -> None:
    backend = StallingBackend(after)
    engine = TransferEngine(lambda remote: backend, Journal(), workers=1)
    job = await engine.submit(JobKind(kind), [Location(None, src)], Location(None, dst))
    print(job.id, flush=True)
    await engine.wait(job.id)


def kill_midway(src: str, dst: str, after: int, kind: str = "copy") -> str:
    """Run this module in a child process, ``kill -9`` it once it stalls; the job's id."""
    import os
    import signal
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.engine.crash_child", src, dst, str(after), kind],
        cwd=root,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        job_id = child.stdout.readline().strip()
        assert child.stdout.readline().strip() == "READY"
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(30)
    return job_id


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]), *sys.argv[4:5]))
