"""BackendPool: one open backend per remote, shared by both panes and the transfers.

Knows nothing of widgets: the main screen asks it for a remote's backend, opens a drive in a
thread through it, and hands it the backends to close.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable

from core.backend import Backend, BackendContext, throttled_seconds
from core.config import Config
from core.remotes import LOCAL, open_backend


class BackendPool:
    def __init__(self, config: Config, context: BackendContext) -> None:
        self.config = config
        self.context = context
        #: The open backends by remote name (None: the local disk).
        self.open: dict[str | None, Backend] = {}

    def backend_for(self, remote: str | None) -> Backend:
        """The remote's backend, opened on first use."""
        key = None if remote in (None, LOCAL) else remote
        if key not in self.open:
            self.open[key] = open_backend(key, self.config, self.context)
        return self.open[key]

    def open_detached(self, remote: str | None) -> Backend | None:
        """Open a backend without keeping it (in a thread: its module, HTTP and keyring
        libraries load slowly); None if it fails, which ``backend_for`` then reports."""
        try:
            return open_backend(remote, self.config, self.context)
        except Exception:
            return None

    def adopt(self, remote: str | None, backend: Backend) -> Backend | None:
        """Keep ``backend`` for ``remote`` unless one was opened meanwhile; returns the one
        to close (``backend`` itself when it lost), else None."""
        return None if self.open.setdefault(remote, backend) is backend else backend

    def forget(self, remotes: Iterable[str]) -> list[Backend]:
        """Drop the backends of these remotes (changed or gone); returns them to be closed."""
        return [b for name in remotes if (b := self.open.pop(name, None)) is not None]

    def throttled_seconds(self) -> float:
        """The longest wait any open remote's server asked for (0 when none)."""
        return max((throttled_seconds(b) for b in self.open.values()), default=0.0)

    async def close_all(self) -> None:
        for backend in self.open.values():
            await close_quietly(backend)


async def close_quietly(backend: Backend) -> None:
    with contextlib.suppress(Exception):  # one failing close must not stop the rest
        await backend.close()
