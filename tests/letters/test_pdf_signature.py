"""Letters are PAdES-signed PDFs that independent validators accept offline, with only the PDF and
the service's CA certificate: poppler's `pdfsig` (trust through an NSS database) and pyHanko's
validator. Everything comes through the HTTP API: the letter, the certificates, the verify reply."""

import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import update

from app.cli import main as cli
from app.db import get_sessionmaker
from app.letters.models import Letter
from app.letters.router import limiter
from app.letters.verification import canonical_json
from tests.conftest import Accounts
from tests.intake.scenarios import t11_body
from tests.letters.pdf_tools import (
    flip_one_signed_byte,
    nss_trusting,
    pdfsig,
    pyhanko_validate,
    require_pdf_tools,
)
from tests.queue.helpers import decide, submitted_case

VALID = "Signature Validation: Signature is Valid."
TRUSTED = "Certificate Validation: Certificate is Trusted."
WHOLE = "Total document signed"


@dataclass
class Issued:
    case_id: str
    letter: dict[str, Any]
    pdf: bytes


@pytest.fixture(autouse=True)
def _verify_rate() -> None:
    limiter.reset()


def issue(client: TestClient, accounts: Accounts, rep: dict[str, str]) -> Issued:
    """A submitted T11 case, claimed and decided positively: its letter as the API serves it."""
    case = submitted_case(client, rep, t11_body())
    reviewer = accounts.make("reviewer")
    version = client.post(f"/api/v1/requests/{case['id']}/claim", headers=reviewer).json()[
        "version"
    ]
    decided = decide(client, reviewer, case["id"], version=version)
    assert decided.status_code == 201, decided.text
    return fetch(client, case["id"], rep)


def fetch(client: TestClient, case_id: str, rep: dict[str, str]) -> Issued:
    letters = client.get(f"/api/v1/requests/{case_id}/letters", headers=rep).json()
    pdf = client.get(f"/api/v1/requests/{case_id}/letter", headers=rep)
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    return Issued(case_id=case_id, letter=letters[-1], pdf=pdf.content)


def ca_pem(client: TestClient) -> str:
    pem: str = client.get("/api/v1/letters/certificates").json()["ca"]["pem"]
    return pem


@pytest.fixture
def nssdir(client: TestClient, tmp_path: Path) -> str:
    require_pdf_tools()
    return nss_trusting(ca_pem(client), tmp_path / "nss")


class TestAFreshLetter:
    def test_pdfsig_says_valid_whole_and_trusted_with_the_ca(
        self, client: TestClient, accounts: Accounts, rep: dict[str, str], nssdir: str,
        tmp_path: Path,
    ) -> None:
        issued = issue(client, accounts, rep)
        report = pdfsig(issued.pdf, tmp_path, nssdir)
        assert VALID in report
        assert WHOLE in report
        assert TRUSTED in report
        assert f"IMWU intake signing key {issued.letter['key_id']}" in report
        untrusted = pdfsig(issued.pdf, tmp_path)  # poppler's default NSS store: CA unknown
        assert VALID in untrusted
        assert TRUSTED not in untrusted

    def test_pyhanko_accepts_it_with_the_ca_as_trust_root(
        self, client: TestClient, accounts: Accounts, rep: dict[str, str]
    ) -> None:
        issued = issue(client, accounts, rep)
        verdict = pyhanko_validate(issued.pdf, ca_pem(client))
        assert verdict.intact
        assert verdict.valid
        assert verdict.trusted
        assert verdict.whole_file
        assert verdict.bottom_line

    def test_the_pdf_carries_its_facts_code_and_certificate_chain(
        self, client: TestClient, accounts: Accounts, rep: dict[str, str]
    ) -> None:
        issued = issue(client, accounts, rep)
        reader = PdfReader(io.BytesIO(issued.pdf))
        embedded = reader.attachments["imwu-letter-facts.json"][0]
        assert embedded == canonical_json(issued.letter["facts"])
        facts = json.loads(embedded)
        assert facts["verification_code"] == issued.letter["verification_code"]
        assert issued.letter["verification_code"] in (reader.metadata or {}).get("/Title", "")
        signature = reader.trailer["/Root"]["/AcroForm"]["/Fields"][0]["/V"]
        assert signature["/SubFilter"] == "/ETSI.CAdES.detached"
        assert issued.letter["verification_code"] in signature["/Reason"]
        chain = _certificates_in_cms(bytes(signature["/Contents"]))
        published = client.get("/api/v1/letters/certificates").json()
        assert {published["ca"]["fingerprint_sha256"], issued.letter["certificate_fingerprint"]} \
            <= chain

    def test_one_flipped_byte_makes_both_validators_reject_it(
        self, client: TestClient, accounts: Accounts, rep: dict[str, str], nssdir: str,
        tmp_path: Path,
    ) -> None:
        issued = issue(client, accounts, rep)
        tampered = flip_one_signed_byte(issued.pdf)
        report = pdfsig(tampered, tmp_path, nssdir)
        assert VALID not in report
        assert "Digest Mismatch" in report
        verdict = pyhanko_validate(tampered, ca_pem(client))
        assert not verdict.intact
        assert not verdict.bottom_line


