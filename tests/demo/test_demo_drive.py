"""Demo mode's core: a seeded TLS emulator in a process of its own, a private config, real
device-code sign-in."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from core.backend import Backend, BackendContext
from core.backends.onedrive.auth import SignedIn, remote_auth
from core.config import load_config
from core.demo import REMOTE, SERVING, DemoError, DemoSession, demo_dir, start_demo
from core.emulator import Emulator, EmulatorConfig
from core.emulator.seeds import DEMO_BIG_FOLDER
from core.remotes import open_backend
from core.secrets import MemorySecrets


async def names(backend, path: str) -> list[str]:
    out: list[str] = []
    async for page in backend.list(path):
        out.extend(e.name for e in page)
    return out


async def test_demo_signs_in_by_device_code_and_lists_the_seeded_drive() -> None:
    session = start_demo(auto_approve_after=0.2)
    try:
        flow = remote_auth(REMOTE, session.remote.options, MemorySecrets()).start_device_flow()
        assert flow.user_code and flow.verification_uri.startswith("https://127.0.0.1:")
        flow.cancel()
        async with signed_in(session) as backend:
            top = await names(backend, "/")
            assert {"Documents", "Pictures", "Archive", "Notebooks"} <= set(top)
            assert len(await names(backend, "/Archive/Sensor logs")) == DEMO_BIG_FOLDER
            versions = await backend.list_versions("/Documents/Proposal.docx")  # type: ignore[attr-defined]
            assert len(versions) >= 4
    finally:
        session.stop()


def test_demo_never_touches_the_users_config(tmp_path: Path) -> None:
    real = load_config()
    assert real.remotes == {}
    session = start_demo()
    try:
        assert load_config().remotes == {}  # the user's file is untouched
        assert session.config.path.is_relative_to(Path(os.environ["SKYPANE_DATA_DIR"]))
        assert list(session.config.remotes) == [REMOTE]
        assert "token" not in session.config.path.read_text().lower()
    finally:
        session.stop()


@asynccontextmanager
async def signed_in(session: DemoSession) -> AsyncIterator[Backend]:
    """The demo drive's backend, signed in by device code (approved by the emulator)."""
    secrets = MemorySecrets()
    flow = remote_auth(REMOTE, session.remote.options, secrets).start_device_flow()
    assert isinstance(await flow.wait(), SignedIn)
    backend = open_backend(REMOTE, session.config, BackendContext(secrets=secrets))
    try:
        yield backend
    finally:
        await backend.close()


async def test_demo_drive_is_kept_between_runs_and_reset_starts_over() -> None:
    start_demo(auto_approve_after=0.1).stop()  # seeded and saved by the emulator's process
    # what a run left on the drive (written while no emulator runs, as a run would have)
    kept = Emulator(EmulatorConfig(flavour="business", state_dir=demo_dir() / "drive"))
    kept.put_file("Documents/mine.txt", b"kept")
    kept.save()
    kept.close()
    again = start_demo(auto_approve_after=0.1)
    try:
        async with signed_in(again) as backend:
            assert "mine.txt" in await names(backend, "/Documents")
    finally:
        again.stop()
    fresh = start_demo(reset=True, auto_approve_after=0.1)
    try:
        async with signed_in(fresh) as backend:
            assert "mine.txt" not in await names(backend, "/Documents")
    finally:
        fresh.stop()


async def test_the_emulator_saves_and_ends_when_the_app_dies() -> None:
    session = start_demo(auto_approve_after=0.1)
    try:
        async with signed_in(session) as backend:
            await backend.mkdir("/Made before the crash")
    finally:
        # the app gone without a word (killed): its end of the pipe closes with it
        assert session.process.stdin is not None
        session.process.stdin.close()
        assert session.process.wait(60) == 0
    kept = Emulator(EmulatorConfig(flavour="business", state_dir=demo_dir() / "drive"))
    try:
        assert kept.item("Made before the crash").kind == "folder"
    finally:
        kept.close()


def test_a_broken_drive_says_why_the_demo_did_not_start() -> None:
    start_demo().stop()
    state = demo_dir() / "drive" / "state.sqlite"
    state.write_bytes(b"not a database" * 100)
    session = start_demo()
    try:
        with pytest.raises(DemoError) as caught:
            session.wait_for(SERVING)
        assert "not a database" in (caught.value.detail or "")
        assert "not a database" in str(caught.value) and "emulator.log" in str(caught.value)
    finally:
        session.stop()


def test_a_second_demo_on_the_same_drive_is_refused() -> None:
    first = start_demo()
    try:
        first.wait_for(SERVING)
        second = start_demo()
        try:
            with pytest.raises(DemoError, match="another skypane --demo is using this demo drive"):
                second.wait_for(SERVING)
        finally:
            second.stop()
        with pytest.raises(DemoError, match="quit it before starting the demo over"):
            start_demo(reset=True)
        assert (demo_dir() / "drive" / "state.sqlite").exists()
    finally:
        first.stop()
