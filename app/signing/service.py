"""The signing keys as the rest of the service sees them: who signs now, every published
certificate, and detached signatures (letters use the PDF signature in `pdf.py`; the audit's signed
checkpoints use `sign_detached`).

Where the key comes from (`app.config.Settings`):
- operator PEM files (`IMWU_SIGNING_KEY_FILE`, `..._CERT_FILE`, `..._CA_FILE`), or
- the keys directory (`IMWU_SIGNING_KEYS_DIR`, default `./var/keys`), created by `imwu keys init`,
  rotated by `imwu keys rotate`. In development and tests `ensure_keys` creates it on first start
  (under the start-up lock); in production a missing key stops the start with a clear message.

The current key is re-read when `imwu keys rotate` replaces it, so running instances sign with the
new key without a restart.
"""

import base64
import binascii
import threading
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from app.config import Settings, get_settings
from app.signing.keys import (
    CertificateInfo,
    KeyDirectory,
    KeysMissing,
    KeysSupplied,
    Signer,
    load_supplied,
)

__all__ = [
    "KeysMissing",
    "KeysSupplied",
    "Published",
    "Signer",
    "certificates",
    "current_signer",
    "ensure_keys",
    "init_keys",
    "rotate_keys",
    "sign_detached",
    "verify_detached",
]

DETACHED_ALGORITHM = "ecdsa-p256-sha256"


@dataclass(frozen=True)
class Published:
    """What `GET /api/v1/letters/certificates` shows: the CA and every signing certificate,
    current first, then retired ones newest first."""

    ca: CertificateInfo
    certificates: tuple[CertificateInfo, ...]


_lock = threading.Lock()
_cached: tuple[object, Signer] | None = None
_published: tuple[object, "Published"] | None = None


def _directory(settings: Settings) -> KeyDirectory:
    return KeyDirectory(settings.signing_keys_dir)


def current_signer() -> Signer:
    """The key that signs now (re-read after a rotation); KeysMissing when there is none."""
    global _cached
    settings = get_settings()
    directory = _directory(settings)
    supplied = settings.signing_files
    source: object
    if supplied is not None:
        source = supplied
    else:
        if not directory.exists():
            raise KeysMissing(
                f"no signing key in {directory.root}: run `imwu keys init` "
                "(or set IMWU_SIGNING_KEY_FILE, IMWU_SIGNING_CERT_FILE and IMWU_SIGNING_CA_FILE)"
            )
        source = (directory.root, directory.stamp())
    with _lock:
        if _cached is not None and _cached[0] == source:
            return _cached[1]
        signer = load_supplied(*supplied) if supplied is not None else directory.signer()
        _cached = (source, signer)
        return signer


def ensure_keys() -> Signer:
    """At start-up: create the keys in development and tests when missing, refuse in production,
    and keep a copy of an operator's certificate so it stays published after a replacement."""
    settings = get_settings()
    directory = _directory(settings)
    if settings.signing_files is not None:
        signer = current_signer()
        directory.archive(signer.certificate)
        return signer
    if not directory.exists():
        if settings.environment == "production":
            raise KeysMissing(
                f"no signing key in {directory.root} and IMWU_ENVIRONMENT=production: run "
                "`imwu keys init` once (or set IMWU_SIGNING_KEY_FILE, IMWU_SIGNING_CERT_FILE and "
                "IMWU_SIGNING_CA_FILE); the service does not create production keys by itself"
            )
        directory.init()
    return current_signer()


def _refuse_when_supplied(settings: Settings) -> None:
    if settings.signing_files is not None:
        raise KeysSupplied(
            "the signing key is supplied by the operator (IMWU_SIGNING_KEY_FILE): replace those "
            "files to rotate it"
        )


def init_keys() -> tuple[bool, str]:
    """`imwu keys init`: the CA and a first key unless they exist; (created, current key id)."""
    settings = get_settings()
    _refuse_when_supplied(settings)
    return _directory(settings).init()


def rotate_keys() -> tuple[str, str]:
    """`imwu keys rotate`: (retired key id, new key id)."""
    settings = get_settings()
    _refuse_when_supplied(settings)
    return _directory(settings).rotate()


def certificates() -> Published:
    """Every certificate a signature of this service may name, and the CA (read again when the
    keys directory changes: a rotation adds files)."""
    global _published
    signer = current_signer()
    directory = _directory(get_settings())
    changed = directory.root.stat().st_mtime_ns if directory.root.is_dir() else None
    source = (signer.fingerprint, signer.ca.fingerprint(hashes.SHA256()), directory.root, changed)
    cached = _published
    if cached is not None and cached[0] == source:
        return cached[1]
    current = CertificateInfo(signer.certificate, current=True)
    kept = [
        CertificateInfo(certificate)
        for certificate in directory.certificates()
        if CertificateInfo(certificate).fingerprint != current.fingerprint
    ]
    kept.sort(key=lambda info: info.certificate.not_valid_before_utc, reverse=True)
    published = Published(ca=CertificateInfo(signer.ca), certificates=(current, *kept))
    _published = (source, published)
    return published


def certificate_for(key_id: str) -> x509.Certificate | None:
    """The certificate, current or retired, of the key with this id."""
    for info in certificates().certificates:
        if info.key_id == key_id:
            return info.certificate
    return None


def sign_detached(data: bytes) -> tuple[str, str]:
    """ECDSA P-256 over SHA-256 of `data` with the current key: (key id, base64 DER signature).
    Anyone checks it with the certificate of that key id from the published certificates."""
    signer = current_signer()
    signature = signer.key.sign(data, ec.ECDSA(hashes.SHA256()))
    return signer.key_id, base64.b64encode(signature).decode("ascii")


def verify_detached(key_id: str, data: bytes, signature_b64: str) -> bool:
    """Whether `signature_b64` (from `sign_detached`) signs `data` with the key `key_id`, current
    or retired. An unknown key id or a malformed signature is False, never an exception."""
    certificate = certificate_for(key_id)
    if certificate is None:
        return False
    public = certificate.public_key()
    if not isinstance(public, ec.EllipticCurvePublicKey):
        return False
    try:
        signature = base64.b64decode(signature_b64.encode("ascii"), validate=True)
        public.verify(signature, data, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, binascii.Error, ValueError, UnicodeEncodeError):
        return False
    return True
