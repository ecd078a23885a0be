"""Generic code finds a backend's throttle state, resumable-write clean-up and class-level
surface through protocols in ``core.backend``, never by reading attributes by name: a backend
that lacks a capability is treated as lacking it, whatever else it happens to carry."""

from __future__ import annotations

import types
from importlib.metadata import EntryPoint
from pathlib import Path

import httpx
import pytest

from core import errors, registry
from core.backend import (
    Backend,
    BackendType,
    DiscardableWrite,
    Throttling,
    WriteRequest,
    throttled_seconds,
)
from core.backends.local import PART_SUFFIX, LocalBackend
from core.backends.onedrive.backend import OneDriveBackend
from core.backends.onedrive.http import make_http_client
from core.backends.onedrive.pacer import Pacer
from core.backends.sftp.backend import SftpBackend
from core.config import load_config
from core.remotes import open_backend
from core.transfer.model import Item, ItemKind
from core.transfer.runner import discard_resume


class StaticTokens:
    async def access_token(self, *, force_refresh: bool = False) -> str:
        return "token"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def onedrive(pacer: Pacer) -> OneDriveBackend:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"no request expected, got {request.method} {request.url}")

    options = {"client_id": "x", "drive_id": "d1", "drive_type": "business"}
    http = make_http_client(transport=httpx.MockTransport(refuse))
    return OneDriveBackend("t", options, StaticTokens(), http=http, pacer=pacer)


class PartLeavingBackend:
    """Checkpoints a part file as local does, but cannot discard it: a write it gave up
    on is left alone (the old generic code guessed at the ``part`` key and removed it)."""

    def __init__(self) -> None:
        self.removed: list[str] = []

    async def remove(self, path: str, *, recursive: bool = False) -> None:
        self.removed.append(path)


def item_resuming(state: dict[str, str], dst: str = "/d/f") -> Item:
    return Item(
        seq=1,
        kind=ItemKind.FILE,
        src_remote=None,
        src_path="/s/f",
        dst_remote=None,
        dst_path=dst,
        size=10,
        resume=state,
    )


# -- Throttling --------------------------------------------------------------------------------


def test_a_backend_without_throttling_is_never_throttled_whatever_attributes_it_has() -> None:
    pacer = Pacer(clock=Clock())
    pacer.failure(30)  # closed for 30 s, but only reachable by peeking
    peeked = types.SimpleNamespace(pacer=pacer, graph=types.SimpleNamespace(pacer=pacer))
    for backend in (LocalBackend(), peeked):
        assert not isinstance(backend, Throttling)
        assert throttled_seconds(backend) == 0.0
    assert not issubclass(SftpBackend, Throttling)


async def test_onedrive_says_how_long_its_drive_throttles() -> None:
    clock = Clock()
    backend = onedrive(Pacer(clock=clock))
    try:
        assert isinstance(backend, Throttling)
        assert throttled_seconds(backend) == 0.0
        backend.graph.pacer.failure(12)  # a 429 with Retry-After: 12
        assert throttled_seconds(backend) == pytest.approx(12.0)
        clock.now += 5
        assert throttled_seconds(backend) == pytest.approx(7.0)
        clock.now += 8
        assert throttled_seconds(backend) == 0.0
    finally:
        await backend.close()


# -- DiscardableWrite --------------------------------------------------------------------------


async def test_a_backend_that_cannot_discard_writes_keeps_its_leftover() -> None:
    backend = PartLeavingBackend()
    assert not isinstance(backend, DiscardableWrite)
    item = item_resuming({"part": f"/d/.f.12345678{PART_SUFFIX}"})
    await discard_resume(backend, item)  # type: ignore[arg-type]
    assert item.resume is None and backend.removed == []


async def test_every_backend_with_resumable_writes_can_discard_them() -> None:
    backend = onedrive(Pacer())
    try:
        assert isinstance(backend, DiscardableWrite)
    finally:
        await backend.close()
    assert isinstance(LocalBackend(), DiscardableWrite)
    assert issubclass(SftpBackend, DiscardableWrite)


async def test_local_discard_removes_its_part_file_and_nothing_else(tmp_path: Path) -> None:
    backend = LocalBackend()
    checkpoints: list[dict[str, str]] = []

    class Progress:
        def advance(self, nbytes: int) -> None:
            pass

        def checkpoint(self, state: dict[str, str]) -> None:
            checkpoints.append(dict(state))

    async def failing(offset: int):  # type: ignore[no-untyped-def]
        yield b"x" * 4
        raise OSError("source went away")

    dst = str(tmp_path / "dst.bin")
    with pytest.raises(OSError):
        await backend.write(dst, failing, WriteRequest(size=8), Progress())
    part = Path(checkpoints[-1]["part"])
    assert part.exists()
    # A journal edited by hand names files that are no part of this write: kept.
    other = tmp_path / "sub" / f".dst.bin.12345678{PART_SUFFIX}"
    other.parent.mkdir()
    other.write_bytes(b"keep")
    precious = tmp_path / "precious.txt"
    precious.write_bytes(b"keep")
    for state in ({"part": str(other)}, {"part": str(precious)}, {"part": 7}):
        await backend.discard_write(dst, state)
    assert other.exists() and precious.exists() and part.exists()
    item = item_resuming(checkpoints[-1], dst)
    await discard_resume(backend, item)
    assert item.resume is None and not part.exists()


# -- BackendType -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["local", "onedrive", "sftp"])
def test_every_registered_type_is_a_backend_class(name: str) -> None:
    cls = registry.backend_class(name)
    assert isinstance(cls, BackendType)
    assert cls.OPTIONS is not None


async def test_open_backend_opens_a_remote_through_its_class(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(f'[remotes.disk]\ntype = "local"\nroot = "{tmp_path}"\n')
    backend = open_backend("disk", load_config(path))
    assert isinstance(backend, LocalBackend) and backend.remote == "disk"
    assert isinstance(backend, Backend)


class NotABackend:
    """A plugin class with neither OPTIONS nor from_config."""


def test_a_plugin_that_is_no_backend_class_gets_a_clear_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ep = EntryPoint("odd", f"{__name__}:NotABackend", registry.GROUP)
    monkeypatch.setattr(registry, "_entry_points", lambda: {"odd": ep})
    assert not isinstance(NotABackend, BackendType)
    with pytest.raises(errors.ConfigError, match="not a skypane backend class"):
        registry.backend_class("odd")
