"""Issue 11 through the HTTP API, on the real database: what a representative and a reviewer
see for one code per request (R3), an LMIA-required job (R11), a treaty citizenship that does not
fit, an urgent case and its due date."""

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from app.common.clock import today
from app.triage.calendar import add_business_days
from tests.intake.scenarios import attach_required, create, submit, t11_body
from tests.queue.helpers import submitted_case


def rules_of(report: dict[str, Any]) -> list[tuple[str, str]]:
    return [(f["rule"], f["outcome"]) for f in report["findings"]]


class TestOneCodePerRequest:
    def test_two_codes_are_refused_naming_them(
        self, client: TestClient, rep: dict[str, str]
    ) -> None:
        body = t11_body()
        body["exemption"]["code"] = "T37, T38"
        created = create(client, rep, body)
        assert created["exemption"]["code"] == "T37, T38"
        attach_required(client, rep, created["id"], t11_body())
        response = submit(client, rep, created["id"])
        assert response.status_code == 422
        assert response.json()["code"] == "request_not_submittable"
        findings = response.json()["validation"]["findings"]
        several = [f for f in findings if f["rule"] == "several_codes"]
        assert several == [
            {
                "rule": "several_codes",
                "outcome": "block",
                "message": {
                    "en": "IMWU processes one exemption code per request, and this request names "
                    "several (T37, T38). Choose the single code most relevant to the job.",
                    "fr": "L'UMIT traite un seul code de dispense par demande, et cette demande en "
                    "nomme plusieurs (T37, T38). Choisissez le code le plus pertinent pour "
                    "l'emploi.",
                },
                "fields": ["/exemption/code"],
            }
        ]
        assert "code_unknown" not in [f["rule"] for f in findings]


class TestLmiaRequired:
    def test_an_lmia_job_is_refused_with_the_lmia_route(
        self, client: TestClient, rep: dict[str, str]
    ) -> None:
        body = t11_body()
        body["exemption"] = {"type": "lmia_required", "code": None}
        created = create(client, rep, body)
        report = client.post(f"/api/v1/requests/{created['id']}/validate", headers=rep).json()
        assert ("lmia_required_out_of_scope", "block") in rules_of(report)
        assert "required_field_missing" not in [rule for rule, _ in rules_of(report)]


class TestTriageOfTheNewRules:
    def test_a_submitted_case_shows_the_review_findings_and_urgency(
        self, client: TestClient, rep: dict[str, str], reviewer: dict[str, str]
    ) -> None:
        body = t11_body()
        body["exemption"]["code"] = "T11"
        body["worker"]["previously_refused"] = True
        body["worker"]["accompanying_family"] = True
        entry = add_business_days(today(), 3)
        body["work"]["intended_entry_date"] = entry.isoformat()
        case = submitted_case(client, rep, body)
        triage = client.get(f"/api/v1/requests/{case['id']}/triage", headers=reviewer).json()
        rules = rules_of(triage)
        assert ("prior_immigration_history", "review") in rules
        assert ("accompanying_family", "review") in rules
        assert ("t11_regulation_note", "warn") in rules
        assert triage["stream"] == "international_agreement"
        assert triage["urgent"] is True
        assert triage["priority_reasons"][:2] == ["urgent", "entry_within_10_business_days"]
        assert triage["due_date"] < entry.isoformat()
        assert triage["due_date"] >= (entry - timedelta(days=4)).isoformat()

    def test_a_cusma_code_for_a_french_citizen_goes_to_review(
        self, client: TestClient, rep: dict[str, str], reviewer: dict[str, str]
    ) -> None:
        body = t11_body()
        body["exemption"]["code"] = "T36"
        body["employer"]["offer_number"] = "A1234567"
        for field in ("citizenship", "country_of_birth", "travel_passport_country"):
            body["worker"][field] = "FR"
        body["worker"]["passport"]["issuing_country"] = "FR"
        body["work"]["job_title"] = "Welder"
        created = create(client, rep, body)
        attach_required(client, rep, created["id"], body)
        response = submit(client, rep, created["id"])
        assert response.status_code == 200, response.text
        triage = client.get(f"/api/v1/requests/{created['id']}/triage", headers=reviewer).json()
        by_rule = {f["rule"]: f for f in triage["findings"]}
        assert by_rule["agreement_citizenship"]["outcome"] == "review"
        assert "CUSMA" in by_rule["agreement_citizenship"]["message"]["en"]
        assert "ACEUM" in by_rule["agreement_citizenship"]["message"]["fr"]
        assert by_rule["profession_not_listed"]["fields"] == ["/work/job_title"]
        assert triage["stream"] == "trade_agreement"
