"""Ready-made drive contents: "empty" and "sample" (a small realistic tree)."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from .model import Item

if TYPE_CHECKING:
    from .emulator import Emulator

SEEDS = ("empty", "sample")

_BASE_TIME = datetime(2024, 3, 4, 9, 30, tzinfo=UTC)


def _at(days: float) -> datetime:
    return _BASE_TIME + timedelta(days=days)


def docx(text: str) -> bytes:
    """A minimal but valid Word document holding ``text``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
            'package/2006/content-types"><Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType='
            '"application/xml"/><Override PartName="/word/document.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
        )
        archive.writestr(
            "_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
            'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
            'schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
            'Target="word/document.xml"/></Relationships>',
        )
        paragraphs = "".join(
            f"<w:p><w:r><w:t>{line}</w:t></w:r></w:p>" for line in text.splitlines()
        )
        archive.writestr(
            "word/document.xml",
            '<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.'
            'openxmlformats.org/wordprocessingml/2006/main"><w:body>'
            f"{paragraphs}</w:body></w:document>",
        )
    return buffer.getvalue()


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A valid PNG of one colour."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * width
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


def _notebook(emulator: Emulator, parent: Item, name: str) -> Item:
    store = emulator.store
    notebook = store.create_folder(parent, name, "fail", parent.drive.owner.id, package="oneNote")
    for section in ("Quick Notes.one", "Ideas.one"):
        blob = emulator.blobs.from_bytes(
            b"\xe4\x52\x5c\x7b\x8c\xd8\xa7\x4d" + section.encode() * 20,
            emulator.config.flavour == "personal",
        )
        store.write_file(notebook, section, blob, "fail", parent.drive.owner.id)
    return notebook


def apply_seed(emulator: Emulator, name: str) -> None:
    """Fill the emulator's drives with the named seed."""
    if name == "empty":
        return
    if name != "sample":
        raise ValueError(f"unknown seed {name!r}; choose one of {', '.join(SEEDS)}")
    with emulator.lock:
        _sample(emulator)


def _sample(emulator: Emulator) -> None:
    put = emulator.put_file
    put("hello.txt", b"Hello from the skypane emulator!\n", modified=_at(0))
    put("digits.txt", b"0123456789" * 100, modified=_at(1))
    put("Documents/Meeting notes.md", b"# Meeting notes\n\n* ship the emulator\n", modified=_at(2))
    put("Documents/Budget.csv", b"item,amount\nlaptop,1200\nsoftware,300\n", modified=_at(3))
    for version, text in enumerate(
        (
            "Quarterly report\nDraft",
            "Quarterly report\nSecond draft with figures",
            "Quarterly report\nFinal version\nApproved",
        ),
        start=1,
    ):
        report = put("Documents/Quarterly report.docx", docx(text), modified=_at(10 + version))
    put(
        "Documents/Projects/skypane/README.md",
        b"# skypane\n\nTwo panes, one cloud.\n",
        modified=_at(20),
    )
    put("Documents/Projects/skypane/design.txt", b"Keep the UI thin.\n" * 40, modified=_at(21))
    put("Pictures/Holiday/beach.png", png(64, 48, (30, 144, 255)), modified=_at(30))
    put("Pictures/Holiday/sunset.png", png(64, 48, (255, 120, 40)), modified=_at(31))
    pictures = emulator.item("Pictures")
    emulator.mkdir("Music")
    _notebook(emulator, emulator.mkdir("Notebooks"), "My Notebook")
    _link(emulator, report, "view")
    _link(emulator, pictures, "edit")
    _, bob_drive = emulator.add_user("Bob", "bob")
    plan = put("Team/Plan.txt", b"1. Plan\n2. Do\n3. Check\n", drive=bob_drive, modified=_at(5))
    photos = emulator.mkdir("Shared Photos", bob_drive)
    put("Shared Photos/team.png", png(32, 32, (20, 200, 90)), drive=bob_drive, modified=_at(6))
    emulator.share_with_me(plan)
    emulator.share_with_me(photos)
    if emulator.config.flavour == "business":
        for site in emulator.store.sites.values():
            if site.name == "marketing":
                library = emulator.store.drives[site.drive_ids[0]]
                put("Brand/logo.png", png(16, 16, (200, 0, 80)), drive=library, modified=_at(7))
                put("Campaign.docx", docx("Spring campaign"), drive=library, modified=_at(8))


def _link(emulator: Emulator, item: Item, kind: str) -> None:
    from .model import Permission

    scope = "anonymous" if emulator.config.flavour == "personal" else "organization"
    letter = "f" if item.children is not None else "u"
    token = f"{item.id[-6:]}{kind}".replace("!", "")
    url = (
        f"https://1drv.ms/{letter}/s!{token}"
        if emulator.config.flavour == "personal"
        else f"https://contoso-my.sharepoint.com/:{letter}:/g/personal/alice/{token}"
    )
    permission = Permission(
        id=f"LINK{len(item.permissions or []) + 1}{item.id[-4:]}".replace("!", ""),
        roles=["write"] if kind == "edit" else ["read"],
        link_type=kind,
        scope=scope,
        web_url=url,
        created_ms=emulator.clock.now_ms(),
    )
    item.permissions = [*(item.permissions or []), permission]
    emulator.store._changed(item)
