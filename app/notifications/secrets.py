"""Webhook signing secrets: made, sealed at rest, and used for Standard Webhooks signatures.

A webhook secret is an HMAC key the service must read back to sign, so it cannot be stored as a
hash like an API token. It is sealed with AES-256-GCM under a key derived (HKDF-SHA256) from
`IMWU_SECRET_KEY`: a database dump alone does not let anyone forge deliveries. Rotating
`IMWU_SECRET_KEY` makes sealed secrets unreadable; the endpoints then need `rotate-secret`.
"""

import base64
import hashlib
import hmac
import os
from functools import cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from app.config import get_settings

PREFIX = "whsec_"
SEALED_VERSION = "v1"
_AAD = b"imwu webhook secret"


def new_secret() -> str:
    """`whsec_` and 32 random bytes in base64, the form the Standard Webhooks libraries read."""
    return PREFIX + base64.b64encode(os.urandom(32)).decode()


@cache
def _sealing_key(secret_key: str) -> AESGCM:
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"imwu webhook secrets v1"
    ).derive(secret_key.encode())
    return AESGCM(derived)


def seal(secret: str) -> str:
    nonce = os.urandom(12)
    sealed = _sealing_key(get_settings().secret_key).encrypt(nonce, secret.encode(), _AAD)
    return f"{SEALED_VERSION}.{base64.b64encode(nonce + sealed).decode()}"


def unseal(stored: str) -> str:
    version, _, blob = stored.partition(".")
    if version != SEALED_VERSION:
        raise ValueError("unknown sealed secret version")
    raw = base64.b64decode(blob)
    return _sealing_key(get_settings().secret_key).decrypt(raw[:12], raw[12:], _AAD).decode()


def signature(secrets: list[str], *, msg_id: str, timestamp: int, body: bytes) -> str:
    """`v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, one per secret, space separated
    (Standard Webhooks: receivers accept any one that matches, which lets secrets rotate)."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return " ".join(
        "v1,"
        + base64.b64encode(
            hmac.new(base64.b64decode(s.removeprefix(PREFIX)), signed, hashlib.sha256).digest()
        ).decode()
        for s in secrets
    )
