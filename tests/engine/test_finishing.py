"""Transfers that finish: lost upload sessions, tokens that expire again and again, SharePoint's
rewrite of Office files and resume with a dead upload URL, through the engine on the TLS
emulator (issue #13)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.backends.local import LocalBackend
from core.backends.onedrive.backend import OneDriveBackend
from core.backends.onedrive.http import make_http_client
from core.backends.onedrive.pacer import Pacer
from core.emulator import Emulator, EmulatorConfig, RunningServer, start_server
from core.emulator.seeds import docx
from core.hashing import hash_file
from core.model import QUICKXOR
from core.paths import Location
from core.transfer import JobKind, JobState, Journal, TransferEngine
from tests.engine.conftest import abandon, departed_owner, write_tree
from tests.engine.od import od_options, remote_files
from tests.onedrive.world import EmulatorTokens, RecordingTransport

UNIT = 320 * 1024


def od_backend(
    server: RunningServer,
    tokens: Any = None,
    transport: httpx.AsyncBaseTransport | None = None,
    **extra: Any,
) -> OneDriveBackend:
    """A backend whose tokens refresh over TLS at the emulator's token endpoint."""
    return OneDriveBackend(
        "od",
        od_options(server, **extra),
        tokens or EmulatorTokens(server),
        pacer=Pacer(min_sleep=0.0, max_sleep=0.05),
        http=make_http_client(transport=transport) if transport is not None else None,
    )


def od(path: str) -> Location:
    return Location("od", path)


def local(p: Path) -> Location:
    return Location(None, str(p))


@pytest.fixture
def library() -> Iterator[tuple[RunningServer, str]]:
    """A Business emulator and the id of a SharePoint site's document library."""
    em = Emulator(EmulatorConfig(flavour="business", device_code_interval=0))
    site = next(iter(em.store.sites.values()))
    with start_server(em) as running:
        yield running, site.drive_ids[0]
    em.close()


def office_file(text: str) -> bytes:
    """A small but real Word package (SharePoint only rewrites what it can open)."""
    return docx(text + "x" * 700)


@pytest.mark.parametrize("kind", [JobKind.COPY, JobKind.MOVE])
async def test_office_files_rewritten_by_a_sharepoint_library_are_uploaded_not_failed(
    tmp_path: Path, library: tuple[RunningServer, str], engine_for, kind: JobKind
):
    server, drive_id = library
    files = {
        "report.docx": office_file("report"),
        "Sheet.XLSX": office_file("sheet"),
        "big.pptx": docx(os.urandom(500_000).hex()),  # several fragments
        "data.bin": b"d" * 100,
    }
    write_tree(tmp_path / "src", files)
    backend = od_backend(server, drive_id=drive_id, drive_type="documentLibrary", chunk_size=UNIT)
    eng = engine_for(backend)
    job = await eng.submit(kind, [local(tmp_path / "src")], od("/lib"))
    await eng.wait(job.id)
    assert job.state is JobState.DONE, [i.error for i in job.failed_items()]
    drive = server.emulator.store.drive(drive_id)
    notes = {Path(i.dst_path).name: i.note for i in job.items if i.kind.value == "file"}
    for name in ("report.docx", "Sheet.XLSX", "big.pptx"):
        stored = server.emulator.read(f"lib/{name}", drive)
        assert stored != files[name] and len(stored) != len(files[name])  # really rewritten
        assert notes[name] is not None and notes[name].startswith("uploaded; SharePoint rewrote")
    assert notes["data.bin"] is None and server.emulator.read("lib/data.bin", drive) == b"d" * 100
    # Neither retried nor re-uploaded: one upload per file.
    log = server.emulator.requests
    uploads = log.matching("POST", path="createUploadSession") + log.matching(
        "PUT", path="/content$"
    )
    assert len(uploads) == len(files)
    assert all(i.attempts == 1 for i in job.items)
    assert (tmp_path / "src").exists() is (kind is JobKind.COPY)


async def test_a_move_whose_upload_fails_keeps_its_office_source(
    tmp_path: Path, library: tuple[RunningServer, str], engine_for
):
    server, drive_id = library
    report = office_file("report")
    write_tree(tmp_path / "src", {"report.docx": report})
    server.emulator.faults.fail_next(10, 403, retry_after=None, path="report.docx")
    backend = od_backend(server, drive_id=drive_id, drive_type="documentLibrary")
    eng = engine_for(backend)
    job = await eng.submit(JobKind.MOVE, [local(tmp_path / "src")], od("/lib"))
    await eng.wait(job.id)
    assert job.state is JobState.FAILED
    assert (tmp_path / "src" / "report.docx").read_bytes() == report


async def test_lost_upload_sessions_are_replaced_and_every_file_arrives(
    tmp_path: Path, server: RunningServer, engine_for
):
    # Small files with an mtime go in one fragment: a session lost on it used to lose the file.
    files = {f"f{i:02}.bin": os.urandom(1000 + 97 * i) for i in range(40)}
    write_tree(tmp_path / "src", files)
    faults = server.emulator.faults
    faults.lose_upload_sessions = 0.3
    backend = od_backend(server)
    eng = engine_for(backend)
    job = await eng.submit(JobKind.COPY, [local(tmp_path / "src")], od("/"))
    await eng.wait(job.id)
    faults.reset()
    assert job.state is JobState.DONE, [i.error for i in job.failed_items()]
    lost = server.emulator.requests.matching("PUT", path="/up/", status=404)
    assert len(lost) >= 5  # sessions really were lost
    for name, data in files.items():
        assert server.emulator.read(f"src/{name}") == data


