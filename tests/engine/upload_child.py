"""Uploads one file to the emulator with a journaled engine, until a test kills it.

``python -m tests.engine.upload_child OPTIONS_JSON TOKEN SRC DEST``: OPTIONS_JSON are the
remote options (graph_url, ca_bundle, drive_id…); the journal is in ``$SKYPANE_STATE_DIR``.
Prints the job id, then transfers.
"""

from __future__ import annotations

import asyncio
import json
import sys

from core.backends.local import LocalBackend
from core.paths import Location
from core.transfer import JobKind, Journal, TransferEngine
from tests.engine.od import od_backend


async def main(options: str, token: str, src: str, dest: str) -> None:
    od = od_backend(json.loads(options), token)
    local = LocalBackend()
    engine = TransferEngine(lambda r: od if r == "od" else local, Journal(), workers=1)
    job = await engine.submit(JobKind.COPY, [Location(None, src)], Location("od", dest))
    print(job.id, flush=True)
    await engine.wait(job.id)
    await engine.close()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))
