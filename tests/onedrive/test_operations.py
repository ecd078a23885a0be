"""mkdir, delete, trash, move, copy, mtime, quota and no_versions on the TLS emulator."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core import errors
from core.backend import WriteRequest
from core.paths import join
from tests.onedrive.helpers import listing, read_all, source_of
from tests.onedrive.world import World

WHEN = datetime(2018, 7, 6, 5, 4, 3, tzinfo=UTC)


async def put(w: World, name: str, data: bytes, **kw) -> str:
    path = join(w.root, name)
    await w.backend.write(path, source_of(data), WriteRequest(len(data), **kw))
    return path


async def test_mkdir_under_a_missing_parent_needs_parents(od: World) -> None:
    with pytest.raises(errors.NotFound):
        await od.backend.mkdir(join(od.root, "x/y"))
    entry = await od.backend.mkdir(join(od.root, "x/y"), parents=True)
    assert entry.is_dir and entry.path == join(od.root, "x/y")


async def test_mkdir_over_a_file_is_already_exists_even_with_parents(od: World) -> None:
    path = await put(od, "f", b"f")
    with pytest.raises(errors.AlreadyExists):
        await od.backend.mkdir(path, parents=True)


async def test_trash_goes_to_the_recycle_bin_and_remove_does_not(od: World) -> None:
    trashed = await put(od, "t", b"t")
    removed = await put(od, "r", b"r")
    t_item = od.emulator.item(trashed.strip("/"))
    r_item = od.emulator.item(removed.strip("/"))
    await od.backend.trash(trashed)
    await od.backend.remove(removed)
    assert t_item.trashed and t_item.id in od.emulator.drive.items
    assert r_item.id not in od.emulator.drive.items
    assert od.transport.sent("POST", "permanentDelete") and od.transport.sent("DELETE", t_item.id)


async def test_hard_delete_makes_trash_permanent(od: World) -> None:
    backend = await od.reopen(hard_delete=True)
    path = await put(od, "h", b"h")
    item = od.emulator.item(path.strip("/"))
    await backend.trash(path)
    assert item.id not in od.emulator.drive.items


async def test_root_is_never_deleted(od: World) -> None:
    with pytest.raises(errors.PermissionDenied):
        await od.backend.remove("/", recursive=True)


async def test_move_keeps_file_system_times(od: World) -> None:
    path = await put(od, "m.txt", b"m", modified=WHEN)
    await od.backend.mkdir(join(od.root, "sub"))
    moved = await od.backend.move(path, join(od.root, "sub/renamed.txt"))
    assert moved.modified == WHEN and moved.path == join(od.root, "sub/renamed.txt")
    patch = od.transport.sent("PATCH", moved.id or "")[-1]
    assert b"fileSystemInfo" in patch.content and b"parentReference" in patch.content


async def test_case_only_rename_is_allowed(od: World) -> None:
    path = await put(od, "case.txt", b"c")
    moved = await od.backend.move(path, join(od.root, "CASE.txt"))
    assert moved.name == "CASE.txt"
    assert set(await listing(od.backend, od.root)) == {"CASE.txt"}


async def test_copy_polls_the_monitor_without_bearer_and_keeps_mtime(od: World) -> None:
    path = await put(od, "src.txt", b"copy me", modified=WHEN)
    copied = await od.backend.copy(path, join(od.root, "dst.txt"))
    assert copied.modified == WHEN and copied.size == 7
    polls = od.transport.sent("GET", "/monitor/")
    assert polls and all("Authorization" not in p.headers for p in polls)
    assert await read_all(od.backend, copied.path) == b"copy me"


async def test_copy_onto_an_existing_name_is_refused(od: World) -> None:
    a = await put(od, "a", b"a")
    await put(od, "b", b"b")
    with pytest.raises(errors.AlreadyExists):
        await od.backend.copy(a, join(od.root, "b"))


async def test_copy_of_a_folder(od: World) -> None:
    await od.backend.mkdir(join(od.root, "tree/inner"), parents=True)
    await put(od, "tree/inner/leaf", b"leaf")
    copied = await od.backend.copy(join(od.root, "tree"), join(od.root, "tree2"))
    assert copied.is_dir
    assert await read_all(od.backend, join(od.root, "tree2/inner/leaf")) == b"leaf"


async def test_set_modified(od: World) -> None:
    path = await put(od, "s", b"s")
    entry = await od.backend.set_modified(path, WHEN)
    assert entry.modified == WHEN and (await od.backend.stat(path)).modified == WHEN


async def test_about_reports_quota(od: World) -> None:
    quota = await od.backend.about()
    assert quota.total and quota.used is not None and quota.free


async def test_no_versions_keeps_only_the_current_version_on_business(od: World) -> None:
    backend = await od.reopen(no_versions=True)
    path = join(od.root, "v.txt")
    for text in (b"one", b"two", b"three"):
        await backend.write(path, source_of(text), WriteRequest(len(text), modified=WHEN))
    await backend.set_modified(path, datetime(2019, 1, 1, tzinfo=UTC))
    versions = await backend.list_versions(path)
    if od.flavour == "business":
        assert len(versions) == 1 and versions[0].current
    else:  # Personal can't delete versions: the option does nothing there
        assert len(versions) == 3
    assert await read_all(backend, path) == b"three"


async def test_root_folder_id_starts_the_remote_below_the_drive_root(od: World) -> None:
    await od.backend.mkdir(join(od.root, "base"))
    await put(od, "base/inside.txt", b"in")
    folder_id = od.emulator.item(join(od.root, "base").strip("/")).id
    backend = await od.reopen(root_folder_id=folder_id)
    assert set(await listing(backend, "/")) == {"inside.txt"}
    await backend.write("/new.txt", source_of(b"n"), WriteRequest(1))
    assert od.emulator.read(join(od.root, "base/new.txt").strip("/")) == b"n"
    # The drive path of a name is "t-…/base/name": the root folder's part counts too.
    longest = 400 - len(join(od.root, "base").strip("/") + "/")
    backend.check_path("/" + "x" * longest)
    with pytest.raises(errors.PathTooLong):
        backend.check_path("/" + "x" * (longest + 1))
