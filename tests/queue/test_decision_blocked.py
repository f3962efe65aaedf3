"""A decision is made on the current revision, and only when that revision can carry it.

Hole: triage showed a blocking finding (a required document deleted after submit), yet nothing
stopped a positive decision; letter facts were filled in when missing. Now: `422
decision_blocked` with every reason, a refusal states the blocking findings, each `review`
finding is resolved by the holder first, and the decision names its revision."""

from typing import Any

from fastapi.testclient import TestClient

from app.db import get_sessionmaker
from app.intake.models import OpinionRequest
from app.triage.models import TriageFinding
from tests.conftest import Accounts
from tests.intake.scenarios import t11_body
from tests.queue.helpers import asked_case, claim, decide, respond, submitted_case


def _version(client: TestClient, headers: dict[str, str], case_id: str) -> int:
    version: int = client.get(f"/api/v1/requests/{case_id}", headers=headers).json()["version"]
    return version


def _readiness(client: TestClient, reviewer: dict[str, str], case_id: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/requests/{case_id}/decision/readiness", headers=reviewer)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def _answered(
    client: TestClient,
    rep: dict[str, str],
    reviewer: dict[str, str],
    field: str,
    patch: dict[str, Any],
) -> str:
    """A case whose revision 2 changed `field` as `patch` says."""
    case_id, info_id = asked_case(client, rep, reviewer, t11_body(), fields=(field,))
    patched = client.patch(f"/api/v1/requests/{case_id}", json=patch, headers=rep)
    assert patched.status_code == 200, patched.text
    assert respond(client, rep, case_id, info_id).status_code == 200
    return case_id


def _resolve(
    client: TestClient, reviewer: dict[str, str], case_id: str, finding_id: str, **body: Any
) -> Any:
    return client.post(
        f"/api/v1/requests/{case_id}/findings/{finding_id}/resolution", json=body, headers=reviewer
    )


def _findings(client: TestClient, reviewer: dict[str, str], case_id: str) -> list[dict[str, Any]]:
    findings: list[dict[str, Any]] = client.get(
        f"/api/v1/requests/{case_id}/triage", headers=reviewer
    ).json()["findings"]
    return findings


def _add_blocking_finding(case_id: str) -> str:
    """A blocking finding on the case's current run, as a triage under changed reference data
    or rules would leave it (the service's own routes can no longer produce this after submit)."""
    with get_sessionmaker().begin() as session:
        request = session.get(OpinionRequest, case_id)
        assert request is not None
        finding = TriageFinding(
            request_id=case_id,
            run=request.triage_run,
            position=99,
            rule="document_missing",
            outcome="block",
            message_en="A required document is missing: cv.",
            message_fr="Un document requis manque : cv.",
            fields=["/documents/cv"],
            reference_version="2026-02-11+test",
        )
        session.add(finding)
        session.flush()
        return finding.id


