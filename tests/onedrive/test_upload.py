"""Writes against the TLS emulator: PUT vs sessions, fragments, retries, resume, hashes."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime

import pytest

from core import errors
from core.backend import WriteRequest
from core.hashing import quickxor_of
from core.model import QUICKXOR
from core.paths import join
from tests.onedrive.helpers import Progress, read_all, source_of
from tests.onedrive.world import World, world

UNIT = 320 * 1024
WHEN = datetime(2020, 2, 3, 4, 5, 6, tzinfo=UTC)


@pytest.fixture(params=["personal", "business"])
async def small_chunks(request: pytest.FixtureRequest):
    """A world whose backend uploads in 320 KiB fragments and records its requests."""
    async with world(request.config, request.param, chunk_size=UNIT) as w:
        yield w


def fragment_puts(w: World) -> list[str]:
    return [r.headers["Content-Range"] for r in w.transport.sent("PUT", "/up/")]


def calls(w: World, since: int) -> list[str]:
    return [
        f"{r.method} {r.url.path.rsplit('/', 1)[-1] if '/up/' not in r.url.path else 'up'}"
        for r in w.transport.requests[since:]
    ]


async def interrupted(w: World, path: str, data: bytes, *, at: int) -> Progress:
    """Start writing ``data`` to ``path`` and let the process die once ``at`` bytes are read;
    returns what the write reported (its checkpoints)."""
    progress = Progress()

    def crash(offset: int) -> None:
        if offset >= at:
            raise RuntimeError("killed")

    with pytest.raises(RuntimeError, match="killed"):
        await w.backend.write(path, source_of(data, UNIT, crash), WriteRequest(len(data)), progress)
    return progress


async def test_small_file_with_mtime_is_a_session_of_one_fragment(od: World) -> None:
    before = len(od.transport.requests)
    path = join(od.root, "small.txt")
    entry = await od.backend.write(path, source_of(b"hello"), WriteRequest(5, modified=WHEN))
    assert entry.modified == WHEN
    assert entry.hashes[QUICKXOR] == quickxor_of(b"hello")
    # The mtime rides in the session request: no PATCH (a version on Business), and only
    # one paced Graph call (the fragment goes to the pre-authenticated URL).
    assert calls(od, before) == ["POST createUploadSession", "PUT up"]


async def test_small_file_without_mtime_is_a_single_put(od: World) -> None:
    before = len(od.transport.requests)
    entry = await od.backend.write(join(od.root, "s.txt"), source_of(b"hey"), WriteRequest(3))
    assert entry.hashes[QUICKXOR] == quickxor_of(b"hey")
    assert calls(od, before) == ["PUT content"]


async def test_empty_file_is_a_single_put(od: World) -> None:
    before = len(od.transport.requests)
    entry = await od.backend.write(join(od.root, "empty"), source_of(b""), WriteRequest(0))
    assert entry.size == 0 and entry.hashes[QUICKXOR] == quickxor_of(b"")
    assert calls(od, before) == ["PUT content"]


async def test_large_file_goes_in_fragments_of_320k_multiples(small_chunks: World) -> None:
    w = small_chunks
    data = os.urandom(3 * UNIT + 1000)
    progress = Progress()
    path = join(w.root, "big.bin")
    entry = await w.backend.write(
        path, source_of(data), WriteRequest(len(data), modified=WHEN), progress
    )
    assert fragment_puts(w) == [
        f"bytes 0-{UNIT - 1}/{len(data)}",
        f"bytes {UNIT}-{2 * UNIT - 1}/{len(data)}",
        f"bytes {2 * UNIT}-{3 * UNIT - 1}/{len(data)}",
        f"bytes {3 * UNIT}-{len(data) - 1}/{len(data)}",
    ]
    assert all("Authorization" not in r.headers for r in w.transport.sent("PUT", "/up/"))
    assert entry.modified == WHEN and entry.hashes[QUICKXOR] == quickxor_of(data)
    assert progress.total == len(data)
    assert [c["offset"] for c in progress.checkpoints] == [0, UNIT, 2 * UNIT, 3 * UNIT]
    assert {c["upload_url"] for c in progress.checkpoints} == {
        str(w.transport.sent("PUT", "/up/")[0].url)
    }
    assert await read_all(w.backend, path) == data
    # The mtime went in the session request: no PATCH, so no extra version on Business.
    assert not w.transport.sent("PATCH", "")


async def test_next_fragment_is_read_while_the_current_one_uploads(small_chunks: World) -> None:
    w = small_chunks
    data = os.urandom(4 * UNIT)
    reads_during_put: list[int] = []
    state = {"read_up_to": 0}

    def on_read(offset: int) -> None:
        state["read_up_to"] = offset

    inner = w.transport.inner
    original = inner.handle_async_request

    async def watching(request):  # type: ignore[no-untyped-def]
        if request.method == "PUT" and "/up/" in request.url.path:
            start = int(request.headers["Content-Range"].split()[1].split("-")[0])
            for _ in range(50):  # give the read-ahead task its turn
                await asyncio.sleep(0)
            reads_during_put.append(state["read_up_to"] - start)
        return await original(request)

    inner.handle_async_request = watching
    await w.backend.write(
        join(w.root, "ahead.bin"), source_of(data, UNIT // 4, on_read), WriteRequest(len(data))
    )
    # While fragment k was on the wire, the source was already into fragment k+1.
    assert len(reads_during_put) == 4
    assert all(ahead >= UNIT for ahead in reads_during_put[:-1])


async def test_spurious_416_is_resolved_from_the_session_status(small_chunks: World) -> None:
    w = small_chunks
    w.emulator.faults.spurious_416_rate = 1.0
    data = os.urandom(3 * UNIT + 5)
    path = join(w.root, "overlap.bin")
    await w.backend.write(path, source_of(data), WriteRequest(len(data)))
    # Each 416 was answered by asking the session where it stands: nothing sent twice.
    assert len(fragment_puts(w)) == 4
    assert len(w.transport.sent("GET", "/up/")) == 3
    assert w.emulator.read(path.strip("/")) == data


async def test_fragment_server_errors_and_drops_are_retried(small_chunks: World) -> None:
    w = small_chunks
    w.emulator.faults.fail_next(1, 503, retry_after=None, path="/up/")
    w.emulator.faults.drop_next(1, path="/up/", method="PUT")
    data = os.urandom(2 * UNIT + 7)
    path = join(w.root, "flaky.bin")
    entry = await w.backend.write(path, source_of(data), WriteRequest(len(data)))
    assert entry.hashes[QUICKXOR] == quickxor_of(data)
    assert w.emulator.read(path.strip("/")) == data


async def test_lost_session_restarts_with_a_new_one(small_chunks: World) -> None:
    w = small_chunks
    data = os.urandom(4 * UNIT)
    dropped = {"done": False}

    def on_read(offset: int) -> None:
        if offset >= 2 * UNIT and not dropped["done"]:
            dropped["done"] = True
            w.emulator.drop_upload_sessions()

    progress = Progress()
    path = join(w.root, "lost.bin")
    await w.backend.write(path, source_of(data, UNIT, on_read), WriteRequest(len(data)), progress)
    assert len(w.transport.sent("POST", "createUploadSession")) == 2
    assert any(n < 0 for n in progress.advanced)  # the progress bar went back
    assert progress.total == len(data)
    assert w.emulator.read(path.strip("/")) == data


async def test_session_lost_every_time_is_resume_lost(small_chunks: World) -> None:
    w = small_chunks
    w.emulator.faults.lose_upload_sessions = 1.0
    w.emulator.faults.path_pattern = "/up/"
    data = os.urandom(2 * UNIT)
    with pytest.raises(errors.ResumeLost):
        await w.backend.write(join(w.root, "never.bin"), source_of(data), WriteRequest(len(data)))


async def test_token_expiring_mid_upload_is_refreshed_and_the_upload_continues(
    small_chunks: World,
) -> None:
    w = small_chunks
    data = os.urandom(3 * UNIT)
    expired = {"done": False}

    def on_read(offset: int) -> None:
        if offset >= UNIT and not expired["done"]:
            expired["done"] = True
            w.emulator.expire_access_tokens()

    path = join(w.root, "expiring.bin")
    await w.backend.write(path, source_of(data, UNIT // 2, on_read), WriteRequest(len(data)))
    assert w.tokens.refreshes == 0  # fragments carry no bearer: nothing to refresh yet
    entry = await w.backend.stat(path)  # the next Graph call refreshes once, silently
    assert w.tokens.refreshes == 1
    assert entry.hashes[QUICKXOR] == quickxor_of(data)
    second = join(w.root, "after.bin")
    w.emulator.expire_access_tokens()
    await w.backend.write(second, source_of(data), WriteRequest(len(data)))  # 401 at session start
    assert w.tokens.refreshes == 2
    assert w.emulator.read(second.strip("/")) == data


async def test_resume_after_a_restart_sends_at_most_one_fragment_again(small_chunks: World) -> None:
    w = small_chunks
    data = os.urandom(6 * UNIT + 99)
    path = join(w.root, "resumed.bin")
    progress = await interrupted(w, path, data, at=4 * UNIT)
    sent_before = len(fragment_puts(w))
    # Kill -9 between the server accepting a fragment and the journal saving its checkpoint:
    # resume from the one before the last.
    state = progress.checkpoints[-2]
    fresh = await w.reopen(chunk_size=UNIT)
    resumed = Progress()
    entry = await fresh.write(path, source_of(data), WriteRequest(len(data), resume=state), resumed)
    ranges = fragment_puts(w)[sent_before:]
    assert ranges[0].startswith(f"bytes {4 * UNIT}-")  # where the server said it stood
    assert len(ranges) <= 3  # fragments 5, 6, 7: none of the first four again
    assert resumed.total == len(data)  # stored bytes reported once, then the rest
    assert not w.transport.sent("POST", "createUploadSession")[1:]  # same session reused
    assert entry.hashes[QUICKXOR] == quickxor_of(data)
    assert w.emulator.read(path.strip("/")) == data


async def test_resume_with_an_expired_session_starts_over(small_chunks: World) -> None:
    w = small_chunks
    data = os.urandom(2 * UNIT)
    path = join(w.root, "stale.bin")
    progress = await interrupted(w, path, data, at=UNIT)
    w.emulator.drop_upload_sessions()
    await w.backend.write(
        path, source_of(data), WriteRequest(len(data), resume=progress.checkpoints[-1])
    )
    assert w.emulator.read(path.strip("/")) == data


async def test_resume_of_a_session_past_its_expiry_starts_over_without_asking(
    small_chunks: World,
) -> None:
    w = small_chunks
    data = os.urandom(2 * UNIT)
    path = join(w.root, "expired.bin")
    progress = await interrupted(w, path, data, at=UNIT)
    state = progress.checkpoints[-1]
    assert state["expires"].endswith("Z")  # the session's expiry is kept with its URL
    state = {**state, "expires": "2001-01-01T00:00:00Z"}
    asked = len(w.transport.sent("GET", "/up/"))
    await w.backend.write(path, source_of(data), WriteRequest(len(data), resume=state))
    assert len(w.transport.sent("GET", "/up/")) == asked  # an expired session is not asked
    # The service still holds that session (only our note of its expiry was aged), so, as on
    # Graph, the new one is refused with 409 until the old one is cancelled.
    assert len(w.transport.sent("POST", "createUploadSession")) == 3
    assert [str(r.url) for r in w.transport.sent("DELETE", "/up/")] == [state["upload_url"]]
    assert w.emulator.read(path.strip("/")) == data


@pytest.mark.parametrize(("status", "creates", "cancels"), [(403, 3, 1), (401, 1, 0)])
async def test_an_upload_url_refusing_its_credential_gets_a_new_session_a_glitch_does_not(
    small_chunks: World, status: int, creates: int, cancels: int
) -> None:
    w = small_chunks
    # 403 accessDenied: the URL's credential lapsed (401 expiredToken goes the same way); a
    # fresh Graph token cannot help, a new session can. The emulator's injected 401 is the
    # passing "Unable to initialize RPS": retried on the same session.
    w.emulator.faults.fail_next(1, status, retry_after=None, path="/up/", method="PUT")
    data = os.urandom(2 * UNIT + 9)
    path = join(w.root, f"refused-{status}.bin")
    await w.backend.write(path, source_of(data), WriteRequest(len(data)))
    # The injected 403 leaves the refused session alive at the service, which then answers
    # the new one 409 until the client cancels the old one (GRAPH-second-wave §7).
    assert len(w.transport.sent("POST", "createUploadSession")) == creates
    assert len(w.transport.sent("DELETE", "/up/")) == cancels
    assert w.tokens.refreshes == 0
    assert w.emulator.read(path.strip("/")) == data
    assert not [s for s in w.emulator.upload_sessions.values() if s.name == f"refused-{status}.bin"]


async def test_corruption_on_the_wire_is_an_integrity_error(small_chunks: World) -> None:
    w = small_chunks
    w.transport.corrupt_upload = True
    data = os.urandom(2 * UNIT + 3)
    with pytest.raises(errors.IntegrityError, match="hash"):
        await w.backend.write(join(w.root, "bad.bin"), source_of(data), WriteRequest(len(data)))


async def test_expected_hash_mismatch_cancels_before_commit(small_chunks: World) -> None:
    w = small_chunks
    data = os.urandom(2 * UNIT + 3)
    path = join(w.root, "never-committed.bin")
    request = WriteRequest(len(data), expected_hashes={QUICKXOR: quickxor_of(b"other")})
    with pytest.raises(errors.IntegrityError):
        await w.backend.write(path, source_of(data), request)
    with pytest.raises(errors.NotFound):
        await w.backend.stat(path)
    assert w.transport.sent("DELETE", "/up/")  # the session was cancelled
    assert not w.emulator.upload_sessions


async def test_source_longer_than_announced_is_refused(od: World) -> None:
    with pytest.raises(errors.IntegrityError, match="longer"):
        await od.backend.write(join(od.root, "long"), source_of(b"abcdef"), WriteRequest(3))


async def test_sha1_hash_type_verifies_with_sha1_where_the_drive_has_it(od: World) -> None:
    backend = await od.reopen(hash_type="sha1")
    assert backend.capabilities.hash_algorithms == ("sha1",)
    entry = await backend.write(join(od.root, "s.txt"), source_of(b"abc"), WriteRequest(3))
    if od.flavour == "personal":
        assert entry.hashes["sha1"] == "a9993e364706816aba3e25717850c26c9cd0d89d"


async def test_hash_type_none_lists_no_hashes(od: World) -> None:
    backend = await od.reopen(hash_type="none")
    entry = await backend.write(join(od.root, "n.txt"), source_of(b"abc"), WriteRequest(3))
    assert dict(entry.hashes) == {} and backend.capabilities.hash_algorithms == ()


def test_upload_errors_name_the_session_host_never_its_pre_authenticated_url() -> None:
    from core.backends.onedrive.upload import _where

    url = "https://contoso-my.sharepoint.com/_api/v2.0/drives/b!x/items/y/uploadSession?guid='1'&tempauth=eyJ0eXAi.secret"
    assert _where(url) == "upload session at contoso-my.sharepoint.com"
