"""Demo mode's core: a seeded TLS emulator, a private config, real device-code sign-in."""

from __future__ import annotations

import os
from pathlib import Path

from core.backend import BackendContext
from core.backends.onedrive.auth import SignedIn, remote_auth
from core.config import load_config
from core.demo import REMOTE, start_demo
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
        secrets = MemorySecrets()
        auth = remote_auth(REMOTE, session.remote.options, secrets)
        flow = auth.start_device_flow()
        assert flow.user_code and flow.verification_uri.startswith("https://127.0.0.1:")
        outcome = await flow.wait()
        assert isinstance(outcome, SignedIn)
        backend = open_backend(REMOTE, session.config, BackendContext(secrets=secrets))
        try:
            top = await names(backend, "/")
            assert {"Documents", "Pictures", "Archive", "Notebooks"} <= set(top)
            assert len(await names(backend, "/Archive/Sensor logs")) == DEMO_BIG_FOLDER
            versions = await backend.list_versions("/Documents/Proposal.docx")  # type: ignore[attr-defined]
            assert len(versions) >= 4
        finally:
            await backend.close()
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


def test_demo_drive_is_kept_between_runs_and_reset_starts_over() -> None:
    session = start_demo()
    session.emulator.put_file("Documents/mine.txt", b"kept")
    session.emulator.save()
    session.stop()
    again = start_demo()
    try:
        assert again.emulator.read("Documents/mine.txt") == b"kept"
    finally:
        again.stop()
    fresh = start_demo(reset=True)
    try:
        assert "mine.txt" not in {c for c in fresh.emulator.item("Documents").children or {}}
    finally:
        fresh.stop()