class TestBlockingFindings:
    def test_a_positive_decision_over_a_blocking_finding_is_refused(
        self, client: TestClient, rep: dict[str, str], reviewer: dict[str, str]
    ) -> None:
        case_id = submitted_case(client, rep, t11_body())["id"]
        version = claim(client, reviewer, case_id).json()["version"]
        finding_id = _add_blocking_finding(case_id)
        refused = decide(client, reviewer, case_id, version=version)
        assert refused.status_code == 422
        assert refused.json()["code"] == "decision_blocked"
        assert [(r["code"], r.get("finding_id")) for r in refused.json()["reasons"]] == [
            ("blocking_finding", finding_id)
        ]
        assert client.get(f"/api/v1/requests/{case_id}/letters", headers=rep).json() == []

    def test_a_blocking_finding_refuses_a_positive_decision_with_its_reasons(
        self, client: TestClient, rep: dict[str, str], reviewer: dict[str, str]
    ) -> None:
        case_id = _answered(
            client,
            rep,
            reviewer,
            "/worker/currently_in_canada",
            {"worker": {"currently_in_canada": True}},
        )
        [blocking] = [f for f in _findings(client, reviewer, case_id) if f["outcome"] == "block"]
        assert blocking["rule"] == "worker_in_canada"
        version = _version(client, reviewer, case_id)
        refused = decide(client, reviewer, case_id, version=version)
        assert refused.status_code == 422
        problem = refused.json()
        assert problem["code"] == "decision_blocked"
        assert problem["revision"] == 2
        assert problem["reasons"] == [
            {
                "code": "blocking_finding",
                "detail": blocking["message"]["en"],
                "finding_id": blocking["id"],
                "rule": "worker_in_canada",
                "outcomes": ["positive"],
            }
        ]
        after = client.get(f"/api/v1/requests/{case_id}", headers=reviewer).json()
        assert (after["status"], after["version"]) == ("in_review", version)
        assert client.get(f"/api/v1/requests/{case_id}/letters", headers=reviewer).json() == []
        preview = client.post(
            f"/api/v1/requests/{case_id}/decision/preview",
            json={"outcome": "positive", "exemption_code": "T11", "letter_language": "en"},
            headers=reviewer,
        )
        assert preview.json()["code"] == "decision_blocked"

    def test_a_refusal_is_allowed_and_states_the_blocking_findings(
        self, client: TestClient, rep: dict[str, str], reviewer: dict[str, str]
    ) -> None:
        case_id = _answered(
            client,
            rep,
            reviewer,
            "/worker/currently_in_canada",
            {"worker": {"currently_in_canada": True}},
        )
        [blocking] = [f for f in _findings(client, reviewer, case_id) if f["outcome"] == "block"]
        decided = decide(
            client,
            reviewer,
            case_id,
            version=_version(client, reviewer, case_id),
            outcome="negative",
            reasons=["The worker is in Canada."],
        )
        assert decided.status_code == 201, decided.text
        assert decided.json()["revision"] == 2
        assert decided.json()["reasons"] == ["The worker is in Canada.", blocking["message"]["en"]]
        [letter] = client.get(f"/api/v1/requests/{case_id}/letters", headers=rep).json()
        assert blocking["message"]["en"] in letter["facts"]["reasons"]

    def test_a_required_document_missing_from_the_revision_blocks(
        self, client: TestClient, rep: dict[str, str], reviewer: dict[str, str]
    ) -> None:
        # T36 needs a diploma the T11 case never attached: the code changed in revision 2.
        case_id = _answered(client, rep, reviewer, "exemption.code", {"exemption": {"code": "T36"}})
        ready = _readiness(client, reviewer, case_id)
        missing = [r for r in ready["reasons"] if r["code"] == "required_document_missing"]
        assert [r["kind"] for r in missing] == ["diploma"]
        assert ready["decidable"]["positive"] is False
        refused = decide(client, reviewer, case_id, exemption_code="T36")
        assert refused.status_code == 422
        assert {
            "code": "required_document_missing",
            "kind": "diploma",
            "detail": "A required document is missing",
            "outcomes": ["positive"],
        } in refused.json()["reasons"]


class TestLetterFacts:
    """Hole: a blanked fact was printed as a stand-in (the issue date as date of birth)."""

    def test_a_missing_letter_fact_blocks_every_outcome(
        self, client: TestClient, rep: dict[str, str], reviewer: dict[str, str]
    ) -> None:
        case_id = _answered(client, rep, reviewer, "work.end_date", {"work": {"end_date": None}})
        ready = _readiness(client, reviewer, case_id)
        assert ready["decidable"] == {"positive": False, "negative": False, "not_eligible": False}
        assert {
            "code": "letter_fact_missing",
            "detail": "A fact the letter prints is missing",
            "field": "/work/end_date",
            "outcomes": ["positive", "negative", "not_eligible"],
        } in ready["reasons"]
        for outcome in ("positive", "negative"):
            refused = decide(client, reviewer, case_id, outcome=outcome, reasons=["Refused."])
            assert refused.status_code == 422
            assert refused.json()["code"] == "decision_blocked"
            assert "/work/end_date" in [r.get("field") for r in refused.json()["reasons"]]
        assert client.get(f"/api/v1/requests/{case_id}/letters", headers=rep).json() == []


