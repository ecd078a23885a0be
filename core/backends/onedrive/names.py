"""OneDrive names: rclone-compatible look-alike encoding and the pre-flight rules (GRAPH.md §14).

OneDrive refuses some characters (``" * : < > ? \\ |``, control characters), leading and
trailing spaces, trailing periods and leading tildes (Business). ``encode`` maps them, one
path segment at a time, to look-alike characters exactly as rclone's default OneDrive encoding
does, so a drive shared with rclone shows the same names. Where the input already contains a
look-alike in a place where it would be decoded, it is prefixed with the quote rune ``‛``, so
``decode(encode(s)) == s`` for every string.

Names that are not valid UTF-8 reach us as ``os.fsdecode`` surrogate escapes (U+DC80–U+DCFF);
each becomes ``‛`` plus two hex digits of the original byte.
"""

from __future__ import annotations

import re

from core import errors

#: Decoded path (with the file name) may not be longer than this.
MAX_PATH = 400
#: Largest file OneDrive stores.
MAX_FILE_SIZE = 250 * 1024**3

QUOTE = "\u201b"  # ‛ SINGLE HIGH-REVERSED-9 QUOTATION MARK
NUL_SYMBOL = "\u2400"  # ␀
SPACE_SYMBOL = "\u2420"  # ␠
DEL_SYMBOL = "\u2421"  # ␡
FULL_TILDE = "\uff5e"  # ～
FULL_STOP = "\uff0e"  # ．

#: Characters replaced wherever they occur, and their look-alikes.
_ANYWHERE: dict[str, str] = {c: chr(ord(c) + 0xFEE0) for c in '"*/:<>?\\|'}
_ANYWHERE["\x7f"] = DEL_SYMBOL
_ANYWHERE["\x00"] = NUL_SYMBOL
for _code in range(1, 0x20):
    _ANYWHERE[chr(_code)] = chr(0x2400 + _code)
_REVERSE: dict[str, str] = {v: k for k, v in _ANYWHERE.items()}
#: Look-alikes (and the quote itself) that must be quoted when they occur literally.
_QUOTED = frozenset(_REVERSE) | {QUOTE}
#: Everything the middle-of-name encoder treats specially.
_SPECIAL_IN = frozenset(_ANYWHERE) | _QUOTED
_HEX = frozenset("0123456789ABCDEFabcdef")

_RESERVED_NAMES = frozenset(
    {".lock", "con", "prn", "aux", "nul", "desktop.ini"}
    | {f"com{n}" for n in range(10)}
    | {f"lpt{n}" for n in range(10)}
)
_BAD_RAW = re.compile(r'[\x00-\x1f\x7f"*:<>?\\|]')


def _is_escaped_byte(ch: str) -> bool:
    return "\udc80" <= ch <= "\udcff"


#: Fast checks (listing 100,000 names should not walk each name in Python).
_NEEDS_ENCODING = re.compile("[" + re.escape("".join(sorted(_SPECIAL_IN))) + "\ud800-\udfff]")
_NEEDS_DECODING = re.compile(
    "["
    + re.escape("".join(sorted(set(_REVERSE) | {QUOTE, SPACE_SYMBOL, FULL_TILDE, FULL_STOP})))
    + "]"
)


def _encode_middle(text: str) -> str:
    if not _NEEDS_ENCODING.search(text):
        return text
    out: list[str] = []
    for ch in text:
        if ch in _ANYWHERE:
            out.append(_ANYWHERE[ch])
        elif ch in _QUOTED:
            out.append(QUOTE + ch)
        elif _is_escaped_byte(ch):
            out.append(f"{QUOTE}{ord(ch) - 0xDC00:02X}")
        elif "\ud800" <= ch <= "\udfff":
            raise errors.InvalidName(
                "name contains a lone surrogate that no filesystem produced",
                detail=repr(text),
            )
        else:
            out.append(ch)
    return "".join(out)


def encode(name: str) -> str:
    """The name to store on OneDrive for ``name`` (one path segment)."""
    if name == "":
        return ""
    specials = {".": FULL_STOP, "..": FULL_STOP * 2, FULL_STOP: QUOTE + FULL_STOP}
    if name in specials:
        return specials[name]
    if name == FULL_STOP * 2:
        return (QUOTE + FULL_STOP) * 2
    prefix = ""
    rest = name
    if rest[0] == " ":
        prefix, rest = SPACE_SYMBOL, rest[1:]
    elif rest[0] == SPACE_SYMBOL:
        prefix, rest = QUOTE + SPACE_SYMBOL, rest[1:]
    elif rest[0] == "~":
        prefix, rest = FULL_TILDE, rest[1:]
    elif rest[0] == FULL_TILDE:
        prefix, rest = QUOTE + FULL_TILDE, rest[1:]
    suffix = ""
    if rest:
        if rest[-1] == " ":
            suffix, rest = SPACE_SYMBOL, rest[:-1]
        elif rest[-1] == SPACE_SYMBOL:
            suffix, rest = QUOTE + SPACE_SYMBOL, rest[:-1]
        elif rest[-1] == ".":
            suffix, rest = FULL_STOP, rest[:-1]
        elif rest[-1] == FULL_STOP:
            suffix, rest = QUOTE + FULL_STOP, rest[:-1]
    out = prefix + _encode_middle(rest) + suffix
    if out in (FULL_STOP, FULL_STOP * 2):
        # Only "．." gets here; its plain encoding would read back as "..".
        out = QUOTE + out
    return out


