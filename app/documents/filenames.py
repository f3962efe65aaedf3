"""Display names for uploaded files, and the header that offers them back for download.

Uploads are stored under generated ids, never under the name the client sent, so the name is only
ever shown: to a reviewer in a list, and in ``Content-Disposition`` on download. Clients send names
such as ``../../etc/passwd``, ``a.pdf\\x00.exe`` or ``\\u202egpj.exe`` (shown as ``exe.jpg`` by a
right-to-left override); cleaning keeps what a person would recognise and drops what could mislead
a reviewer, a browser or a Windows machine that saves the download.
"""

import re
import unicodedata
from urllib.parse import quote

FALLBACK_NAME = "document"
MAX_NAME_BYTES = 255
"""The common file-system limit (ext4, NTFS, APFS) on one path component, in UTF-8 bytes."""

_MAX_EXTENSION_BYTES = 16
"""Longer "extensions" are just a dot inside a long name, not worth keeping at the stem's cost."""

_REMOVED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Zl", "Zp"})
"""Controls (NUL, CR, LF, DEL), format characters (bidi overrides and isolates, U+200E/F, U+061C,
zero-width characters, BOM), lone surrogates (not encodable), private use and line/paragraph
separators: none of them is visible, and each can hide or reorder what a reviewer reads."""

_WINDOWS_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL"}
    | {
        f"{port}{n}"
        for port in ("COM", "LPT")
        for n in [*"123456789", "\u00b9", "\u00b2", "\u00b3"]
    }
)
"""Device names Windows opens instead of a file, whatever the extension (``CON.pdf``);
superscript digits count as digits there too."""

_PATH_SEPARATORS = re.compile(r"[/\\]")
_EDGE_JUNK = re.compile(r"^[\s.]+|[\s.]+$")

# RFC 8187 attr-char, minus ALPHA / DIGIT which quote() always keeps.
_ATTR_CHAR_PUNCTUATION = "!#$&+-.^_`|~"


def clean_display_name(name: str | None) -> str:
    """The client's file name made safe to show and to offer as a download name.

    Keeps the last path component only, drops invisible and reordering characters, normalises to
    NFC (so the same name typed on macOS and Windows compares equal), trims dots and spaces at the
    ends (Windows drops them, and a leading dot hides a file), defuses Windows device names and fits
    the result in 255 UTF-8 bytes, keeping the extension. Never empty.
    """
    if not name:
        return FALLBACK_NAME
    last = _PATH_SEPARATORS.split(name)[-1]
    visible = "".join(ch for ch in last if unicodedata.category(ch) not in _REMOVED_CATEGORIES)
    cleaned = _EDGE_JUNK.sub("", unicodedata.normalize("NFC", visible))
    if not cleaned:
        return FALLBACK_NAME
    if cleaned.split(".", 1)[0].rstrip(" ").upper() in _WINDOWS_RESERVED:
        cleaned = "_" + cleaned
    return _fit_bytes(cleaned, MAX_NAME_BYTES)


_EXTENSIONS = {
    "application/pdf": (".pdf",),
    "image/jpeg": (".jpg", ".jpeg"),
    "image/png": (".png",),
}


def display_name_for(name: str | None, media_type: str) -> str:
    """The cleaned name, ending in the extension of the type the content was found to be.

    `offer.pdf\x00.exe` cleans to `offer.pdf.exe`; a PDF must not be offered for download under a
    name a desktop would open as a program, so the right extension is appended."""
    cleaned = clean_display_name(name)
    extensions = _EXTENSIONS.get(media_type, ())
    if not extensions or cleaned.lower().endswith(extensions):
        return cleaned
    suffix = extensions[0]
    return _fit_bytes(cleaned, MAX_NAME_BYTES - len(suffix)) + suffix


def _fit_bytes(name: str, limit: int) -> str:
    """`name` cut to `limit` UTF-8 bytes at a character boundary, keeping a short extension."""
    if len(name.encode("utf-8")) <= limit:
        return name
    stem, dot, extension = name.rpartition(".")
    suffix = dot + extension
    if not stem or len(suffix.encode("utf-8")) > _MAX_EXTENSION_BYTES:
        stem, suffix = name, ""
    budget = limit - len(suffix.encode("utf-8"))
    # errors="ignore" drops the partial character a byte cut may leave at the end.
    short_stem = stem.encode("utf-8")[:budget].decode("utf-8", errors="ignore")
    short_stem = _EDGE_JUNK.sub("", short_stem) or FALLBACK_NAME
    return short_stem + suffix


def content_disposition(name: str) -> str:
    """An RFC 6266 ``attachment`` header value offering `name` for download.

    ``filename`` carries an ASCII approximation for old clients; ``filename*`` (RFC 8187) carries
    the exact UTF-8 name, which every current browser prefers. The name is cleaned again here, so a
    CR/LF can never split the header whatever the caller passes.
    """
    display = clean_display_name(name)
    return (
        f'attachment; filename="{_ascii_fallback(display)}"; '
        f"filename*=UTF-8''{quote(display, safe=_ATTR_CHAR_PUNCTUATION)}"
    )


def _ascii_fallback(display: str) -> str:
    """`display` in printable ASCII, safe inside a quoted-string, keeping the extension.

    Accents are dropped rather than the letters (``Résumé`` becomes ``Resume``); a name with no
    ASCII left becomes ``document`` with its extension. Quotes and backslashes would end or escape
    the quoted-string, and ``%`` followed by hex digits is decoded by some user agents (RFC 6266
    section 4.3), so all three become ``_``.
    """
    stem, _, extension = display.rpartition(".")
    if not stem:
        stem, extension = display, ""
    ascii_stem = _to_ascii(stem) or FALLBACK_NAME
    ascii_extension = _to_ascii(extension)
    return f"{ascii_stem}.{ascii_extension}" if ascii_extension else ascii_stem


def _to_ascii(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_only = "".join(ch for ch in decomposed if " " <= ch <= "~")
    return _EDGE_JUNK.sub("", re.sub(r'["\\%]', "_", ascii_only))
