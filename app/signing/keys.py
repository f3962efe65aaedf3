"""The service's signing keys and X.509 certificates on disk (pure: no database, no web framework).

A small service CA (ECDSA P-256, BasicConstraints CA:true) issues one signing certificate per
signing key (ECDSA P-256, KeyUsage digitalSignature + nonRepudiation, AuthorityKeyIdentifier of
the CA). ECDSA P-256 is what PDF readers validate (poppler's `pdfsig`, Acrobat) and what pyHanko
signs with; keys are random, never derived from a secret, so rotating `IMWU_SECRET_KEY` touches
no signature.

The keys directory (`IMWU_SIGNING_KEYS_DIR`) holds::

    ca.key.pem  ca.cert.pem              the CA (key 0600)
    <key id>.key.pem  <key id>.cert.pem  each signing key and certificate, current and retired
    current                              the key id that signs now

`rotate` writes a new key and certificate, then replaces `current` by rename: a reader sees the
old key or the new one, never half of either. Retired keys stay (0600) and their certificates
stay published, so every letter signed before keeps validating.

An operator may instead supply PEM files (`IMWU_SIGNING_KEY_FILE`, `IMWU_SIGNING_CERT_FILE`,
`IMWU_SIGNING_CA_FILE`); their certificate is copied into the keys directory (`archive`) so that
it stays published after the operator replaces the files.

The key id is the first 16 hex digits of the SHA-256 of the public key (SubjectPublicKeyInfo DER):
it names the key in letters and detached signatures, whatever certificate carries it.
"""

import fcntl
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from app.common.clock import utcnow

CA_DAYS = 30 * 365  # letters are checked for years: the CA outlives many signing keys
SIGNING_DAYS = 10 * 365  # rotate sooner; a retired certificate keeps validating older letters
CA_KEY, CA_CERT, CURRENT = "ca.key.pem", "ca.cert.pem", "current"
_KEY_ID_CHARS = frozenset("0123456789abcdef")


class KeysMissing(RuntimeError):
    """No signing key is configured (production refuses to start; run `imwu keys init`)."""


class KeysSupplied(RuntimeError):
    """The operator supplies the key as PEM files: the service neither creates nor rotates it."""


def key_id_of(public_key: ec.EllipticCurvePublicKey) -> str:
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()[:16]


@dataclass(frozen=True)
class CertificateInfo:
    """A published certificate: the signing ones carry `key_id`; `current` marks the one in use."""

    certificate: x509.Certificate
    current: bool = False

    @property
    def key_id(self) -> str:
        public = self.certificate.public_key()
        if not isinstance(public, ec.EllipticCurvePublicKey):
            raise ValueError("signing certificates carry an EC key")
        return key_id_of(public)

    @property
    def fingerprint(self) -> str:
        return self.certificate.fingerprint(hashes.SHA256()).hex()

    @property
    def pem(self) -> str:
        return self.certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


@dataclass(frozen=True)
class Signer:
    """The key that signs now, its certificate and the CA that issued it."""

    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate
    ca: x509.Certificate

    @property
    def key_id(self) -> str:
        return key_id_of(self.key.public_key())

    @property
    def fingerprint(self) -> str:
        return self.certificate.fingerprint(hashes.SHA256()).hex()


def _write_private(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    """Write a private key readable by the owner only: created 0600, never widened by umask."""
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
        handle.flush()
        os.fsync(handle.fileno())


def _write_public(path: Path, data: bytes) -> None:
    """Write a file by rename, so that a reader never sees it half written."""
    partial = path.with_name(f".{path.name}.partial")
    partial.write_bytes(data)
    os.replace(partial, path)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "imwu-intake"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _builder(
    subject: x509.Name, issuer: x509.Name, days: int, now: datetime
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))  # tolerate a little clock skew
        .not_valid_after(now + timedelta(days=days))
    )


