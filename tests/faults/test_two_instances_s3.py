"""Two stateless instances (issue 14 §3): two `imwu serve` processes on one PostgreSQL database
and one S3 bucket (moto's server), with no shared folder. What one stores the other serves; a
letter issued by one verifies on the other; claims raced across both never double."""

import hashlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.builders import make_jpeg, make_pdf
from tests.faults.conftest import (
    Seed,
    Server,
    create_pg_database,
    drop_pg_database,
    pg_url,
    server_factory,
    start_together,
)
from tests.faults.test_two_servers import FRENCH, _waiting_cases, race
from tests.intake.scenarios import job_offer_pdf, t11_body
from tests.storage_backends import MotoServer, direct_store

DECISION = {
    "outcome": "positive",
    "exemption_code": "T11",
    "reasons": [],
    "conditions": [],
    "letter_language": "en",
}


@dataclass
class Instances:
    a: Server
    b: Server
    db: Seed
    prefix: str
    folders: Path
    """The folder a file store would use (each server was given one): S3 must leave it empty."""

    def client(self, server: Server, headers: dict[str, str]) -> httpx.Client:
        return httpx.Client(base_url=server.url, headers=headers, timeout=60)


@pytest.fixture(scope="module")
def instances(
    tmp_path_factory: pytest.TempPathFactory, moto_server: MotoServer
) -> Iterator[Instances]:
    name = create_pg_database()
    db = Seed(pg_url(name))
    db.account("admin")
    directory = tmp_path_factory.mktemp("instances")
    prefix = f"instances-{uuid.uuid4().hex[:12]}"
    try:
        with server_factory(directory) as start:
            a, b = start_together(
                start, pg_url(name), directory / "storage", 2, moto_server.env(prefix)
            )
            yield Instances(a, b, db, prefix, directory / "storage")
    finally:
        db.close()
        drop_pg_database(name)
        direct_store(moto_server, prefix).wipe()


def _submitted(api: httpx.Client) -> str:
    """A complete T11 request filed through `api`."""
    body = t11_body()
    request_id = api.post("/api/v1/requests", json=body).json()["id"]
    report = api.post(f"/api/v1/requests/{request_id}/validate").json()
    for item in report["checklist"]:
        if not item["required"] or item["present"]:
            continue
        kind = item["kind"]
        if kind == "job_offer":
            file = ("offer.pdf", job_offer_pdf(body), "application/pdf")
        elif kind == "passport_bio_page":
            file = ("passport.jpg", make_jpeg(320, 240), "image/jpeg")
        else:
            file = (f"{kind}.pdf", make_pdf([f"{kind} document"]), "application/pdf")
        sent = api.post(
            f"/api/v1/requests/{request_id}/documents", data={"kind": kind}, files={"file": file}
        )
        assert sent.status_code == 201, sent.text
    submitted = api.post(
        f"/api/v1/requests/{request_id}/submit",
        json={"declarant_name": "Pat Declarant", "declaration_accepted": True},
    )
    assert submitted.status_code == 200, submitted.text
    return request_id


class TestTwoInstancesOneBucket:
    def test_a_document_uploaded_through_one_downloads_through_the_other(
        self, instances: Instances, moto_server: MotoServer
    ) -> None:
        _, rep = instances.db.account("representative", organization="Bucket Org")
        pdf = make_pdf(["Offer of employment", "stored by instance A"])
        with instances.client(instances.a, rep) as a, instances.client(instances.b, rep) as b:
            request_id = a.post("/api/v1/requests", json=t11_body()).json()["id"]
            document = a.post(
                f"/api/v1/requests/{request_id}/documents",
                data={"kind": "job_offer"},
                files={"file": ("offer.pdf", pdf, "application/pdf")},
            ).json()
            through_b = b.get(f"/api/v1/requests/{request_id}/documents/{document['id']}")
            deleted = b.delete(f"/api/v1/requests/{request_id}/documents/{document['id']}")
            gone = a.get(f"/api/v1/requests/{request_id}/documents/{document['id']}")

        assert through_b.status_code == 200
        assert through_b.content == pdf
        assert deleted.status_code == 204
        assert gone.status_code == 404
        keys = {o.key for o in direct_store(moto_server, instances.prefix).objects()}
        assert document["id"] not in keys
        assert not any(p.is_file() for p in instances.folders.rglob("*"))

    def test_a_letter_issued_by_one_verifies_on_the_other(
        self, instances: Instances, moto_server: MotoServer
    ) -> None:
        _, rep = instances.db.account("representative", organization="Letter Org")
        _, reviewer = instances.db.account("reviewer")
        with (
            instances.client(instances.a, rep) as rep_a,
            instances.client(instances.a, reviewer) as reviewer_a,
            instances.client(instances.b, rep) as rep_b,
        ):
            request_id = _submitted(rep_a)
            claimed = reviewer_a.post(f"/api/v1/requests/{request_id}/claim")
            assert claimed.status_code == 200, claimed.text
            decided = reviewer_a.post(
                f"/api/v1/requests/{request_id}/decision",
                json=DECISION,
                headers={"If-Match": claimed.headers["ETag"]},
            )
            assert decided.status_code == 201, decided.text
            letter = rep_b.get(f"/api/v1/requests/{request_id}/letters").json()[0]
            pdf = rep_b.get(f"/api/v1/requests/{request_id}/letter")
            verified = httpx.get(
                f"{instances.b.url}/api/v1/letters/verify/{letter['verification_code']}"
            )

        assert pdf.status_code == 200
        assert hashlib.sha256(pdf.content).hexdigest() == letter["pdf_sha256"]
        assert verified.status_code == 200, verified.text
        facts = verified.json()
        assert facts["status"] == "valid"
        assert facts["pdf_sha256"] == letter["pdf_sha256"]
        assert facts["key_id"] == letter["key_id"]
        assert letter["id"] in {o.key for o in direct_store(moto_server, instances.prefix).objects()}

    def test_claims_raced_across_both_never_double(self, instances: Instances) -> None:
        rep_id, _ = instances.db.account("representative", organization="Claim Org")
        ids = _waiting_cases(instances.db, rep_id, 10)
        reviewers = [instances.db.account("reviewer") for _ in range(16)]
        clients = [
            instances.client(instances.a if n % 2 == 0 else instances.b, headers)
            for n, (_, headers) in enumerate(reviewers)
        ]
        try:
            answers = race(
                *(lambda c=c: c.post("/api/v1/queue/claim", json=FRENCH) for c in clients)
            )
        finally:
            for client in clients:
                client.close()

        statuses = sorted(a.status_code for a in answers)
        assert statuses == [200] * 10 + [204] * 6
        won = [a.json()["id"] for a in answers if a.status_code == 200]
        assert sorted(won) == sorted(ids)
