"""A large download over several ranged streams, through the TLS emulator: the ranges are
really requested, each lands at its offset, the composed QuickXorHash is checked, a range cut
mid-way is fetched again from where it stopped, and a killed download resumes per range."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from core.emulator import RunningServer
from core.paths import Location
from core.transfer import JobKind, JobState, Journal, TransferEngine
from tests.engine.conftest import leftovers
from tests.engine.od import od_backend, od_options, token_for

ROOT = Path(__file__).resolve().parents[2]
MIB = 1024 * 1024


@pytest.fixture
def od_engine(server: RunningServer, engine_for) -> Callable[..., TransferEngine]:
    opts, token = od_options(server), token_for(server)
    return lambda **kwargs: engine_for(od_backend(opts, token), **kwargs)


def content_gets(server: RunningServer) -> list[int]:
    """Body bytes sent by each GET of a download URL (the files origin)."""
    return [
        r.bytes_out
        for r in server.emulator.requests
        if r.method == "GET" and r.port == server.files_port
    ]


async def download(od_engine, dest: Path, **kwargs) -> JobState:
    eng = od_engine(**kwargs)
    job = await eng.submit(
        JobKind.COPY, [Location("od", "/big.bin")], Location(None, str(dest)), policy="overwrite"
    )
    await eng.wait(job.id)
    assert job.state is JobState.DONE, job.error
    return job.state


async def test_a_large_file_comes_over_four_ranges_and_is_verified(
    tmp_path: Path, server: RunningServer, od_engine
):
    data = os.urandom(6 * MIB + 123)
    server.emulator.put_file("big.bin", data)
    server.emulator.requests.clear()
    await download(od_engine, tmp_path / "big.bin", streams=4, stream_cutoff=MIB)
    assert (tmp_path / "big.bin").read_bytes() == data
    gets = content_gets(server)
    assert len(gets) == 4 and sum(gets) == len(data), gets  # four ranges, each byte once
    assert max(gets) <= len(data) // 4 + 1
    assert leftovers(tmp_path) == []


async def test_below_the_cutoff_one_stream(tmp_path: Path, server: RunningServer, od_engine):
    data = os.urandom(3 * MIB)
    server.emulator.put_file("big.bin", data)
    server.emulator.requests.clear()
    await download(od_engine, tmp_path / "big.bin", streams=4, stream_cutoff=4 * MIB)
    assert (tmp_path / "big.bin").read_bytes() == data
    assert content_gets(server) == [len(data)]


async def test_a_range_cut_mid_way_is_fetched_again_from_where_it_stopped(
    tmp_path: Path, server: RunningServer, od_engine
):
    data = os.urandom(8 * MIB)
    server.emulator.put_file("big.bin", data)
    server.emulator.requests.clear()
    server.emulator.faults.drop_next(1, method="GET", path=r"^/dl/")
    await download(od_engine, tmp_path / "big.bin", streams=4, stream_cutoff=MIB)
    assert (tmp_path / "big.bin").read_bytes() == data
    dropped = [r for r in server.emulator.requests if r.fault]
    assert dropped, "the fault was not met"
    gets = content_gets(server)
    # Only the cut range is asked again, and only for what it had not received.
    assert len(gets) == 5 and sum(gets) < len(data) + 2 * MIB + 1, gets
    assert leftovers(tmp_path) == []


async def test_bytes_that_differ_from_the_listed_hash_are_not_kept(
    tmp_path: Path, server: RunningServer, od_engine, monkeypatch: pytest.MonkeyPatch
):
    data = bytearray(os.urandom(4 * MIB))
    server.emulator.put_file("big.bin", bytes(data))
    from core.transfer import runner

    real = runner.HashingSource.read_range

    async def flip(self, offset: int, end: int):  # one bit of the third range goes wrong
        async for chunk in real(self, offset, end):
            if offset == 2 * MIB:
                chunk = bytes([chunk[0] ^ 1]) + chunk[1:]
            yield chunk

    monkeypatch.setattr(runner.HashingSource, "read_range", flip)
    eng = od_engine(streams=4, stream_cutoff=MIB)
    job = await eng.submit(
        JobKind.COPY, [Location("od", "/big.bin")], Location(None, str(tmp_path / "big.bin"))
    )
    await eng.wait(job.id)
    assert job.state is JobState.FAILED
    [failed] = job.failed_items()
    assert "QuickXorHash" in (failed.error or "") and failed.attempts == 2  # retried once
    assert not (tmp_path / "big.bin").exists() and leftovers(tmp_path) == []


@pytest.mark.large
async def test_kill_9_mid_ranged_download_then_resume_fetches_only_the_rest(
    tmp_path: Path, server: RunningServer, journal_path: Path
):
    size = 48 * MIB
    data = os.urandom(size)
    server.emulator.put_file("big.bin", data)
    opts, token = od_options(server), token_for(server)
    dest = tmp_path / "big.bin"
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.engine.download_child",
            json.dumps(opts),
            token,
            "/big.bin",
            str(dest),
            str(size // 2),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "SKYPANE_STATE_DIR": str(journal_path.parent)},
    )
    try:
        assert child.stdout is not None
        job_id = (await asyncio.to_thread(child.stdout.readline)).strip()
        half = (await asyncio.to_thread(child.stdout.readline)).strip()
        assert half == "half", half
        os.kill(child.pid, signal.SIGKILL)
    finally:
        await asyncio.to_thread(child.wait, 30)
    assert len(leftovers(tmp_path)) == 1  # the part file stays for the resume
    server.emulator.requests.clear()

    backend = od_backend(opts, token)
    from core.backends.local import LocalBackend

    eng = TransferEngine(
        lambda r: backend if r == "od" else LocalBackend(),
        Journal(journal_path),
        streams=4,
        stream_cutoff=MIB,
    )
    try:
        [job] = await eng.resume_unfinished()
        assert job.id == job_id
        await eng.wait(job.id)
    finally:
        await eng.close()
    assert job.state is JobState.DONE, job.error
    assert dest.read_bytes() == data
    assert leftovers(tmp_path) == []
    again = sum(content_gets(server))
    # Half had been written when it was killed, and all of it but the bytes since the last
    # checkpoint was journaled (the default spacing, not a test's): the resume fetches the
    # rest and at most one checkpoint's worth again, not the whole.
    assert 0 < again <= size // 2 + 8 * MIB, again
    assert len(content_gets(server)) <= 4


def test_skypane_get_with_stream_options_downloads_by_ranges(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    from tests.engine.two_runners import signed_in
    from tui.cli import main

    with signed_in("em") as server:
        capsys.readouterr()  # the sign-in's output
        data = os.urandom(3 * MIB + 5)
        server.emulator.put_file("big.bin", data)
        server.emulator.requests.clear()
        argv = ["get", "em:big.bin", str(tmp_path), "--json"]
        code = main([*argv, "--multi-thread-streams", "3", "--multi-thread-cutoff", "1M"])
        assert code == 0, capsys.readouterr()
        assert json.loads(capsys.readouterr().out)["state"] == "done"
        assert (tmp_path / "big.bin").read_bytes() == data
        gets = content_gets(server)
        assert len(gets) == 3 and sum(gets) == len(data), gets
        (tmp_path / "big.bin").unlink()
        server.emulator.requests.clear()
        assert main([*argv, "--multi-thread-streams", "1", "--multi-thread-cutoff", "1M"]) == 0
        assert (tmp_path / "big.bin").read_bytes() == data
        assert content_gets(server) == [len(data)]