def _certificates_in_cms(contents: bytes) -> set[str]:
    """SHA-256 fingerprints of the certificates inside the signature's CMS SignedData."""
    from asn1crypto import cms

    signed = cms.ContentInfo.load(contents.rstrip(b"\0"))["content"]
    return {
        x509.load_der_x509_certificate(choice.chosen.dump()).fingerprint(hashes.SHA256()).hex()
        for choice in signed["certificates"]
    }


class TestRotation:
    def test_a_letter_signed_before_rotate_still_validates_and_its_certificate_is_published(
        self, client: TestClient, accounts: Accounts, rep: dict[str, str], nssdir: str,
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
    ) -> None:
        before = issue(client, accounts, rep)
        assert cli(["keys", "rotate"]) == 0
        rotated = json.loads(capsys.readouterr().out)
        assert rotated["retired"] == before.letter["key_id"]
        after = issue(client, accounts, rep)
        assert after.letter["key_id"] == rotated["key_id"] != before.letter["key_id"]

        published = client.get("/api/v1/letters/certificates").json()
        status = {c["key_id"]: (c["status"], c["fingerprint_sha256"]) for c in published["certificates"]}
        assert status[before.letter["key_id"]] == ("retired", before.letter["certificate_fingerprint"])
        assert status[after.letter["key_id"]] == ("current", after.letter["certificate_fingerprint"])
        for issued in (before, after):
            report = pdfsig(issued.pdf, tmp_path, nssdir)
            assert VALID in report
            assert TRUSTED in report
            assert pyhanko_validate(issued.pdf, published["ca"]["pem"]).bottom_line
            verify = client.get(f"/api/v1/letters/verify/{issued.letter['verification_code']}")
            assert verify.json()["status"] == "valid"


class TestRevokedAndReissued:
    def test_a_revoked_letter_still_validates_as_a_pdf_while_verify_says_revoked(
        self, client: TestClient, accounts: Accounts, rep: dict[str, str], nssdir: str,
        tmp_path: Path,
    ) -> None:
        issued = issue(client, accounts, rep)
        supervisor = accounts.make("supervisor")
        revoked = client.post(
            f"/api/v1/letters/{issued.letter['id']}/revoke",
            json={"reason": "Issued in error"},
            headers=supervisor,
        )
        assert revoked.status_code == 200, revoked.text
        assert revoked.json()["status"] == "revoked"
        served = client.get(f"/api/v1/requests/{issued.case_id}/letter", headers=rep).content
        assert served == issued.pdf
        report = pdfsig(served, tmp_path, nssdir)
        assert VALID in report
        assert TRUSTED in report
        assert pyhanko_validate(served, ca_pem(client)).bottom_line
        verify = client.get(f"/api/v1/letters/verify/{issued.letter['verification_code']}")
        assert verify.status_code == 200
        assert verify.json()["status"] == "revoked"

    def test_a_reissued_letter_is_signed_anew(
        self, client: TestClient, accounts: Accounts, rep: dict[str, str], nssdir: str,
        tmp_path: Path,
    ) -> None:
        first = issue(client, accounts, rep)
        supervisor = accounts.make("supervisor")
        made = client.post(
            f"/api/v1/letters/{first.letter['id']}/reissue",
            json={"conditions": ["Only at Ottawa."], "letter_language": "fr"},
            headers=supervisor,
        )
        assert made.status_code == 201, made.text
        second = fetch(client, first.case_id, rep)
        assert second.letter["id"] == made.json()["id"]
        assert second.pdf != first.pdf
        embedded = PdfReader(io.BytesIO(second.pdf)).attachments["imwu-letter-facts.json"][0]
        facts = json.loads(embedded)
        assert facts["supersedes"] == first.letter["verification_code"]
        assert facts["conditions"] == ["Only at Ottawa."]
        assert facts["language"] == "fr"
        report = pdfsig(second.pdf, tmp_path, nssdir)
        assert VALID in report
        assert TRUSTED in report
        assert pyhanko_validate(second.pdf, ca_pem(client)).bottom_line
        old = client.get(f"/api/v1/letters/verify/{first.letter['verification_code']}").json()
        assert old["status"] == "superseded"


