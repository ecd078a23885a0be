"""One behaviour per test, the same for every backend (see backends.py for the list)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from core import errors
from core.backend import (
    Backend,
    ServerSideCopy,
    Trash,
    WriteRequest,
)
from core.hashing import quickxor_of
from core.model import QUICKXOR, Entry
from core.paths import join
from tests.backend_io import listing, read_all


def source_of(data: bytes, piece: int = 64 * 1024):
    async def open_at(offset: int) -> AsyncIterator[bytes]:
        for start in range(offset, len(data), piece):
            yield data[start : start + piece]

    return open_at


async def put(backend: Backend, path: str, data: bytes, **kw) -> Entry:
    return await backend.write(path, source_of(data), WriteRequest(size=len(data), **kw))


async def test_written_file_reads_back_identically(env):
    backend, root = env
    data = os.urandom(300_000)
    entry = await put(backend, join(root, "data.bin"), data)
    assert entry.size == len(data)
    assert await read_all(backend, join(root, "data.bin")) == data


async def test_write_returns_quickxor_of_content_when_backend_hashes(env):
    backend, root = env
    data = b"0123456789" * 100
    entry = await put(backend, join(root, "digits.txt"), data)
    if QUICKXOR in entry.hashes:
        assert entry.hashes[QUICKXOR] == quickxor_of(data)


async def test_empty_file_round_trip(env):
    backend, root = env
    entry = await put(backend, join(root, "empty"), b"")
    assert entry.size == 0 and not entry.is_dir
    assert await read_all(backend, join(root, "empty")) == b""


async def test_multi_megabyte_file_round_trip(env):
    backend, root = env
    data = os.urandom(5 * 1024 * 1024 + 123)
    await put(backend, join(root, "big.bin"), data)
    assert await read_all(backend, join(root, "big.bin")) == data


async def test_open_read_from_offset(env):
    backend, root = env
    data = bytes(range(256)) * 100
    await put(backend, join(root, "r.bin"), data)
    assert await read_all(backend, join(root, "r.bin"), offset=1000) == data[1000:]


async def test_overwrite_replaces_content(env):
    backend, root = env
    path = join(root, "f.txt")
    await put(backend, path, b"first version")
    await put(backend, path, b"second")
    assert await read_all(backend, path) == b"second"
    assert (await backend.stat(path)).size == 6


async def test_short_source_is_an_integrity_error(env):
    backend, root = env

    async def short(offset: int) -> AsyncIterator[bytes]:
        yield b"abc"

    with pytest.raises(errors.IntegrityError):
        await backend.write(join(root, "short"), short, WriteRequest(size=10))


async def test_wrong_expected_hash_is_an_integrity_error(env):
    backend, root = env
    with pytest.raises(errors.IntegrityError):
        await put(
            backend,
            join(root, "h.txt"),
            b"hello",
            expected_hashes={QUICKXOR: quickxor_of(b"other")},
        )


async def test_listing_shows_files_and_folders_with_sizes(env):
    backend, root = env
    await backend.mkdir(join(root, "sub"))
    await put(backend, join(root, "a.txt"), b"12345")
    entries = await listing(backend, root)
    assert set(entries) == {"sub", "a.txt"}
    assert entries["sub"].is_dir
    assert not entries["a.txt"].is_dir and entries["a.txt"].size == 5
    assert entries["a.txt"].path == join(root, "a.txt")
    assert entries["a.txt"].modified is not None


async def test_listing_a_missing_folder_is_not_found(env):
    backend, root = env
    with pytest.raises(errors.NotFound):
        await listing(backend, join(root, "missing"))


async def test_stat_missing_is_not_found(env):
    backend, root = env
    with pytest.raises(errors.NotFound):
        await backend.stat(join(root, "nope.txt"))


async def test_mkdir_existing_is_already_exists(env):
    backend, root = env
    await backend.mkdir(join(root, "d"))
    with pytest.raises(errors.AlreadyExists):
        await backend.mkdir(join(root, "d"))


async def test_mkdir_parents_creates_the_chain(env):
    backend, root = env
    entry = await backend.mkdir(join(root, "a/b/c"), parents=True)
    assert entry.is_dir
    assert (await backend.stat(join(root, "a/b"))).is_dir
    await backend.mkdir(join(root, "a/b/c"), parents=True)  # idempotent


async def test_move_renames_and_keeps_content(env):
    backend, root = env
    await put(backend, join(root, "old.txt"), b"content")
    await backend.mkdir(join(root, "dest"))
    moved = await backend.move(join(root, "old.txt"), join(root, "dest/new.txt"))
    assert moved.name == "new.txt"
    assert await read_all(backend, join(root, "dest/new.txt")) == b"content"
    with pytest.raises(errors.NotFound):
        await backend.stat(join(root, "old.txt"))


async def test_move_onto_existing_is_refused(env):
    backend, root = env
    await put(backend, join(root, "a"), b"a")
    await put(backend, join(root, "b"), b"b")
    with pytest.raises(errors.AlreadyExists):
        await backend.move(join(root, "a"), join(root, "b"))
    assert await read_all(backend, join(root, "b")) == b"b"


async def test_remove_file(env):
    backend, root = env
    await put(backend, join(root, "x"), b"x")
    await backend.remove(join(root, "x"))
    with pytest.raises(errors.NotFound):
        await backend.stat(join(root, "x"))


async def test_remove_non_empty_folder_needs_recursive(env):
    backend, root = env
    await backend.mkdir(join(root, "d"))
    await put(backend, join(root, "d/f"), b"f")
    with pytest.raises(errors.DirectoryNotEmpty):
        await backend.remove(join(root, "d"))
    await backend.remove(join(root, "d"), recursive=True)
    with pytest.raises(errors.NotFound):
        await backend.stat(join(root, "d"))


async def test_write_keeps_modification_time(env):
    backend, root = env
    when = datetime(2021, 3, 4, 5, 6, 7, tzinfo=UTC)
    await put(backend, join(root, "t.txt"), b"t", modified=when)
    entry = await backend.stat(join(root, "t.txt"))
    assert entry.modified is not None
    precision = max(backend.capabilities.mtime_precision, 1e-6)
    assert abs(entry.modified - when) <= timedelta(seconds=precision)


async def test_set_modified(env):
    backend, root = env
    await put(backend, join(root, "m.txt"), b"m")
    when = datetime(2019, 12, 31, 23, 59, 58, tzinfo=UTC)
    await backend.set_modified(join(root, "m.txt"), when)
    entry = await backend.stat(join(root, "m.txt"))
    assert entry.modified is not None
    assert abs(entry.modified - when) <= timedelta(
        seconds=max(backend.capabilities.mtime_precision, 1e-6)
    )


NAMES = [
    "plain.txt",
    "with space.txt",
    "ünïcödé-名前.txt",
    "emoji 🚀.txt",
    "a:colon.txt",
    "star*question?.txt",
    " leading space.txt",
    "trailing dot.",
    'quote"pipe|.txt',
    "back\\slash.txt",
    "~tilde.txt",
    "percent%20hash#.txt",
    "tab\tname.txt",
]


@pytest.mark.parametrize("name", NAMES)
async def test_hostile_names_round_trip_or_are_refused_clearly(env, name):
    backend, root = env
    path = join(root, name)
    try:
        backend.check_path(path, 1)
    except (errors.InvalidName, errors.PathTooLong) as exc:
        assert str(exc)  # refused before any transfer, with a message
        return
    await put(backend, path, b"n")
    entries = await listing(backend, root)
    assert name in entries
    assert await read_all(backend, entries[name].path) == b"n"


async def test_open_read_on_a_folder_is_refused(env):
    backend, root = env
    await backend.mkdir(join(root, "d"))
    with pytest.raises(errors.IsADirectory):
        await read_all(backend, join(root, "d"))


async def test_case_insensitive_backends_treat_case_variants_as_one(env):
    backend, root = env
    await put(backend, join(root, "Case.txt"), b"one")
    if backend.capabilities.case_insensitive:
        await put(backend, join(root, "case.txt"), b"two")
        assert len(await listing(backend, root)) == 1
    else:
        await put(backend, join(root, "case.txt"), b"two")
        assert len(await listing(backend, root)) == 2


async def test_trash_removes_from_listing(env):
    backend, root = env
    if not isinstance(backend, Trash):
        pytest.skip("backend has no trash")
    await put(backend, join(root, "t"), b"t")
    await backend.trash(join(root, "t"))
    assert "t" not in await listing(backend, root)


async def test_server_side_copy_duplicates_content(env):
    backend, root = env
    if not isinstance(backend, ServerSideCopy):
        pytest.skip("backend has no server-side copy")
    await put(backend, join(root, "src"), b"copy me")
    copied = await backend.copy(join(root, "src"), join(root, "dst"))
    assert copied.name == "dst"
    assert await read_all(backend, join(root, "dst")) == b"copy me"
    assert await read_all(backend, join(root, "src")) == b"copy me"


async def test_many_entries_list_completely(env):
    backend, root = env
    await backend.mkdir(join(root, "many"))
    for i in range(30):
        await put(backend, join(root, f"many/f{i:03}"), b"")
    assert len(await listing(backend, join(root, "many"))) == 30