class TestResolutions:
    def _case_with_a_review_finding(
        self, client: TestClient, rep: dict[str, str], reviewer: dict[str, str]
    ) -> tuple[str, dict[str, Any]]:
        body = t11_body()
        body["worker"]["charged_or_convicted"] = True
        case_id = submitted_case(client, rep, body)["id"]
        assert claim(client, reviewer, case_id).status_code == 200
        [finding] = [f for f in _findings(client, reviewer, case_id) if f["outcome"] == "review"]
        assert finding["rule"] == "criminal_history_declared"
        assert finding["resolution"] is None
        return case_id, finding

    def test_a_review_finding_must_be_resolved_before_a_positive_decision(
        self, client: TestClient, rep: dict[str, str], reviewer: dict[str, str]
    ) -> None:
        case_id, finding = self._case_with_a_review_finding(client, rep, reviewer)
        refused = decide(client, reviewer, case_id)
        assert refused.status_code == 422
        assert refused.json()["reasons"] == [
            {
                "code": "finding_unresolved",
                "detail": "A review finding is not resolved",
                "finding_id": finding["id"],
                "rule": "criminal_history_declared",
                "outcomes": ["positive"],
            }
        ]
        assert _readiness(client, reviewer, case_id)["decidable"] == {
            "positive": False,
            "negative": True,
            "not_eligible": True,
        }
        resolved = _resolve(client, reviewer, case_id, finding["id"], resolution="accepted")
        assert resolved.status_code == 200, resolved.text
        assert resolved.json()["id"] == finding["id"]
        assert resolved.json()["resolution"]["resolution"] == "accepted"
        assert _readiness(client, reviewer, case_id) == {
            "revision": 1,
            "decidable": {"positive": True, "negative": True, "not_eligible": True},
            "reasons": [],
        }
        decided = decide(client, reviewer, case_id)
        assert decided.status_code == 201, decided.text
        record = client.get(f"/api/v1/requests/{case_id}/decision", headers=rep).json()
        assert record["revision"] == 1
        assert [(r["finding_id"], r["rule"], r["resolution"]) for r in record["resolutions"]] == [
            (finding["id"], "criminal_history_declared", "accepted")
        ]
        events = client.get(f"/api/v1/requests/{case_id}/events", headers=rep).json()
        [event] = [e for e in events if e["action"] == "finding.resolved"]
        assert event["subject_id"] == finding["id"]
        assert event["details"] == {
            "rule": "criminal_history_declared",
            "resolution": "accepted",
            "revision": 1,
        }

    def test_overriding_needs_a_note_and_only_the_holder_resolves(
        self, client: TestClient, accounts: Accounts, rep: dict[str, str], reviewer: dict[str, str]
    ) -> None:
        case_id, finding = self._case_with_a_review_finding(client, rep, reviewer)
        no_note = _resolve(client, reviewer, case_id, finding["id"], resolution="overridden")
        assert no_note.status_code == 422
        assert no_note.json()["errors"] == [{"pointer": "/note", "message": "required to override"}]
        other = accounts.make("reviewer")
        assert (
            _resolve(client, other, case_id, finding["id"], resolution="accepted").status_code
            == 403
        )
        assert (
            _resolve(client, rep, case_id, finding["id"], resolution="accepted").status_code == 403
        )
        unknown = _resolve(client, reviewer, case_id, "no-such-finding", resolution="accepted")
        assert unknown.status_code == 404
        note = "Charge withdrawn in 2019; court record seen."
        overridden = _resolve(
            client, reviewer, case_id, finding["id"], resolution="overridden", note=note
        )
        assert overridden.status_code == 200
        assert overridden.json()["resolution"]["note"] == note
        [shown] = [f for f in _findings(client, rep, case_id) if f["id"] == finding["id"]]
        assert shown["resolution"]["resolution"] == "overridden"
        events = client.get(f"/api/v1/requests/{case_id}/events", headers=rep).json()
        assert note not in str(events)

    def test_a_blocking_finding_or_one_of_an_earlier_revision_cannot_be_resolved(
        self, client: TestClient, rep: dict[str, str], reviewer: dict[str, str]
    ) -> None:
        body = t11_body()
        body["worker"]["charged_or_convicted"] = True
        case_id, info_id = asked_case(
            client, rep, reviewer, body, fields=("/worker/currently_in_canada",)
        )
        [old] = [f for f in _findings(client, reviewer, case_id) if f["outcome"] == "review"]
        client.patch(
            f"/api/v1/requests/{case_id}",
            json={"worker": {"currently_in_canada": True}},
            headers=rep,
        )
        assert respond(client, rep, case_id, info_id).status_code == 200
        stale = _resolve(client, reviewer, case_id, old["id"], resolution="accepted")
        assert stale.status_code == 409
        assert stale.json()["code"] == "invalid_state"
        [blocking] = [f for f in _findings(client, reviewer, case_id) if f["outcome"] == "block"]
        refused = _resolve(
            client, reviewer, case_id, blocking["id"], resolution="overridden", note="x"
        )
        assert refused.status_code == 409
        assert _readiness(client, reviewer, case_id)["revision"] == 2


class TestDecidedCasesAreFrozen:
    def test_after_a_decision_no_new_revision_is_possible(
        self, client: TestClient, rep: dict[str, str], reviewer: dict[str, str]
    ) -> None:
        case_id, info_id = asked_case(client, rep, reviewer, t11_body(), fields=("work.duties",))
        assert respond(client, rep, case_id, info_id).status_code == 200
        decided = decide(client, reviewer, case_id, version=_version(client, reviewer, case_id))
        assert decided.status_code == 201
        assert decided.json()["revision"] == 2
        assert respond(client, rep, case_id, info_id).status_code == 409
        patch = client.patch(
            f"/api/v1/requests/{case_id}", json={"work": {"duties": "New"}}, headers=rep
        )
        assert patch.status_code == 409
        asked = client.post(
            f"/api/v1/requests/{case_id}/info-requests",
            json={"message": "More", "fields": ["work.duties"], "due_date": "2099-01-01"},
            headers=reviewer,
        )
        assert asked.status_code == 409
        revisions = client.get(f"/api/v1/requests/{case_id}/revisions", headers=rep).json()
        assert [r["number"] for r in revisions] == [1, 2]