class TestVerify:
    def test_verify_names_the_key_and_certificate_and_carries_no_signature(
        self, client: TestClient, accounts: Accounts, rep: dict[str, str]
    ) -> None:
        issued = issue(client, accounts, rep)
        body = client.get(f"/api/v1/letters/verify/{issued.letter['verification_code']}").json()
        body.pop("issued_at")
        body.pop("pdf_sha256")
        body.pop("reference")
        assert body == {
            "status": "valid",
            "exemption_code": "T11",
            "outcome": "positive",
            "worker": body["worker"],
            "signature_scheme": "pades-b-b",
            "key_id": issued.letter["key_id"],
            "certificate_fingerprint": issued.letter["certificate_fingerprint"],
        }
        published = client.get("/api/v1/letters/certificates").json()
        assert issued.letter["certificate_fingerprint"] in {
            c["fingerprint_sha256"] for c in published["certificates"]
        }
        assert "signature" not in issued.letter

    def test_a_legacy_ed25519_letter_keeps_its_status(
        self, client: TestClient, accounts: Accounts, rep: dict[str, str]
    ) -> None:
        issued = issue(client, accounts, rep)
        with get_sessionmaker().begin() as session:
            session.execute(
                update(Letter)
                .where(Letter.id == issued.letter["id"])
                .values(
                    signature_scheme="ed25519-legacy",
                    certificate_fingerprint=None,
                    key_id="0123456789abcdef",
                    signature="A" * 86,
                )
            )
        body = client.get(f"/api/v1/letters/verify/{issued.letter['verification_code']}").json()
        assert body["status"] == "valid"
        assert body["signature_scheme"] == "ed25519-legacy"
        assert body["key_id"] == "0123456789abcdef"
        assert body["certificate_fingerprint"] is None
        assert "signature" not in body


class TestCertificatesEndpoint:
    def test_json_lists_the_ca_and_every_signing_certificate_without_auth(
        self, client: TestClient
    ) -> None:
        response = client.get("/api/v1/letters/certificates")
        assert response.status_code == 200
        body = response.json()
        ca = x509.load_pem_x509_certificate(body["ca"]["pem"].encode())
        assert body["ca"]["status"] == "ca"
        assert body["ca"]["key_id"] is None
        assert body["ca"]["fingerprint_sha256"] == ca.fingerprint(hashes.SHA256()).hex()
        assert body["certificates"][0]["status"] == "current"
        assert [c["status"] for c in body["certificates"][1:]] == ["retired"] * (
            len(body["certificates"]) - 1
        )
        for entry in body["certificates"]:
            certificate = x509.load_pem_x509_certificate(entry["pem"].encode())
            certificate.verify_directly_issued_by(ca)
            assert entry["fingerprint_sha256"] == certificate.fingerprint(hashes.SHA256()).hex()
            assert entry["not_before"] < entry["not_after"]
            assert entry["subject"] == f"CN=IMWU intake signing key {entry['key_id']},O=imwu-intake"

    @pytest.mark.parametrize(
        ("query", "headers"),
        [("?format=pem", {}), ("", {"Accept": "application/x-pem-file"})],
    )
    def test_pem_starts_with_the_ca_then_the_signing_certificates(
        self, client: TestClient, query: str, headers: dict[str, str]
    ) -> None:
        response = client.get(f"/api/v1/letters/certificates{query}", headers=headers)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/x-pem-file")
        body = client.get("/api/v1/letters/certificates").json()
        certificates = x509.load_pem_x509_certificates(response.content)
        fingerprints = [c.fingerprint(hashes.SHA256()).hex() for c in certificates]
        assert fingerprints == [body["ca"]["fingerprint_sha256"]] + [
            c["fingerprint_sha256"] for c in body["certificates"]
        ]

    def test_the_old_public_key_endpoint_is_gone(self, client: TestClient) -> None:
        assert client.get("/api/v1/letters/public-key").status_code == 404
