"""OneDrive backends on the TLS Graph emulator for the engine's tests (and the crash child).

``od_options(server)`` are the remote options a user would configure for the emulator;
``StaticTokens`` hands out a token the emulator minted (no sign-in dance needed here).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core.backends.onedrive.backend import OneDriveBackend
from core.backends.onedrive.pacer import Pacer
from core.model import Entry

if TYPE_CHECKING:  # the benchmark's client process must not pay for importing the emulator
    from core.emulator import RunningServer

CLIENT_ID = "00000000-0000-0000-0000-00000000c0de"


class StaticTokens:
    """A ``TokenProvider`` with one long-lived access token."""

    def __init__(self, token: str) -> None:
        self.token = token

    async def access_token(self, *, force_refresh: bool = False) -> str:
        return self.token


def od_options(server: RunningServer, **extra: Any) -> dict[str, Any]:
    em = server.emulator
    return {
        "client_id": CLIENT_ID,
        "graph_url": server.graph_url,
        "authority": server.authority,
        "ca_bundle": str(server.ca_bundle),
        "drive_id": em.drive_id,
        "drive_type": em.drive.drive_type,
        **extra,
    }


def token_for(server: RunningServer) -> str:
    body = server.emulator.issue_tokens(client_id=CLIENT_ID, base_url=server.base_url)
    return str(body["access_token"])


def od_backend(
    options: dict[str, Any], token: str, *, remote: str = "od", **extra: Any
) -> OneDriveBackend:
    """A backend with a pacer that does not space calls (faults still get real back-off)."""
    return OneDriveBackend(
        remote,
        {**options, **extra},
        StaticTokens(token),
        pacer=Pacer(min_sleep=0.0, max_sleep=0.05),
    )


async def remote_files(backend: OneDriveBackend, folder: str) -> dict[str, Entry]:
    """Every file under ``folder`` on the drive by path, folders walked; a path listed twice
    appears a second time with ``" (listed again)"`` after it."""
    found: dict[str, Entry] = {}
    todo = [folder]
    while todo:
        here = todo.pop()
        async for page in backend.list(here):
            for e in page:
                if e.is_dir:
                    todo.append(e.path)
                else:
                    found[e.path + (" (listed again)" if e.path in found else "")] = e
    return found
