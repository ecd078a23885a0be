"""Throttling storms, fatal answers and the real sign-in seam, against the TLS emulator."""

from __future__ import annotations

import asyncio
import os
import ssl

import httpx
import pytest

from core import errors
from core.backend import BackendContext, WriteRequest
from core.backends.onedrive.auth import remote_auth
from core.backends.onedrive.backend import OneDriveBackend
from core.backends.onedrive.pacer import Pacer, PacerState
from core.paths import join
from core.secrets import MemorySecrets
from tests.onedrive.helpers import listing, read_all, source_of
from tests.onedrive.world import CLIENT_ID, World, shared_server, world

UNIT = 320 * 1024


class InstantTime:
    """A clock that jumps forward by whatever the pacer sleeps: no real waiting."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


@pytest.mark.parametrize("flavour", ["personal", "business"])
async def test_throttling_storm_everything_completes_intact(
    request: pytest.FixtureRequest, flavour: str
) -> None:
    time = InstantTime()
    pacer = Pacer(clock=time.clock, sleep=time.sleep, max_attempts=30)
    states: list[PacerState] = []
    pacer.add_listener(states.append)
    async with world(request.config, flavour, pacer=pacer, chunk_size=UNIT) as w:
        faults = w.emulator.faults
        faults.throttle_rate, faults.retry_after = 0.25, 3
        faults.error_rate = 0.1
        files = {f"f{i}.bin": os.urandom(UNIT * (i % 3) + 1000 * i) for i in range(8)}
        await asyncio.gather(
            *(
                w.backend.write(join(w.root, n), source_of(d), WriteRequest(len(d)))
                for n, d in files.items()
            )
        )
        listed = await listing(w.backend, w.root)
        contents = await asyncio.gather(*(read_all(w.backend, join(w.root, n)) for n in files))
        faults.reset()
    assert set(listed) == set(files)
    assert contents == list(files.values())
    assert pacer.retry_count > 0
    assert 3.0 in time.slept or any(s.throttled_until for s in states)
    assert any(s.throttled_until is not None for s in states)  # the UI saw the throttling


async def test_insufficient_storage_stops_at_once(od: World) -> None:
    od.emulator.faults.fail_next(1, 507, retry_after=None, path="createUploadSession")
    backend = await od.reopen(chunk_size=UNIT)
    data = os.urandom(2 * UNIT)
    with pytest.raises(errors.QuotaExceeded):
        await backend.write(join(od.root, "full.bin"), source_of(data), WriteRequest(len(data)))
    assert len(od.transport.sent("POST", "createUploadSession")) == 1


async def test_over_quota_upload_is_refused_before_any_byte(od: World) -> None:
    drive = od.emulator.drive
    saved, drive.quota_total = drive.quota_total, drive.used + 10 * UNIT
    backend = await od.reopen(chunk_size=UNIT)
    size = 11 * UNIT

    async def never(offset: int):  # the bytes are never asked for
        raise AssertionError("read")
        yield b""

    try:
        with pytest.raises(errors.QuotaExceeded):
            await backend.write(join(od.root, "huge.bin"), never, WriteRequest(size))
    finally:
        drive.quota_total = saved
    assert not od.transport.sent("PUT", "/up/")


async def test_opened_from_config_with_the_real_sign_in(request: pytest.FixtureRequest) -> None:
    server = shared_server("business", request.config)
    options = {
        "client_id": CLIENT_ID,
        "authority": server.authority,
        "graph_url": server.graph_url,
        "ca_bundle": str(server.ca_bundle),
        "drive_type": "business",
    }
    secrets = MemorySecrets()
    auth = remote_auth("work", options, secrets)
    flow = await asyncio.to_thread(auth.start_device_flow)
    async with httpx.AsyncClient(
        verify=ssl.create_default_context(cafile=str(server.ca_bundle))
    ) as client:
        answer = await client.post(
            server.verification_url, data={"code": flow.user_code, "action": "approve"}
        )
        answer.raise_for_status()
    await asyncio.to_thread(flow.poll)
    auth.close()

    backend = OneDriveBackend.from_config("work", options, BackendContext(secrets=secrets))
    try:
        path = f"/from-config-{os.getpid()}.txt"
        await backend.write(path, source_of(b"signed in"), WriteRequest(9))
        server.emulator.expire_access_tokens()
        assert await read_all(backend, path) == b"signed in"  # refreshed by msal, silently
        await backend.remove(path)
    finally:
        await backend.close()


async def test_spurious_unable_to_initialize_rps_401_is_retried_not_a_sign_in(od: World) -> None:
    # Graph now and then answers 401 "Unable to initialize RPS" for a valid token
    # (GRAPH.md §13.3); it passes on a retry and must not ask the user to sign in again.
    await od.backend.stat(od.root)  # signed in, token in hand
    od.emulator.faults.fail_next(2, 401, retry_after=None, path="/children")
    od.emulator.requests.clear()
    await listing(od.backend, od.root)
    assert len(od.emulator.requests.matching("GET", "children", status=401)) == 2
    assert od.emulator.requests.matching("GET", "children", status=200)
