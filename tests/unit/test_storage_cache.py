"""The planner's and runner's per-remote answers (same storage? server-side copy?) are kept
only once they are final: a drive whose id is not known yet may still be the other's."""

from __future__ import annotations

from core.backends.local import LocalBackend
from core.transfer.planner import StorageCache


class Drive(LocalBackend):
    """A local backend that learns its storage key late, like a drive before its first
    request."""

    def __init__(self) -> None:
        super().__init__()
        self.key: str | None = None
        self.asked = 0

    def storage_key(self) -> str | None:  # type: ignore[override]
        self.asked += 1
        return self.key


def test_an_answer_is_kept_only_once_both_drives_are_known() -> None:
    a, b = Drive(), Drive()
    cache = StorageCache(lambda remote: a if remote == "a" else b)
    assert not cache.same("a", "b")  # a's drive is not known yet: no answer kept
    a.key = b.key = "drive-1"
    assert cache.same("a", "b")  # now it is, and both are the same drive
    asked = a.asked
    assert cache.same("a", "b") and a.asked == asked  # kept: not asked again
    assert cache.same("a", "a")  # one remote is one storage, whatever its key


def test_different_drives_are_remembered_as_different() -> None:
    a, b = Drive(), Drive()
    a.key, b.key = "drive-1", "drive-2"
    cache = StorageCache(lambda remote: a if remote == "a" else b)
    assert not cache.same("a", "b")
    asked = a.asked
    assert not cache.same("a", "b") and a.asked == asked
