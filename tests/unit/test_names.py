"""``refusal``: what a listed name may not become, the plain ASCII case (checked in C) and
the rest alike."""

from __future__ import annotations

import pytest

from core.names import refusal


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("report.pdf", None),
        ("a" * 255, None),
        ("a" * 256, "a name longer than 255 bytes"),
        ("é" * 127, None),  # 254 bytes in UTF-8
        ("é" * 128, "a name longer than 255 bytes"),  # 128 characters, 256 bytes
        ("tab\there", "a name holding control characters"),
        ("del\x7fhere", "a name holding control characters"),
        ("csi\x9bhere", "a name holding control characters"),
        ("photo\u202egpj.exe", "a name holding characters that reorder text"),
        ("..", "a name that is empty or a relative path marker"),
        ("a/b", "a name holding a path separator (/)"),
    ],
)
def test_refusal(name: str, reason: str | None) -> None:
    assert refusal(name, 255) == reason


def test_no_limit_means_any_length() -> None:
    assert refusal("a" * 10_000) is None