class AnswerLost(RecordingTransport):
    """Real TLS to the emulator; the answer to the first complete upload is lost on the way."""

    def __init__(self, server: RunningServer) -> None:
        super().__init__(server)
        self.lost = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await super().handle_async_request(request)
        if not self.lost and request.method == "PUT" and response.status_code in (200, 201):
            await response.aread()
            self.lost = True
            raise httpx.ReadError("connection reset before the answer arrived")
        return response


async def test_a_session_that_completed_unseen_is_not_sent_again(
    tmp_path: Path, server: RunningServer, engine_for
):
    # The last fragment's answer is lost; its retry finds the session gone (a completed
    # session answers 404 too). The drive holds the file: nothing is uploaded again.
    data = os.urandom(2 * UNIT + 5)
    write_tree(tmp_path / "src", {"done.bin": data})
    transport = AnswerLost(server)
    eng = engine_for(od_backend(server, transport=transport, chunk_size=UNIT))
    job = await eng.submit(JobKind.COPY, [local(tmp_path / "src" / "done.bin")], od("/done.bin"))
    await eng.wait(job.id)
    assert job.state is JobState.DONE, job.error
    assert transport.lost
    log = server.emulator.requests
    assert len(log.matching("POST", path="createUploadSession")) == 1
    assert len(log.matching("PUT", path="/up/", status=404)) == 1
    assert server.emulator.read("done.bin") == data


async def test_tokens_expiring_again_and_again_fail_no_item(
    tmp_path: Path, server: RunningServer, engine_for
):
    spec: dict[str, Any] = {
        f"d{d}": {f"f{i}.txt": os.urandom(500 + i) for i in range(8)} for d in range(9)
    }
    write_tree(tmp_path / "src", spec)
    faults = server.emulator.faults
    faults.expire_tokens_early = 0.25
    tokens = EmulatorTokens(server)
    eng = engine_for(od_backend(server, tokens), workers=8)
    job = await eng.submit(JobKind.COPY, [local(tmp_path / "src")], od("/"))
    await eng.wait(job.id)
    faults.reset()
    assert job.state is JobState.DONE, [i.error for i in job.failed_items()]
    assert len(job.items) >= 81
    assert tokens.refreshes >= 5  # tokens really expired, many times
    stored = await remote_files(od_backend(server), "/src")
    assert len(stored) == 72
    for p in (tmp_path / "src").rglob("*.txt"):
        entry = stored[f"/src/{p.relative_to(tmp_path / 'src')}"]
        assert entry.hash(QUICKXOR) == hash_file(p)


class Stalling:
    """The local disk, whose reads of one file hang past ``after`` bytes (a process that will
    be killed there)."""

    def __init__(self, after: int) -> None:
        self.inner = LocalBackend()
        self.after = after
        self.stalled = asyncio.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def open_read(self, path: str, offset: int = 0) -> AsyncIterator[bytes]:
        pos = offset
        async for chunk in self.inner.open_read(path, offset):
            if pos >= self.after:
                self.stalled.set()
                await asyncio.Event().wait()
            pos += len(chunk)
            yield chunk


async def test_resume_after_a_restart_whose_upload_url_is_dead_starts_a_new_session(
    tmp_path: Path, journal_path: Path
):
    # The demo's case: the server the session was opened on is gone (the emulator came back
    # on another port); the stored URL gets one try, then a new session carries the upload.
    data = os.urandom(6 * UNIT + 11)
    (tmp_path / "big.bin").write_bytes(data)
    em = Emulator(EmulatorConfig(flavour="personal", device_code_interval=0))
    first_server = start_server(em)
    source = Stalling(after=3 * UNIT)
    first_od = od_backend(first_server, chunk_size=UNIT)
    first = TransferEngine(  # its lease names a process that is gone, as after a real crash
        lambda r: source if r is None else first_od, Journal(journal_path), owner=departed_owner()
    )
    job = await first.submit(JobKind.COPY, [local(tmp_path / "big.bin")], od("/big.bin"))
    await asyncio.wait_for(source.stalled.wait(), 30)
    abandon(first)  # the process dies: no clean-up of any kind
    await first_od.close()
    stored = first.journal.load_job(job.id) if first.journal is not None else None
    assert stored is not None
    [state] = [i.resume for i in stored.items if i.resume]
    old_url = httpx.URL(state["upload_url"])
    first_server.stop()
    assert em.upload_sessions
    em.drop_upload_sessions()  # a restarted emulator keeps its drive, not its sessions

    with start_server(em) as server:
        transport = RecordingTransport(server)
        backend = od_backend(server, transport=transport, chunk_size=UNIT)
        second = TransferEngine(
            lambda r: LocalBackend() if r is None else backend, Journal(journal_path)
        )
        try:
            [again] = await second.resume_unfinished()
            await second.wait(again.id)
        finally:
            await second.close()
            assert first.journal is not None
            first.journal.close()
    assert again.id == job.id and again.state is JobState.DONE, again.error
    urls = [r.url for r in transport.requests]
    dead = [u for u in urls if (u.host, u.port) == (old_url.host, old_url.port)]
    assert len(dead) == 1  # asked once, no retries
    assert em.read("big.bin") == data
    em.close()
