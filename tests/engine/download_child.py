"""Downloads one file from the emulator over ranged streams with a journaled engine, until a
test kills it.

``python -m tests.engine.download_child OPTIONS_JSON TOKEN SRC DEST HALF``: prints the job id,
then ``half`` once HALF bytes are written (the journal is in ``$SKYPANE_STATE_DIR``; the
ranges are checkpointed as a real download checkpoints them, ``RANGE_CHECKPOINT``).
"""

from __future__ import annotations

import asyncio
import json
import sys

from core.backends.local import LocalBackend
from core.paths import Location
from core.transfer import JobKind, Journal, ProgressSnapshot, TransferEngine
from tests.engine.od import od_backend


async def main(options: str, token: str, src: str, dest: str, half: str) -> None:
    od = od_backend(json.loads(options), token)
    local = LocalBackend()
    said = False

    def on_progress(snap: ProgressSnapshot) -> None:
        nonlocal said
        if not said and snap.bytes_done >= int(half):
            said = True
            print("half", flush=True)

    engine = TransferEngine(
        lambda r: od if r == "od" else local,
        Journal(),
        workers=1,
        on_progress=on_progress,
        progress_interval=0.01,
        streams=4,
        stream_cutoff=1024 * 1024,
    )
    job = await engine.submit(JobKind.COPY, [Location("od", src)], Location(None, dest))
    print(job.id, flush=True)
    await engine.wait(job.id)
    await engine.close()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:6]))
