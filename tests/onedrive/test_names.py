"""Name encoding (GRAPH.md §14.3): rclone's vectors, and losslessness for every string."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core import errors
from core.backends.onedrive import names

SPECIAL_ALPHABET = st.sampled_from(
    [
        *' .~"*/:<>?\\|\x00\x01\x1f\x7f',
        "␠",
        "␀",
        "␡",
        "␁",
        "‛",
        "～",
        "．",
        "＊",
        "＂",
        "／",
        "A",
        "4",
        "é",
        "\udcff",
        "\udc80",
    ]
)


@pytest.mark.parametrize(
    ("plain", "stored"),
    [
        (" ~x", "␠~x"),
        ("a. ", "a.␠"),
        (".hidden", ".hidden"),
        ("mid~dle", "mid~dle"),
        ("full＊width", "full‛＊width"),
        ("~tilde.txt", "～tilde.txt"),
        ("trailing dot.", "trailing dot．"),
        ("a:colon.txt", "a：colon.txt"),
        ('quote"pipe|.txt', "quote＂pipe｜.txt"),
        ("tab\tname", "tab␉name"),
        ("nul\x00", "nul␀"),
        ("del\x7f", "del␡"),
        (".", "．"),
        ("..", "．．"),
        ("．", "‛．"),
        ("‛", "‛‛"),
        ("bad\udcffbyte", "bad‛FFbyte"),
        ("plain name.txt", "plain name.txt"),
    ],
)
def test_encoding_matches_rclone(plain: str, stored: str) -> None:
    assert names.encode(plain) == stored
    assert names.decode(stored) == plain


@given(st.text())
def test_round_trip_of_any_text(text: str) -> None:
    assert names.decode(names.encode(text)) == text


@given(st.text(SPECIAL_ALPHABET, max_size=8))
def test_round_trip_of_dense_special_characters(text: str) -> None:
    assert names.decode(names.encode(text)) == text


@given(st.text(SPECIAL_ALPHABET, min_size=1, max_size=8))
def test_encoded_names_pass_onedrive_character_rules(text: str) -> None:
    stored = names.encode(text)
    assert not set(stored) & set('"*/:<>?\\|\x7f')
    assert all(ord(c) >= 0x20 for c in stored)
    assert stored == stored.strip(" ")
    assert not stored.endswith(".") and not stored.startswith("~")
    assert not any("\ud800" <= c <= "\udfff" for c in stored)


@given(st.text(SPECIAL_ALPHABET, max_size=6), st.text(SPECIAL_ALPHABET, max_size=6))
def test_distinct_names_stay_distinct(a: str, b: str) -> None:
    if a != b:
        assert names.encode(a) != names.encode(b)


def test_path_too_long_is_refused_before_any_request() -> None:
    with pytest.raises(errors.PathTooLong, match="400"):
        names.check_path("/" + "/".join(["x" * 99] * 5))
    names.check_path("/" + "/".join(["x" * 99] * 4))  # 399 characters


def test_root_folder_prefix_counts_towards_the_limit() -> None:
    with pytest.raises(errors.PathTooLong):
        names.check_path("/" + "x" * 390, prefix_length=20)


def test_file_over_250_gib_is_refused() -> None:
    with pytest.raises(errors.FileTooLarge, match="250 GiB"):
        names.check_path("/big.iso", 250 * 1024**3 + 1)
    names.check_path("/big.iso", 250 * 1024**3)


@pytest.mark.parametrize("name", ["CON", "nul", "desktop.ini", ".lock", "a_vti_b", "COM7", "LPT0"])
def test_reserved_names_are_refused(name: str) -> None:
    with pytest.raises(errors.InvalidName, match="OneDrive"):
        names.check_path(f"/dir/{name}")


def test_tilde_dollar_is_mapped_when_encoding_is_on() -> None:
    assert names.check_path("/~$lock.docx") == "～$lock.docx"
    with pytest.raises(errors.InvalidName):
        names.check_path("/~$lock.docx", encoding=False)


@pytest.mark.parametrize("name", ["a:b", "a*b", " lead", "trail ", "dot.", "tab\tx"])
def test_without_encoding_restricted_characters_are_refused(name: str) -> None:
    with pytest.raises(errors.InvalidName):
        names.check_path("/" + name, encoding=False)


def test_business_refuses_leading_tilde_without_encoding() -> None:
    names.check_path("/~x", encoding=False, business=False)
    with pytest.raises(errors.InvalidName, match="Business"):
        names.check_path("/~x", encoding=False, business=True)