def _decode_middle(text: str) -> str:
    if not _NEEDS_DECODING.search(text):
        return text
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == QUOTE and i + 1 < n:
            nxt = text[i + 1]
            if nxt in _QUOTED or nxt in (SPACE_SYMBOL, FULL_TILDE, FULL_STOP):
                out.append(nxt)
                i += 2
                continue
            pair = text[i + 1 : i + 3]
            if len(pair) == 2 and pair[0] in _HEX and pair[1] in _HEX:
                value = int(pair, 16)
                out.append(chr(0xDC00 + value) if value >= 0x80 else chr(value))
                i += 3
                continue
            out.append(ch)  # a stray quote (not written by encode): keep it
            i += 1
            continue
        out.append(_REVERSE.get(ch, ch))
        i += 1
    return "".join(out)


def _trailing_quotes(text: str) -> int:
    count = 0
    while count < len(text) and text[-1 - count] == QUOTE:
        count += 1
    return count


def decode(name: str) -> str:
    """The user's name for a name stored on OneDrive (inverse of ``encode``)."""
    if not _NEEDS_DECODING.search(name):
        return name
    specials = {
        FULL_STOP: ".",
        FULL_STOP * 2: "..",
        QUOTE + FULL_STOP: FULL_STOP,
        (QUOTE + FULL_STOP) * 2: FULL_STOP * 2,
    }
    if name in specials:
        return specials[name]
    prefix = ""
    rest = name
    if rest[:1] == SPACE_SYMBOL:
        prefix, rest = " ", rest[1:]
    elif rest[:1] == FULL_TILDE:
        prefix, rest = "~", rest[1:]
    elif rest[:2] in (QUOTE + SPACE_SYMBOL, QUOTE + FULL_TILDE):
        prefix, rest = rest[1], rest[2:]
    suffix = ""
    if rest[-1:] in (SPACE_SYMBOL, FULL_STOP):
        last = rest[-1]
        body = rest[:-1]
        # An odd run of quotes before it means the last quote belongs to this character.
        if _trailing_quotes(body) % 2 == 1:
            suffix, rest = last, body[:-1]
        else:
            suffix, rest = (" " if last == SPACE_SYMBOL else "."), body
    return prefix + _decode_middle(rest) + suffix


def encode_path(path: str) -> str:
    """Encode every segment of a POSIX path (``/`` separators stay)."""
    return "/".join(encode(part) for part in path.split("/"))


def check_name(name: str, *, encoding: bool, business: bool) -> None:
    """Raise ``InvalidName`` when OneDrive would refuse ``name`` as stored (already encoded)."""
    lowered = name.casefold()
    reason = None
    if lowered in _RESERVED_NAMES:
        reason = f"{name!r} is a reserved name on OneDrive"
    elif "_vti_" in lowered:
        reason = "OneDrive does not allow '_vti_' anywhere in a name"
    elif lowered.startswith("~$"):
        reason = "OneDrive does not allow names starting with '~$'"
    elif not encoding:
        if name in (".", ".."):
            reason = "'.' and '..' are not names"
        elif match := _BAD_RAW.search(name):
            reason = f"OneDrive does not allow the character {match.group()!r}"
        elif name != name.strip(" "):
            reason = "OneDrive does not allow leading or trailing spaces"
        elif name.endswith("."):
            reason = "OneDrive does not allow a name ending with a period"
        elif business and name.startswith("~"):
            reason = "OneDrive for Business does not allow a name starting with '~'"
        elif any("\ud800" <= ch <= "\udfff" for ch in name):
            reason = "the name is not valid UTF-8 (turn the encoding option on)"
    if reason:
        raise errors.InvalidName(reason, detail=name)


def check_path(
    path: str,
    size: int | None = None,
    *,
    encoding: bool = True,
    business: bool = False,
    prefix_length: int = 0,
) -> str:
    """Pre-flight checks for ``path`` (decoded, POSIX, relative to the remote's root).

    Returns the encoded path. ``prefix_length`` is the length of the root folder's own path
    when the remote starts below the drive root.
    """
    parts = [p for p in path.split("/") if p]
    stored = [encode(p) if encoding else p for p in parts]
    for part in stored:
        check_name(part, encoding=encoding, business=business)
    joined = "/".join(stored)
    length = len(joined) + (prefix_length + 1 if prefix_length and joined else prefix_length)
    if length > MAX_PATH:
        raise errors.PathTooLong(
            f"OneDrive paths may have at most {MAX_PATH} characters; this one has {length}",
            path=path,
        )
    if size is not None and size > MAX_FILE_SIZE:
        raise errors.FileTooLarge(
            f"OneDrive stores files up to 250 GiB; this one has {size:,} bytes", path=path
        )
    return joined
