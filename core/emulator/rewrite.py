"""SharePoint's rewrite of Office documents stored in a document library (GRAPH.md §4, §5).

A library merges its own metadata (a document id, its columns) into the package of an Office
file as it stores it, so the stored size, hashes and eTag are not those of the bytes sent;
clients that compare them (rclone's ``--ignore-size``/``--ignore-checksum`` advice) must allow
for it. Only real Office packages (zip files) are rewritten; other bytes are stored as sent.
"""

from __future__ import annotations

import io
import posixpath
import secrets
import zipfile

from .blobs import Blob, BlobStore
from .model import Drive

_OFFICE = ".docx .docm .dotx .dotm .xlsx .xlsm .xltx .xltm .xlsb .pptx .pptm .potx .potm .ppsx"
OFFICE_EXTENSIONS = frozenset((_OFFICE + " .ppsm .vsdx .vsdm").split(" "))
#: Bigger packages are stored as sent (a rewrite reads the whole file into memory).
REWRITE_LIMIT = 64 * 1024 * 1024
_PART = "docProps/custom.xml"


def rewritten(drive: Drive, name: str, data: bytes) -> bytes | None:
    """What a library stores for ``data`` uploaded as ``name``; None when it keeps the bytes."""
    if drive.drive_type != "documentLibrary":
        return None
    if posixpath.splitext(name)[1].lower() not in OFFICE_EXTENSIONS:
        return None
    try:
        source = zipfile.ZipFile(io.BytesIO(data))
        parts = [(info, source.read(info)) for info in source.infolist()]
    except (zipfile.BadZipFile, OSError, RuntimeError, ValueError):
        return None  # not a package SharePoint could open
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info, content in parts:
            if info.filename != _PART:
                target.writestr(info, content)
        doc_id = f"SKYP-{secrets.randbelow(10**9):09d}-{secrets.randbelow(10**4)}"
        target.writestr(
            _PART,
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
            'custom-properties"><property name="_dlc_DocId" pid="2" '
            'fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}">'
            f'<vt:lpwstr xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/'
            f'docPropsVTypes">{doc_id}</vt:lpwstr></property></Properties>',
        )
    return out.getvalue()


def library_blob(blobs: BlobStore, drive: Drive, name: str, blob: Blob, with_sha1: bool) -> Blob:
    """The blob a drive stores for an uploaded ``blob`` (the same one unless it rewrites it).

    A replaced blob is dropped when nothing else holds it."""
    if blob.size > REWRITE_LIMIT:
        return blob
    changed = rewritten(drive, name, blob.read())
    if changed is None:
        return blob
    stored = blobs.from_bytes(changed, with_sha1)
    blobs.drop_if_unused(blob)
    return stored
