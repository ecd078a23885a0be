from __future__ import annotations

import pytest

from core.errors import UnknownRemote
from core.paths import Location, basename, join, normalize, parent, parse_location


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("work:Documents/a.txt", Location("work", "/Documents/a.txt")),
        ("work:", Location("work", "/")),
        ("work:/", Location("work", "/")),
        ("/tmp/a:b", Location(None, "/tmp/a:b")),
        ("./a:b", Location(None, "./a:b")),
        ("plain", Location(None, "plain")),
        (":x", Location(None, ":x")),
    ],
)
def test_parse_location(text: str, expected: Location) -> None:
    assert parse_location(text) == expected


def test_unknown_remote_is_named_with_the_known_ones() -> None:
    with pytest.raises(UnknownRemote, match=r"'nope'.*work"):
        parse_location("nope:x", ["work"])


def test_path_helpers() -> None:
    assert normalize("a//b/") == "/a/b"
    assert normalize("") == "/"
    assert join("/", "a") == "/a"
    assert join("/a", "b") == "/a/b"
    assert parent("/a/b") == "/a"
    assert parent("/a") == "/"
    assert parent("/") == "/"
    assert basename("/a/b") == "b"
    assert str(Location("work", "/x/y")) == "work:x/y"
