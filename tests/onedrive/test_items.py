"""Listing pages decoded by msgspec give the same entries as the dict way single items take."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from core import errors
from core.backends.onedrive.items import (
    Converter,
    DriveItem,
    decode_page,
    dict_is_shown,
    listed_is_shown,
)

HASHES = {"quickXorHash": "aCgDG9jwBgAAAAAABQAAAAAAAAA=", "sha1Hash": "E129F27C51"}
T = "2024-05-02T11:30:12"
ITEMS: list[dict[str, Any]] = [
    {
        "id": "A!1",
        "name": "doc.txt",
        "size": 5,
        "eTag": '"{E},1"',
        "webUrl": "https://x/doc.txt",
        "lastModifiedDateTime": f"{T}.5Z",
        "fileSystemInfo": {"lastModifiedDateTime": f"{T}.1234567Z"},
        "file": {"mimeType": "text/plain", "hashes": HASHES},
        "createdBy": {"user": {"displayName": "skipped by the decoder"}},
        "@microsoft.graph.downloadUrl": "https://files/x",
    },
    {"id": "A!2", "name": "Docs", "size": 2048, "folder": {"childCount": 4}, "file": None},
    {"id": "A!3", "name": "no times or hashes", "size": 1, "file": {}},
    {"id": "A!4", "name": "service time only", "lastModifiedDateTime": f"{T}Z"},
    {"id": "A!5", "name": "garbage time", "fileSystemInfo": {"lastModifiedDateTime": "soon"}},
    {"id": "A!6", "name": "Notes", "package": {"type": "oneNote"}},
    {"id": "A!7", "name": "a＊b：c", "file": {"hashes": {"sha256Hash": "ABC"}}},
    {"id": "A!8", "name": "gone", "deleted": {"state": "deleted"}, "file": {}},
    {"id": "A!9", "name": "deleted null", "deleted": None, "file": {}},
    {"name": "root", "root": {}, "folder": {}},
]


def page_body(items: list[dict[str, Any]], next_link: str | None = None) -> bytes:
    body: dict[str, Any] = {"value": items}
    if next_link:
        body["@odata.nextLink"] = next_link
    return json.dumps(body).encode()


@pytest.mark.parametrize(
    "converter", [Converter(), Converter(encoding=False), Converter(hash_type="none")]
)
@pytest.mark.parametrize("expose_onenote", [False, True])
def test_decoded_pages_give_the_entries_the_dict_way_gives(
    converter: Converter, expose_onenote: bool
) -> None:
    values, next_link = decode_page(page_body(ITEMS, "https://graph/next?$skiptoken=x"))
    assert next_link == "https://graph/next?$skiptoken=x"
    assert all(isinstance(v, DriveItem) for v in values)
    fast = [
        converter.listed(v, "/f")
        for v in values
        if isinstance(v, DriveItem) and listed_is_shown(v, expose_onenote)
    ]
    slow = [converter.entry(d, "/f") for d in ITEMS if dict_is_shown(d, expose_onenote)]
    assert fast == slow
    names = [e.name for e in fast]
    assert "gone" not in names and "deleted null" in names
    assert ("Notes" in names) is expose_onenote


def test_listed_entries_hold_what_the_item_said() -> None:
    values, _ = decode_page(page_body(ITEMS[:2]))
    doc, docs = (Converter().listed(v, "/f") for v in values if isinstance(v, DriveItem))
    # The client's time wins over the service's; 7 fractional digits are truncated to µs.
    assert doc.modified == datetime(2024, 5, 2, 11, 30, 12, 123456, tzinfo=UTC)
    assert doc.hashes == {"quickxor": HASHES["quickXorHash"], "sha1": "e129f27c51"}
    assert (doc.path, doc.size, doc.etag, doc.mime_type) == (
        "/f/doc.txt",
        5,
        '"{E},1"',
        "text/plain",
    )
    assert docs.is_dir and docs.size == 0 and not docs.hashes


def test_restricted_characters_are_decoded_on_the_fast_way_too() -> None:
    values, _ = decode_page(page_body([ITEMS[6]]))
    (entry,) = (Converter().listed(v, "/") for v in values if isinstance(v, DriveItem))
    assert entry.name == "a*b:c" and entry.path == "/a*b:c"


def test_a_page_with_an_unexpected_type_is_taken_the_dict_way() -> None:
    odd = {"id": 7, "name": "odd", "size": 3.0, "file": {"mimeType": 5, "hashes": []}}
    values, next_link = decode_page(page_body([ITEMS[0], odd]))
    assert next_link is None and all(isinstance(v, dict) for v in values)
    entries = [Converter().entry(v, "/") for v in values if isinstance(v, dict)]
    assert entries[1].size == 3 and entries[1].mime_type is None and not entries[1].hashes


@pytest.mark.parametrize("body", [b'{"value": [', b"<html>busy</html>", b"[1, 2]"])
def test_a_malformed_page_is_a_clear_error(body: bytes) -> None:
    with pytest.raises(errors.TransientError, match="malformed answer"):
        decode_page(body)


def test_a_name_that_is_no_text_is_a_clear_error() -> None:
    values, _ = decode_page(page_body([{"id": "x", "name": ["a"]}]))
    with pytest.raises(errors.TransientError, match="malformed answer"):
        [Converter().entry(v, "/") for v in values if isinstance(v, dict)]
