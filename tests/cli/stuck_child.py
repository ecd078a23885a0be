"""The real command line with a local read that gets stuck in the kernel, as on a hung network
mount: ``python -m tests.cli.stuck_child AFTER ARGS...`` runs ``skypane ARGS...``; once AFTER
bytes of a file have been read, the next read blocks its worker thread for good (it prints
``READY`` then). A safe stop must still end the process within a couple of seconds.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import AsyncIterator

from core.backends.local import LocalBackend

_read = LocalBackend.open_read
_AFTER = int(sys.argv[1])


async def _stuck_read(self: LocalBackend, path: str, offset: int = 0) -> AsyncIterator[bytes]:
    pos = offset
    async for chunk in _read(self, path, offset):
        if pos >= _AFTER:
            print("READY", flush=True)
            await asyncio.to_thread(threading.Event().wait)  # a thread that never returns
        pos += len(chunk)
        yield chunk


LocalBackend.open_read = _stuck_read  # type: ignore[method-assign]

if __name__ == "__main__":
    from tui.__main__ import main

    sys.exit(main(sys.argv[2:]))
