"""The main screen's parts work without the screen: the backend pool is plain Python."""

from __future__ import annotations

from pathlib import Path

from core.backend import BackendContext
from core.backends.local import LocalBackend
from core.config import RemoteConfig, load_config
from tui.screens.backends import BackendPool


def pool_with_remote(tmp_path: Path) -> BackendPool:
    config = load_config(tmp_path / "config.toml")
    config.set_remote(RemoteConfig("disk", "local", {"root": "/"}))
    return BackendPool(config, BackendContext())


def test_both_panes_and_the_transfers_share_one_backend_per_remote(tmp_path: Path) -> None:
    pool = pool_with_remote(tmp_path)
    assert pool.backend_for(None) is pool.backend_for("local")  # the local disk, once
    disk = pool.backend_for("disk")
    assert disk is pool.backend_for("disk") and disk is not pool.backend_for(None)
    assert set(pool.open) == {None, "disk"}


def test_a_drive_opened_in_a_thread_loses_to_one_opened_meanwhile(tmp_path: Path) -> None:
    pool = pool_with_remote(tmp_path)
    detached = pool.open_detached("disk")
    assert detached is not None and "disk" not in pool.open  # opened, not kept yet
    kept = pool.backend_for("disk")  # the user got there first
    assert pool.adopt("disk", detached) is detached  # the late one is handed back to close
    assert pool.open["disk"] is kept
    fresh = LocalBackend("other")
    assert pool.adopt("other", fresh) is None and pool.open["other"] is fresh


def test_a_remote_that_cannot_open_is_reported_later_not_in_the_thread(tmp_path: Path) -> None:
    pool = pool_with_remote(tmp_path)
    assert pool.open_detached("nowhere") is None


def test_changed_remotes_are_forgotten_and_handed_back_to_close(tmp_path: Path) -> None:
    pool = pool_with_remote(tmp_path)
    disk = pool.backend_for("disk")
    pool.backend_for(None)
    assert pool.forget(["disk", "never-opened"]) == [disk]
    assert set(pool.open) == {None}
