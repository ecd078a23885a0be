"""Version clean-up (core/versions_cleanup.py): policies, dry-run plans, scans and runs on the
TLS emulator in both flavours."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core import errors
from core.model import Version
from core.versions_cleanup import (
    CleanupPolicy,
    FileVersions,
    PolicyKind,
    parse_cutoff,
    plan_cleanup,
    run_cleanup,
    scan_versions,
)
from tests.onedrive.world import World, world

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def versions(*sizes: int, days_apart: int = 10) -> tuple[Version, ...]:
    """Newest first; the first is current; version i is ``i * days_apart`` days older."""
    return tuple(
        Version(f"v{i}", T0 - timedelta(days=i * days_apart), size, current=i == 0)
        for i, size in enumerate(sizes)
    )


# -- policies --------------------------------------------------------------------------------


def test_keep_newest_counts_the_current_version() -> None:
    vs = versions(10, 20, 30, 40)
    assert [v.id for v in CleanupPolicy.keep_newest(2).doomed(vs)] == ["v2", "v3"]
    assert [v.id for v in CleanupPolicy.keep_newest(1).doomed(vs)] == ["v1", "v2", "v3"]
    assert CleanupPolicy.keep_newest(9).doomed(vs) == []


def test_older_than_deletes_only_older_versions_and_never_the_current() -> None:
    vs = versions(10, 20, 30, 40)
    cut = T0 - timedelta(days=15)
    assert [v.id for v in CleanupPolicy.older_than(cut).doomed(vs)] == ["v2", "v3"]
    # Even a cut-off after the current version keeps the current one.
    assert [v.id for v in CleanupPolicy.older_than(T0 + timedelta(1)).doomed(vs)] == [
        "v1",
        "v2",
        "v3",
    ]


def test_all_but_current_and_a_file_without_older_versions() -> None:
    assert [v.id for v in CleanupPolicy.all_but_current().doomed(versions(1, 2))] == ["v1"]
    assert CleanupPolicy.all_but_current().doomed(versions(1)) == []
    assert CleanupPolicy.all_but_current().doomed(()) == []


def test_the_current_version_is_kept_even_when_listed_out_of_order() -> None:
    vs = versions(10, 20, 30)
    shuffled = (vs[2], vs[0], vs[1])
    assert [v.id for v in CleanupPolicy.keep_newest(2).doomed(shuffled)] == ["v2"]
    unflagged = tuple(Version(v.id, v.modified, v.size) for v in shuffled)
    assert [v.id for v in CleanupPolicy.all_but_current().doomed(unflagged)] == ["v1", "v2"]


def test_policies_refuse_nonsense() -> None:
    with pytest.raises(errors.ConfigError, match="at least 1"):
        CleanupPolicy.keep_newest(0)
    with pytest.raises(errors.ConfigError, match="needs a date"):
        CleanupPolicy(PolicyKind.OLDER_THAN)
    with pytest.raises(errors.ConfigError, match="time zone"):
        CleanupPolicy.older_than(datetime(2025, 1, 1))


def test_parse_cutoff_reads_ages_and_dates() -> None:
    now = datetime(2025, 6, 15, 12, tzinfo=UTC)
    assert parse_cutoff("90d", now) == now - timedelta(days=90)
    assert parse_cutoff("2w", now) == now - timedelta(days=14)
    assert parse_cutoff("1y", now) == now - timedelta(days=365)
    assert parse_cutoff("2025-01-31", now) == datetime(2025, 1, 31, tzinfo=UTC)
    with pytest.raises(errors.ConfigError, match="neither an age"):
        parse_cutoff("last tuesday", now)


def test_a_plan_adds_up_files_versions_and_bytes() -> None:
    files = [
        FileVersions("/a", versions(100, 200, 300)),
        FileVersions("/b", versions(5)),
        FileVersions("/c", versions(1, 2)),
    ]
    plan = plan_cleanup(files, CleanupPolicy.all_but_current())
    assert [f.path for f in plan.files] == ["/a", "/c"]
    assert (plan.file_count, plan.version_count, plan.bytes, plan.scanned_files) == (2, 3, 502, 3)
    assert plan.files[0].kept == 1


# -- on the emulator -------------------------------------------------------------------------


@pytest.fixture
async def business(request: pytest.FixtureRequest) -> AsyncIterator[World]:
    async with world(request.config, "business") as w:
        yield w


@pytest.fixture
async def personal(request: pytest.FixtureRequest) -> AsyncIterator[World]:
    async with world(request.config, "personal") as w:
        yield w


def seed(w: World) -> None:
    """a.txt with 3 versions, sub/b.txt with 2, sub/deeper/c.txt with 1."""
    em = w.emulator
    for i, text in enumerate((b"one", b"two!", b"three")):
        em.put_file(f"{w.root}/a.txt", text, modified=T0 + timedelta(days=i))
    for i, text in enumerate((b"bb", b"bbbb")):
        em.put_file(f"{w.root}/sub/b.txt", text, modified=T0 + timedelta(days=i))
    em.put_file(f"{w.root}/sub/deeper/c.txt", b"c", modified=T0)


async def test_scan_finds_every_file_below_the_folder_with_its_versions(business: World) -> None:
    seed(business)
    seen: list[int] = []
    result = await scan_versions(
        business.backend, business.root, on_progress=lambda p: seen.append(p.files)
    )
    rel = [f.path.removeprefix(business.root) for f in result.files]
    assert rel == ["/a.txt", "/sub/b.txt", "/sub/deeper/c.txt"]
    assert [len(f.versions) for f in result.files] == [3, 2, 1]
    assert result.folders == 3 and result.version_count == 6
    assert result.older_bytes == len(b"one") + len(b"two!") + len(b"bb")
    assert seen and seen[-1] == 3 and not result.errors and not result.cancelled


async def test_scan_of_a_single_file(business: World) -> None:
    seed(business)
    result = await scan_versions(business.backend, f"{business.root}/a.txt")
    assert [len(f.versions) for f in result.files] == [3] and result.folders == 0


async def test_scan_reports_a_missing_root_as_an_error(business: World) -> None:
    result = await scan_versions(business.backend, f"{business.root}/nope")
    assert result.files == () and "not found" in result.errors[0].message


async def test_cancelled_scan_returns_what_it_found(business: World) -> None:
    seed(business)
    cancel = asyncio.Event()
    cancel.set()
    result = await scan_versions(business.backend, business.root, cancel=cancel)
    assert result.cancelled and result.files == ()


async def test_run_deletes_the_planned_versions_and_reports_bytes(business: World) -> None:
    seed(business)
    backend = business.backend
    scan = await scan_versions(backend, business.root)
    plan = plan_cleanup(scan.files, CleanupPolicy.keep_newest(2))
    assert plan.version_count == 1  # only a.txt's oldest goes
    progress: list[int] = []
    result = await run_cleanup(backend, plan, on_progress=lambda p: progress.append(p.done))
    assert (result.deleted, result.bytes_reclaimed, result.failures) == (1, 3, ())
    left = await backend.list_versions(f"{business.root}/a.txt")
    assert [v.size for v in left] == [5, 4]
    assert progress[-1] == 1
    again = plan_cleanup((await scan_versions(backend, business.root)).files, plan.policy)
    assert again.version_count == 0


async def test_a_version_gone_meanwhile_is_not_a_failure(business: World) -> None:
    seed(business)
    backend = business.backend
    plan = plan_cleanup(
        (await scan_versions(backend, business.root)).files, CleanupPolicy.all_but_current()
    )
    first = plan.files[0]
    await backend.delete_version(first.path, first.delete[-1].id)
    result = await run_cleanup(backend, plan)
    assert result.vanished == 1 and result.failures == ()
    assert result.deleted == plan.version_count - 1


async def test_personal_refuses_before_deleting_anything(personal: World) -> None:
    seed(personal)
    backend = personal.backend
    plan = plan_cleanup(
        (await scan_versions(backend, personal.root)).files, CleanupPolicy.all_but_current()
    )
    assert plan.version_count == 3  # the dry run still works on Personal
    with pytest.raises(errors.Unsupported, match="does not allow deleting versions"):
        await run_cleanup(backend, plan)
    assert len(await backend.list_versions(f"{personal.root}/a.txt")) == 3


def test_parse_expiry_reads_ages_and_whole_days_and_refuses_the_past() -> None:
    from core.when import parse_expiry

    now = datetime(2025, 6, 15, 12, tzinfo=UTC)
    assert parse_expiry("7d", now) == now + timedelta(days=7)
    assert parse_expiry("12h", now) == now + timedelta(hours=12)
    assert parse_expiry("2025-07-01", now) == datetime(2025, 7, 1, 23, 59, 59, tzinfo=UTC)
    with pytest.raises(errors.ConfigError, match="not in the future"):
        parse_expiry("2025-01-01", now)
    with pytest.raises(errors.ConfigError, match="neither an age"):
        parse_expiry("soon", now)


def test_a_saved_version_is_named_after_the_file_and_the_version() -> None:
    from core.versions_cleanup import version_file_name

    v = Version("3.0", datetime(2025, 5, 1, tzinfo=UTC), 3)
    assert version_file_name("report.docx", v) == "report (version 3.0, 2025-05-01).docx"
    assert version_file_name(".bashrc", Version("1/2", None, 1)) == ".bashrc (version 1-2)"


async def test_save_version_writes_an_old_version_to_another_backend_without_overwriting(
    business: World, tmp_path: Any
) -> None:
    from core.backends.local import LocalBackend
    from core.versions_cleanup import free_path, save_version

    seed(business)
    path = f"{business.root}/a.txt"
    oldest = (await business.backend.list_versions(path))[-1]
    local = LocalBackend()
    (tmp_path / "a.txt").write_bytes(b"taken")
    target = await free_path(local, str(tmp_path), "a.txt")
    assert target == f"{tmp_path}/a 2.txt"
    entry = await save_version(business.backend, path, oldest, local, target)
    assert (tmp_path / "a 2.txt").read_bytes() == b"one" and entry.size == 3
    assert entry.modified is not None and entry.modified.date() == T0.date()
