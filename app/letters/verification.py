"""Verification codes and Ed25519 signatures of letters (pure: no database, no web framework).

A letter carries a verification code (printed, and in the QR code's verify URL) and an Ed25519
signature over `signed_payload(facts, pdf_sha256)`: the canonical JSON (sorted keys, no whitespace,
UTF-8) of `{"facts": facts_dict(letter), "pdf_sha256": <hex SHA-256 of the PDF bytes>}`. Changing
one fact or one byte of the PDF breaks the signature.

The signing key is derived from the service secret (`IMWU_SECRET_KEY`) with HKDF-SHA256 and
info=b"imwu-letter-signing-v1", so no key file has to be deployed or backed up. Rotating
IMWU_SECRET_KEY therefore rotates the signing key: letters signed before still verify against the
old public key (keep it, with its `public_key_id`), not against the new one.

Offline check, with only the public key (GET /api/v1/letters/public-key) and the facts and
signature the verify endpoint returns::

    key = load_public_key_pem(pem)
    ok = verify_signature(key, facts, hashlib.sha256(pdf).hexdigest(), signature)

or in any language: rebuild the canonical JSON above and check the base64url signature with any
Ed25519 library.
"""

import base64
import binascii
import hashlib
import json
import re
import secrets
from collections.abc import Mapping

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

# 32 symbols without 0/O and 1/I: 12 symbols carry 60 bits.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12
CODE_GROUP = 4
HKDF_INFO = b"imwu-letter-signing-v1"
_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
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
    raise TypeError(f"not JSON-serialisable in a signed payload: {type(value).__name__}")


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
    """The hex SHA-256 of the PDF bytes, as it enters the signed payload."""
    return hashlib.sha256(pdf).hexdigest()


def signing_key_from_secret(secret: str) -> Ed25519PrivateKey:
    """The letter signing key, derived from the service secret (HKDF-SHA256, `HKDF_INFO`)."""
    if not secret:
        raise ValueError("the secret must not be empty")
    seed = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=HKDF_INFO).derive(
        secret.encode("utf-8")
    )
    return Ed25519PrivateKey.from_private_bytes(seed)


def _public(key: Ed25519PrivateKey | Ed25519PublicKey) -> Ed25519PublicKey:
    return key.public_key() if isinstance(key, Ed25519PrivateKey) else key


def public_key_pem(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """The public key as PEM (SubjectPublicKeyInfo), as GET /api/v1/letters/public-key serves it."""
    return (
        _public(key)
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )


def load_public_key_pem(pem: str) -> Ed25519PublicKey:
    """The inverse of `public_key_pem`; ValueError if the PEM is not an Ed25519 public key."""
    key = serialization.load_pem_public_key(pem.encode("ascii"))
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


def public_key_id(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """A short fingerprint: the first 16 hex digits of SHA-256 over the raw 32-byte public key."""
    raw = _public(key).public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def signed_payload(facts: Mapping[str, object], pdf_sha256: str) -> bytes:
    """The exact bytes that are signed: canonical JSON of the facts and the PDF's SHA-256."""
    if not _SHA256_HEX.match(pdf_sha256):
        raise ValueError("pdf_sha256 must be 64 lower-case hex digits")
    return canonical_json({"facts": facts, "pdf_sha256": pdf_sha256})


def sign(key: Ed25519PrivateKey, facts: Mapping[str, object], pdf_sha256: str) -> str:
    """The Ed25519 signature of `signed_payload`, base64url without padding (86 characters)."""
    signature = key.sign(signed_payload(facts, pdf_sha256))
    return base64.urlsafe_b64encode(signature).rstrip(b"=").decode("ascii")


def verify_signature(
    public_key: Ed25519PublicKey, facts: Mapping[str, object], pdf_sha256: str, signature: str
) -> bool:
    """Whether `signature` (from `sign`) is valid for these facts and this PDF hash."""
    try:
        raw = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
        public_key.verify(raw, signed_payload(facts, pdf_sha256))
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True
