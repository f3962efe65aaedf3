"""The service's signing key: detached signatures over bytes (audit checkpoints use it).

PLACEHOLDER for the i10-concurrency branch. Branch i9-signing builds the real module with the
same two functions; the lead replaces this file with it at merge. Callers depend only on:

    sign_detached(data) -> (key_id, base64 signature)
    verify_detached(key_id, data, signature_b64) -> bool

Here: one ECDSA P-256 key (SHA-256) kept as PKCS#8 PEM in a 0600 file beside the document store
(`<IMWU_STORAGE_DIR>/../signing/service-key.pem`), created on first use (O_EXCL, so two processes
starting together end with one key). The key id is the first 16 hex digits of the SHA-256 of the
public key's DER SubjectPublicKeyInfo. Only the current key verifies; rotation is i9's business.
"""

import base64
import binascii
import hashlib
import os
import threading
from functools import cache
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from app.config import get_settings

_LOCK = threading.Lock()


def key_path() -> Path:
    return get_settings().storage_dir.resolve().parent / "signing" / "service-key.pem"


def _create(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)
        handle.flush()
        os.fsync(handle.fileno())
    try:
        os.link(temporary, path)  # fails if another process made the key first: keep theirs
    except FileExistsError:
        pass
    finally:
        temporary.unlink(missing_ok=True)


@cache
def _key(path: Path) -> ec.EllipticCurvePrivateKey:
    with _LOCK:
        if not path.exists():
            _create(path)
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(loaded, ec.EllipticCurvePrivateKey):
        raise TypeError("the service signing key is not an EC key")
    return loaded


def _private_key() -> ec.EllipticCurvePrivateKey:
    return _key(key_path())


def _key_id(public_key: ec.EllipticCurvePublicKey) -> str:
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()[:16]


def sign_detached(data: bytes) -> tuple[str, str]:
    """Sign `data` with the service key: (key id, base64 DER ECDSA signature)."""
    key = _private_key()
    signature = key.sign(data, ec.ECDSA(hashes.SHA256()))
    return _key_id(key.public_key()), base64.b64encode(signature).decode()


def verify_detached(key_id: str, data: bytes, signature_b64: str) -> bool:
    """True when `signature_b64` is the service key `key_id`'s signature over `data`."""
    public_key = _private_key().public_key()
    if key_id != _key_id(public_key):
        return False
    try:
        public_key.verify(
            base64.b64decode(signature_b64, validate=True), data, ec.ECDSA(hashes.SHA256())
        )
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True
