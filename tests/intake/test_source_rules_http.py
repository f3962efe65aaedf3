"""Issue 11 through the HTTP API, on the real database: what a representative and a reviewer
see for one code per request (R3), an LMIA-required job (R11), a treaty citizenship that does not
fit, an urgent case and its due date, and each review rule on a submitted case."""

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.common.clock import today
from app.triage.calendar import add_business_days
from tests.builders import make_pdf
from tests.eligibility.factories import set_pointer
from tests.intake.scenarios import attach_required, create, submit, t11_body, upload
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


FR_CITIZEN: Mapping[str, object] = {
    "/worker/citizenship": "FR",
    "/worker/country_of_birth": "FR",
    "/worker/travel_passport_country": "FR",
    "/worker/passport/issuing_country": "FR",
}


# One submitted case per review rule of issue 11: (rule, changes to t11_body, the job offer's
# lines or None for the scenario's offer that matches the form, the fields the reviewer sees).
REVIEW_CASES: list[tuple[str, Mapping[str, object], list[str] | None, list[str]]] = [
    (
        "job_location_differs_from_offer",
        {},
        ["Offer of employment", "NOC 43203", "Work location: 100 Queen St W, Toronto, ON"],
        ["/work/location/city", "/documents/job_offer"],
    ),
    (
        "permit_length_exceeded",
        {
            "/exemption/code": "T36",
            "/work/job_title": "Civil engineer",
            "/work/end_date": "2030-03-31",
        },
        None,
        ["/work/start_date", "/work/end_date", "/exemption/code"],
    ),
    (
        "short_term_duration",
        {
            "/exemption/type": "work_permit_exemption",
            "/exemption/code": "R186(j)",
            "/work/end_date": timedelta(days=6),  # after the scenario's start date
        },
        None,
        ["/work/end_date"],
    ),
    (
        "noc_not_allowed_for_code",
        {"/exemption/code": "C24"},
        None,
        ["/work/noc_code", "/exemption/code"],
    ),
    (
        "noc_teer_not_allowed",
        {"/exemption/code": "C88", "/work/noc_code": "65200"},
        None,
        ["/work/noc_code", "/exemption/code"],
    ),
    (
        "c16_outside_quebec",
        {
            "/exemption/code": "C16",
            "/work/location/city": "Montréal",
            "/work/location/province": "QC",
        },
        None,
        ["/work/location/province", "/exemption/code"],
    ),
    (
        "c16_french_level",
        {"/exemption/code": "C16", "/worker/french_nclc_level": 4},
        None,
        ["/worker/french_nclc_level", "/documents/language_test"],
    ),
    (
        "medical_exam_likely",
        {"/work/noc_code": "31301"},
        None,
        ["/work/noc_code", "/documents/medical_exam_results"],
    ),
    (
        "medical_exam_residence",
        {"/work/end_date": "2027-12-31", "/worker/countries_lived_last_year": ["US"]},
        None,
        ["/worker/countries_lived_last_year", "/work/end_date", "/documents/medical_exam_results"],
    ),
    (
        "agricultural_work_check",
        {"/work/noc_code": "85101"},
        None,
        ["/work/noc_code", "/work/seasonal_agricultural"],
    ),
    (
        "flagpoling_suspected",
        {**FR_CITIZEN, "/worker/country_of_residence": "CA"},
        None,
        ["/worker/country_of_residence", "/worker/current_location_country"],
    ),
    (
        "worker_minor",
        {"/worker/date_of_birth": timedelta(days=-17 * 365)},  # 17 at the start date
        None,
        ["/worker/date_of_birth", "/work/start_date"],
    ),
    (
        "passport_number_mismatch",
        {},
        ["Offer of employment", "NOC 43203, Ottawa, ON", "Passport No.: Z99999999"],
        ["/worker/passport/number", "/documents/job_offer"],
    ),
]


class TestEachReviewRuleOnASubmittedCase:
    @pytest.mark.parametrize(
        ("rule", "changes", "offer", "fields"),
        REVIEW_CASES,
        ids=[case[0] for case in REVIEW_CASES],
    )
    def test_the_reviewer_sees_the_finding(
        self,
        client: TestClient,
        rep: dict[str, str],
        reviewer: dict[str, str],
        rule: str,
        changes: Mapping[str, object],
        offer: list[str] | None,
        fields: list[str],
    ) -> None:
        body = t11_body()
        body["employer"]["offer_number"] = "A1234567"
        start = date.fromisoformat(body["work"]["start_date"])
        for pointer, value in changes.items():
            if isinstance(value, timedelta):
                value = (start + value).isoformat()
            set_pointer(body, pointer, value)
        created = create(client, rep, body)
        if offer is not None:
            response = upload(client, rep, created["id"], "job_offer", make_pdf(offer))
            assert response.status_code == 201, response.text
        attach_required(client, rep, created["id"], body)
        response = submit(client, rep, created["id"])
        assert response.status_code == 200, response.text
        triage = client.get(f"/api/v1/requests/{created['id']}/triage", headers=reviewer).json()
        found = [f for f in triage["findings"] if f["rule"] == rule]
        assert [(f["outcome"], f["fields"]) for f in found] == [("review", fields)]
        assert found[0]["message"]["en"] != found[0]["message"]["fr"]
        assert not [f for f in triage["findings"] if f["outcome"] == "block"]
