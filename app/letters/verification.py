"""Verification codes and the canonical JSON of a letter's facts (pure: no database, no web
framework).

A letter carries a verification code (printed, in the PDF's title, in the QR code's verify URL and
in its embedded facts). The facts are embedded in the signed PDF as canonical JSON (sorted keys, no
whitespace, UTF-8), so the same facts always give the same bytes. The signature itself is the PDF's
PAdES signature (`app.signing.pdf`); `imwu-letter-facts.json` inside it is what was certified.
"""

import hashlib
import json
import re
import secrets
from collections.abc import Mapping

# 32 symbols without 0/O and 1/I: 12 symbols carry 60 bits.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12
CODE_GROUP = 4
_CODE_SEPARATORS = re.compile(r"[\s\-]+")


def new_verification_code() -> str:
    """A random code such as "K7QM-2ZXP-HD4W" (`secrets`, 60 bits)."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return _group(raw)


def _group(raw: str) -> str:
    return "-".join(raw[i : i + CODE_GROUP] for i in range(0, len(raw), CODE_GROUP))


def normalize_code(text: str) -> str | None:
    """The canonical "XXXX-XXXX-XXXX" form of a typed code (any case, dashes or spaces optional),
    or None when it cannot be a code."""
    raw = _CODE_SEPARATORS.sub("", text).upper()
    if len(raw) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in raw):
        return None
    return _group(raw)


def _plain(value: object) -> object:
    """json.dumps `default`: any Mapping as a dict; everything else unknown is an error."""
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"not JSON-serialisable in signed facts: {type(value).__name__}")


def canonical_json(facts: Mapping[str, object]) -> bytes:
    """Sorted keys, no whitespace, UTF-8 without escapes; NaN and infinities are refused."""
    text = json.dumps(
        dict(facts),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
        default=_plain,
    )
    return text.encode("utf-8")


def pdf_sha256(pdf: bytes) -> str:
    """The hex SHA-256 of the letter's PDF bytes (what `GET /letters/verify/{code}` shows)."""
    return hashlib.sha256(pdf).hexdigest()
