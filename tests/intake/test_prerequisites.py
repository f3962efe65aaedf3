"""Every refusal reason of issue 3 §6, through the HTTP API: blocks refuse submit, reviews do not."""

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.intake.scenarios import attach_required, create, submit, t11_body

Body = dict[str, Any]


def _national_of(country: str) -> Callable[[Body], None]:
    def change(body: Body) -> None:
        body["worker"].update(
            citizenship=country,
            travel_passport_country=country,
            country_of_birth=country,
            country_of_residence=country,
            current_location_country=country,
        )
        body["worker"]["passport"]["issuing_country"] = country

    return change


def _code(code: str, kind: str = "lmia_exemption") -> Callable[[Body], None]:
    def change(body: Body) -> None:
        body["exemption"] = {"type": kind, "code": code}

    return change


def _worker(**values: Any) -> Callable[[Body], None]:
    return lambda body: body["worker"].update(values)


def _both(*changes: Callable[[Body], None]) -> Callable[[Body], None]:
    def change(body: Body) -> None:
        for c in changes:
            c(body)

    return change


def _no_offer(body: Body) -> None:
    body["employer"]["offer_number"] = None


def _passport_expires_early(body: Body) -> None:
    body["worker"]["passport"]["expiry_date"] = "2027-06-01"


BLOCKING = {
    "worker_in_canada": _worker(currently_in_canada=True, in_canada_explanation="Visiting"),
    "existing_work_permit": _worker(holds_or_applied_for_work_permit=True),
    "nationality_not_visa_exempt": _national_of("IN"),
    "nationality_conditional_eta": _national_of("MX"),
    "code_not_allowed_at_poe": _code("C18"),
    "code_in_canada_only": _code("A70"),
    "iec_requires_us_national": _both(_national_of("FR"), _code("C21")),
    "code_unknown": _code("Z99"),
    "offer_number_missing": _both(_code("T36"), _no_offer),
}

REVIEW_OR_WARN = {
    "nationality_document_conditional": (_national_of("IL"), "review"),
    "us_permanent_resident": (
        _both(_national_of("IN"), _worker(us_permanent_resident=True)),
        "review",
    ),
    "code_superseded": (_code("T23"), "review"),
    "criminal_history_declared": (_worker(charged_or_convicted=True), "review"),
    "passport_expires_before_end": (_both(_national_of("FR"), _passport_expires_early), "warn"),
}


@pytest.mark.parametrize("rule", sorted(BLOCKING))
def test_blocking_rule_refuses_submit(client: TestClient, rep: dict[str, str], rule: str) -> None:
    body = t11_body()
    BLOCKING[rule](body)
    created = create(client, rep, body)
    attach_required(client, rep, created["id"], body)
    response = submit(client, rep, created["id"])
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "request_not_submittable"
    found = [f for f in problem["validation"]["findings"] if f["rule"] == rule]
    assert found, problem["validation"]["findings"]
    assert found[0]["outcome"] == "block"
    assert found[0]["message"]["en"]
    assert found[0]["message"]["fr"]
    assert client.get(f"/api/v1/requests/{created['id']}", headers=rep).json()["status"] == "draft"


@pytest.mark.parametrize("rule", sorted(REVIEW_OR_WARN))
def test_review_rules_flag_but_do_not_refuse(
    client: TestClient, rep: dict[str, str], rule: str
) -> None:
    change, outcome = REVIEW_OR_WARN[rule]
    body = t11_body()
    change(body)
    created = create(client, rep, body)
    attach_required(client, rep, created["id"], body)
    report = client.post(f"/api/v1/requests/{created['id']}/validate", headers=rep).json()
    found = [f for f in report["findings"] if f["rule"] == rule]
    assert found, report["findings"]
    assert found[0]["outcome"] == outcome
    blocking = [f["rule"] for f in report["findings"] if f["outcome"] == "block"]
    if blocking:
        pytest.fail(f"unexpected blocking findings {blocking}")
    assert submit(client, rep, created["id"]).status_code == 200


def test_validate_changes_nothing(client: TestClient, rep: dict[str, str]) -> None:
    created = create(client, rep, t11_body())
    before = client.get(f"/api/v1/requests/{created['id']}", headers=rep).json()
    report = client.post(f"/api/v1/requests/{created['id']}/validate", headers=rep).json()
    assert report["submittable"] is False
    assert {"kind": "job_offer", "required": True, "present": False} in [
        {k: i[k] for k in ("kind", "required", "present")} for i in report["checklist"]
    ]
    assert client.get(f"/api/v1/requests/{created['id']}", headers=rep).json() == before
