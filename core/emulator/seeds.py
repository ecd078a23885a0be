"""Ready-made drive contents: "empty", "sample" (a small realistic tree) and "demo"
(the sample plus what ``skypane --demo`` shows off: more photos, Office files with
several versions, and a folder of 20,000 files)."""

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

SEEDS = ("empty", "sample", "demo")

#: Files in the demo seed's big folder.
DEMO_BIG_FOLDER = 20_000

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
    if name not in SEEDS:
        raise ValueError(f"unknown seed {name!r}; choose one of {', '.join(SEEDS)}")
    with emulator.lock:
        _sample(emulator)
        if name == "demo":
            _demo(emulator)


def _demo(emulator: Emulator) -> None:
    put = emulator.put_file
    colours = {
        "harbour": (20, 90, 160),
        "forest": (30, 120, 60),
        "desert": (220, 170, 90),
        "aurora": (90, 220, 170),
        "city-at-night": (40, 30, 80),
        "snow": (235, 240, 250),
    }
    for day, (name, rgb) in enumerate(colours.items()):
        put(f"Pictures/Trips/2024/{name}.png", png(160, 120, rgb), modified=_at(40 + day))
    put("Pictures/Screenshots/terminal.png", png(320, 200, (12, 12, 12)), modified=_at(47))
    drafts = (
        "Proposal\nOutline only",
        "Proposal\nOutline and budget",
        "Proposal\nBudget revised after review",
        "Proposal\nFinal, sent to the client",
    )
    for number, text in enumerate(drafts):
        put("Documents/Proposal.docx", docx(text), modified=_at(50 + number))
    for number in range(1, 4):
        rows = "".join(f"month {m},{m * 100 * number}\n" for m in range(1, 13))
        put(
            "Documents/Budget 2024.csv", f"month,amount\n{rows}".encode(), modified=_at(60 + number)
        )
    put(
        "Documents/Reading list.md",
        b"# Reading list\n\n* The Art of Unix Programming\n* Designing Data-Intensive Applications\n",
        modified=_at(64),
    )
    put("Music/playlist.m3u", b"#EXTM3U\nsong-one.mp3\nsong-two.mp3\n", modified=_at(65))
    log_line = b"2024-05-01T12:00:00Z INFO service started\n" * 12
    emulator.add_files(
        "Archive/Sensor logs", DEMO_BIG_FOLDER, content=log_line, name="reading-{:05d}.log"
    )


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
