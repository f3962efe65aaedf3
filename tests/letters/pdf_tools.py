"""Independent validators of a letter's PDF signature: poppler's `pdfsig` (with an NSS database
that trusts the service CA, built by `certutil`) and pyHanko's validator with the CA as trust root.

Without `pdfsig`/`certutil` the tests that need them are skipped, except in CI (`CI` set), where
they fail: `.ci/install-pdf-tools` installs them (the way tests/e2e treats a missing Chromium).
"""

import io
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from asn1crypto import pem as asn1_pem
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

PDFSIG = os.environ.get("IMWU_TEST_PDFSIG", "pdfsig")
CERTUTIL = os.environ.get("IMWU_TEST_CERTUTIL", "certutil")


def require_pdf_tools() -> None:
    missing = [tool for tool in (PDFSIG, CERTUTIL) if shutil.which(tool) is None]
    if not missing:
        return
    message = f"PDF signature tools missing: {', '.join(missing)}"
    if os.environ.get("CI"):
        pytest.fail(f"{message} (run .ci/install-pdf-tools)", pytrace=False)
    pytest.skip(message)


def nss_trusting(ca_pem: str, directory: Path) -> str:
    """An NSS database in `directory` that trusts the CA; returns the `-nssdir` argument."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "ca.pem").write_text(ca_pem)
    database = f"sql:{directory}"
    for command in (
        [CERTUTIL, "-N", "-d", database, "--empty-password"],
        [CERTUTIL, "-A", "-d", database, "-n", "imwu-ca", "-t", "CT,C,C", "-i",
         str(directory / "ca.pem")],
    ):
        subprocess.run(command, check=True, capture_output=True, timeout=60)
    return database


def pdfsig(pdf: bytes, directory: Path, nssdir: str | None = None) -> str:
    """`pdfsig` on the PDF, its whole report (it exits non-zero for an invalid signature)."""
    path = directory / "letter.pdf"
    path.write_bytes(pdf)
    command = [PDFSIG, *(["-nssdir", nssdir] if nssdir else []), str(path)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    return done.stdout + done.stderr


@dataclass(frozen=True)
class PyHankoVerdict:
    intact: bool
    valid: bool
    trusted: bool
    whole_file: bool
    bottom_line: bool


def pyhanko_validate(pdf: bytes, ca_pem: str) -> PyHankoVerdict:
    """pyHanko's validation of the PDF's only signature, trusting exactly the CA."""
    _, _, der = asn1_pem.unarmor(ca_pem.encode("ascii"))
    context = ValidationContext(trust_roots=[asn1_x509.Certificate.load(der)])
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    [signature] = reader.embedded_signatures
    status = validate_pdf_signature(signature, context)
    return PyHankoVerdict(
        intact=status.intact,
        valid=status.valid,
        trusted=status.trusted,
        whole_file=status.coverage.name == "ENTIRE_FILE",
        bottom_line=status.bottom_line,
    )


def signed_range_end(pdf: bytes) -> int:
    """Where the first signed byte range ends (the start of the signature's /Contents)."""
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    [signature] = reader.embedded_signatures
    first_start, first_length = signature.byte_range[0], signature.byte_range[1]
    assert first_start == 0
    return int(first_length)


def flip_one_signed_byte(pdf: bytes) -> bytes:
    """The PDF with one byte of its signed range changed: a letter of the document's /Creator
    (inside the signed range, and the file still parses)."""
    at = pdf.index(b"/Creator")
    assert at < signed_range_end(pdf)
    tampered = pdf[: at + 7] + b"x" + pdf[at + 8 :]
    assert len(tampered) == len(pdf)
    assert sum(a != b for a, b in zip(pdf, tampered, strict=True)) == 1
    return tampered