def _usage(*, signature: bool, non_repudiation: bool, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=signature,
        content_commitment=non_repudiation,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def make_ca(now: datetime) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """A self-signed CA that may issue end-entity certificates only (path length 0)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name("IMWU intake service CA")
    certificate = (
        _builder(name, name, CA_DAYS, now)
        .public_key(key.public_key())
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            _usage(signature=False, non_repudiation=False, cert_sign=True), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, certificate


def issue_signing_certificate(
    ca_key: ec.EllipticCurvePrivateKey, ca: x509.Certificate, now: datetime
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """A new signing key and its certificate, issued by the CA."""
    key = ec.generate_private_key(ec.SECP256R1())
    ca_ski = ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    certificate = (
        _builder(_name(f"IMWU intake signing key {key_id_of(key.public_key())}"), ca.subject,
                 SIGNING_DAYS, now)
        .public_key(key.public_key())
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            _usage(signature=True, non_repudiation=True, cert_sign=False), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    return key, certificate


def _load_key(path: Path) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError(f"{path} is not an EC private key (use ECDSA P-256)")
    return key


def _load_certificate(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


class KeyDirectory:
    """The keys directory: the CA, every signing key and certificate, and the current key id."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Serialize `init` and `rotate` between processes (instances starting together, a CLI)."""
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        with open(self.root / ".lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def exists(self) -> bool:
        return (self.root / CURRENT).is_file()

    def current_key_id(self) -> str:
        if not self.exists():
            raise KeysMissing(f"no signing key in {self.root}: run `imwu keys init`")
        key_id = (self.root / CURRENT).read_text("ascii").strip()
        if len(key_id) != 16 or not set(key_id) <= _KEY_ID_CHARS:
            raise ValueError(f"{self.root / CURRENT} does not name a key id")
        return key_id

    def stamp(self) -> tuple[int, int]:
        """Changes whenever `current` is replaced (inode and mtime): a cheap reload check."""
        stat = (self.root / CURRENT).stat()
        return stat.st_ino, stat.st_mtime_ns

    def init(self) -> tuple[bool, str]:
        """Create the CA and a first signing key unless they exist: (created, current key id)."""
        with self.locked():
            if self.exists():
                return False, self.current_key_id()
            if not (self.root / CA_CERT).is_file():
                ca_key, ca = make_ca(utcnow())
                _write_private(self.root / CA_KEY, ca_key)
                _write_public(self.root / CA_CERT, ca.public_bytes(serialization.Encoding.PEM))
            return True, self._new_signing_key()

    def rotate(self) -> tuple[str, str]:
        """A new signing key becomes current; the old one is retired, kept and still published.
        Returns (retired key id, new key id)."""
        with self.locked():
            retired = self.current_key_id()
            return retired, self._new_signing_key()

    def _new_signing_key(self) -> str:
        ca_key, ca = _load_key(self.root / CA_KEY), _load_certificate(self.root / CA_CERT)
        key, certificate = issue_signing_certificate(ca_key, ca, utcnow())
        key_id = key_id_of(key.public_key())
        _write_private(self.root / f"{key_id}.key.pem", key)
        _write_public(
            self.root / f"{key_id}.cert.pem", certificate.public_bytes(serialization.Encoding.PEM)
        )
        _write_public(self.root / CURRENT, f"{key_id}\n".encode("ascii"))
        return key_id

    def archive(self, certificate: x509.Certificate) -> None:
        """Keep a copy of an operator's certificate, so it stays published once replaced."""
        info = CertificateInfo(certificate)
        path = self.root / f"{info.key_id}.cert.pem"
        if not path.is_file():
            with self.locked():
                _write_public(path, info.pem.encode("ascii"))

    def signer(self) -> Signer:
        key_id = self.current_key_id()
        return Signer(
            key=_load_key(self.root / f"{key_id}.key.pem"),
            certificate=_load_certificate(self.root / f"{key_id}.cert.pem"),
            ca=_load_certificate(self.root / CA_CERT),
        )

    def certificates(self) -> list[x509.Certificate]:
        """Every signing certificate kept here, current and retired, in no particular order."""
        if not self.root.is_dir():
            return []
        return [
            _load_certificate(path)
            for path in self.root.glob("*.cert.pem")
            if path.name != CA_CERT
        ]


def load_supplied(key_file: Path, cert_file: Path, ca_file: Path) -> Signer:
    """An operator's PEM files; ValueError when the key does not match the certificate."""
    signer = Signer(
        key=_load_key(key_file),
        certificate=_load_certificate(cert_file),
        ca=_load_certificate(ca_file),
    )
    if signer.certificate.public_key() != signer.key.public_key():
        raise ValueError("IMWU_SIGNING_KEY_FILE does not match IMWU_SIGNING_CERT_FILE")
    return signer
