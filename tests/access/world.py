"""A small world of accounts and cases in every state, built through the API, for the access
matrix and the schema fuzzing."""

from dataclasses import dataclass, field
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from app.auth.service import revoke
from app.db import get_sessionmaker
from app.letters.models import Letter
from tests.builders import make_pdf
from tests.conftest import Accounts
from tests.intake.scenarios import attach_required, create, t11_body, upload
from tests.queue.helpers import claim, decide, submitted_case

OWNER_ORG = "Owner Law LLP"
OTHER_ORG = "Other Law LLP"
PUBLIC_HOOK = "https://93.184.215.14/hooks"  # a global address literal: no DNS needed, never called

ACTORS = (
    "anonymous",
    "revoked",
    "owner_rep",
    "other_rep",
    "holder",
    "other_reviewer",
    "supervisor",
    "admin",
)


@dataclass
class Case:
    id: str
    version: int
    document_id: str | None = None
    info_id: str | None = None
    letter_id: str | None = None
    verification_code: str | None = None
    finding_id: str | None = None
    webhook_id: str | None = None
    delivery_id: str | None = None


@dataclass
class World:
    """Accounts for every actor and factories for a case in each state. The owner's
    organization files every case; `holder` claims the ones under review."""

    client: TestClient
    accounts: Accounts
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)

    @classmethod
    def build(cls, client: TestClient, accounts: Accounts) -> "World":
        world = cls(client, accounts)
        world.headers["anonymous"] = {}
        world.headers["owner_rep"] = accounts.make("representative", organization=OWNER_ORG)
        world.headers["other_rep"] = accounts.make("representative", organization=OTHER_ORG)
        world.headers["holder"] = accounts.make("reviewer", name="Holding Reviewer")
        world.headers["other_reviewer"] = accounts.make("reviewer")
        world.headers["supervisor"] = accounts.make("supervisor")
        world.headers["admin"] = accounts.make("admin")
        revoked = accounts.make("representative", organization=OWNER_ORG)
        with get_sessionmaker().begin() as session:
            revoke(session, token_or_account_id=accounts.id_of(revoked))
        world.headers["revoked"] = revoked
        world.ids = {
            actor: accounts.id_of(headers) for actor, headers in world.headers.items() if headers
        }
        return world

    @property
    def tokens(self) -> list[str]:
        return [h["Authorization"].removeprefix("Bearer ") for h in self.headers.values() if h]

    def draft(self) -> Case:
        """A draft with one document attached."""
        created = create(self.client, self.headers["owner_rep"], t11_body())
        response = upload(
            self.client,
            self.headers["owner_rep"],
            created["id"],
            "job_offer",
            make_pdf(["Offer of employment", created["id"]]),
        )
        assert response.status_code == 201, response.text
        return self._read(created["id"], document_id=response.json()["id"])

    def complete_draft(self) -> Case:
        """A draft with every required document: it can be submitted."""
        body = t11_body()
        created = create(self.client, self.headers["owner_rep"], body)
        attach_required(self.client, self.headers["owner_rep"], created["id"], body)
        return self._read(created["id"])

    def submitted(self) -> Case:
        """Submitted and waiting in the queue."""
        case = submitted_case(self.client, self.headers["owner_rep"], t11_body())
        documents = self.client.get(
            f"/api/v1/requests/{case['id']}/documents", headers=self.headers["owner_rep"]
        ).json()["items"]
        return self._read(case["id"], document_id=documents[0]["id"])

    def in_review(self) -> Case:
        """Submitted and claimed by `holder`."""
        case = self.submitted()
        response = claim(self.client, self.headers["holder"], case.id)
        assert response.status_code == 200, response.text
        return self._read(case.id, document_id=case.document_id)

    def in_review_with_finding(self) -> Case:
        """Claimed by `holder`, with a `review` finding (a declared criminal history)."""
        body = t11_body()
        body["worker"]["charged_or_convicted"] = True
        case = submitted_case(self.client, self.headers["owner_rep"], body)
        response = claim(self.client, self.headers["holder"], case["id"])
        assert response.status_code == 200, response.text
        triage = self.client.get(
            f"/api/v1/requests/{case['id']}/triage", headers=self.headers["holder"]
        ).json()
        [finding] = [f for f in triage["findings"] if f["outcome"] == "review"]
        return self._read(case["id"], finding_id=finding["id"])

    def info_requested(self) -> Case:
        """Under review, with an open information request from `holder`."""
        case = self.in_review()
        response = self.client.post(
            f"/api/v1/requests/{case.id}/info-requests",
            json={
                "message": "Send the diploma.",
                "items": [{"kind": "diploma"}],
                "due_date": "2099-01-01",
            },
            headers=self.headers["holder"],
        )
        assert response.status_code == 201, response.text
        return self._read(case.id, document_id=case.document_id, info_id=response.json()["id"])

    def decided(self) -> Case:
        """Decided by `holder`, with its (valid) letter."""
        case = self.in_review()
        response = decide(self.client, self.headers["holder"], case.id)
        assert response.status_code == 201, response.text
        letter = self.letter_of(case.id)
        return self._read(
            case.id,
            document_id=case.document_id,
            letter_id=letter["id"],
            verification_code=letter["verification_code"],
        )

    def webhook(self) -> Case:
        """The owner organization's webhook endpoint, with one test delivery queued."""
        created = self.client.post(
            "/api/v1/webhooks",
            json={"url": PUBLIC_HOOK, "events": ["request.decided"]},
            headers=self.headers["owner_rep"],
        )
        assert created.status_code == 201, created.text
        webhook_id = created.json()["id"]
        queued = self.client.post(
            f"/api/v1/webhooks/{webhook_id}/test", headers=self.headers["owner_rep"]
        )
        assert queued.status_code == 202, queued.text
        return Case(id="", version=0, webhook_id=webhook_id, delivery_id=queued.json()["id"])

    def letter_of(self, request_id: str) -> dict[str, Any]:
        with get_sessionmaker().begin() as session:
            letter = session.scalars(select(Letter).where(Letter.request_id == request_id)).one()
            return {"id": letter.id, "verification_code": letter.verification_code}

    def _read(self, request_id: str, **extra: Any) -> Case:
        response = self.client.get(
            f"/api/v1/requests/{request_id}", headers=self.headers["owner_rep"]
        )
        assert response.status_code == 200, response.text
        return Case(id=request_id, version=response.json()["version"], **extra)
