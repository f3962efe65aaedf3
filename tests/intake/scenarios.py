"""Complete requests for the three cases the issue names, and helpers to attach their documents."""

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from tests.builders import make_jpeg, make_pdf

T11_BODY: dict[str, Any] = {
    "language": "en",
    "exemption": {"type": "lmia_exemption", "code": "T11"},
    "employer": {
        "name": "U.S. Customs and Border Protection",
        "address": "1 Airport Rd, Ottawa ON K1V 9B4",
        "phone": "+1 613 555 0100",
        "contact_name": "Jordan Smith",
        "email": "hr@cbp.example",
        "website": "https://cbp.example",
        "size_in_canada": "21-100",
        "size_abroad": "1000+",
        "principal_activity": "Pre-clearance of travellers to the United States",
        "business_number": "123456789",
        "offer_number": None,
    },
    "worker": {
        "family_name": "Rivera",
        "given_names": "Alex Sam",
        "date_of_birth": "1984-03-02",
        "gender": "F",
        "citizenship": "US",
        "country_of_birth": "US",
        "country_of_residence": "US",
        "other_citizenships": [],
        "travel_passport_country": "US",
        "uci": None,
        "currently_in_canada": False,
        "in_canada_explanation": None,
        "current_location_country": "US",
        "holds_or_applied_for_work_permit": False,
        "charged_or_convicted": False,
        "passport": {"number": "X1234567", "issuing_country": "US", "expiry_date": "2031-05-01"},
    },
    "work": {
        "job_title": "CBP pre-clearance officer",
        "noc_code": "43203",
        "location": {"address": "1000 Airport Parkway Private", "city": "Ottawa", "province": "ON"},
        "start_date": "2027-01-04",
        "end_date": "2027-06-30",
        "duties": "Pre-clearance inspection of travellers bound for the United States",
        "minimum_education": "High school diploma",
        "skills_experience": "3 years with CBP",
        "certification": {
            "provincial": False,
            "territorial": False,
            "federal": False,
            "body": None,
        },
        "wage": {"amount": "95000.00", "currency": "USD", "per": "year"},
        "hours_per_week": 37.5,
        "intended_port_of_entry": "Ottawa Macdonald-Cartier Airport",
        "intended_entry_date": "2027-01-02",
    },
    "representative": None,
}


def t11_body() -> dict[str, Any]:
    """A US citizen, US government employee (CBP pre-clearance) posted to Ottawa under T11."""
    body = copy.deepcopy(T11_BODY)
    body["work"].update(upcoming_dates())
    return body


def upcoming_dates() -> dict[str, str]:
    """Work dates about two months from today, so that the scenarios never go stale: entry two
    days before the start (not urgent), a stay under six months (a longer one asks a reviewer
    about medical exams)."""
    start = datetime.now(UTC).date() + timedelta(days=60)
    return {
        "start_date": start.isoformat(),
        "end_date": (start + timedelta(days=170)).isoformat(),
        "intended_entry_date": (start - timedelta(days=2)).isoformat(),
    }


def c20_body() -> dict[str, Any]:
    """A French academic on a reciprocal exchange in Montréal under C20."""
    body = t11_body()
    body["exemption"] = {"type": "lmia_exemption", "code": "C20"}
    body["worker"].update(
        citizenship="FR",
        country_of_birth="FR",
        country_of_residence="FR",
        travel_passport_country="FR",
        current_location_country="FR",
    )
    body["worker"]["passport"]["issuing_country"] = "FR"
    body["work"].update(job_title="University professor", noc_code="41200")
    body["work"]["location"] = {
        "address": "845 Sherbrooke St W",
        "city": "Montréal",
        "province": "QC",
    }
    body["language"] = "fr"
    body["employer"]["offer_number"] = "A1234567"
    return body


def t36_body() -> dict[str, Any]:
    """A US engineer, CUSMA professional, in Calgary under T36 (needs an Employer Portal offer)."""
    body = t11_body()
    body["exemption"] = {"type": "lmia_exemption", "code": "T36"}
    body["work"].update(job_title="Civil engineer", noc_code="21300")
    body["work"]["location"] = {"address": "100 7 Ave SW", "city": "Calgary", "province": "AB"}
    body["employer"]["offer_number"] = "A7654321"
    return body


def job_offer_pdf(body: dict[str, Any]) -> bytes:
    work = body["work"]
    location = work["location"]
    return make_pdf(
        [
            "Offer of employment",
            f"Position: {work['job_title']} (NOC {work['noc_code']})",
            f"Work location: {location['address']}, {location['city']}, {location['province']}",
        ]
    )


def create(client: TestClient, headers: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/api/v1/requests", json=body, headers=headers)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def upload(
    client: TestClient,
    headers: dict[str, str],
    request_id: str,
    kind: str,
    data: bytes,
    *,
    filename: str = "file.pdf",
    content_type: str = "application/pdf",
) -> Any:
    return client.post(
        f"/api/v1/requests/{request_id}/documents",
        data={"kind": kind},
        files={"file": (filename, data, content_type)},
        headers=headers,
    )


def missing_kinds(client: TestClient, headers: dict[str, str], request_id: str) -> list[str]:
    report = client.post(f"/api/v1/requests/{request_id}/validate", headers=headers).json()
    return [i["kind"] for i in report["checklist"] if i["required"] and not i["present"]]


def attach_required(
    client: TestClient, headers: dict[str, str], request_id: str, body: dict[str, Any]
) -> None:
    """Attach one real file for every required document kind the checklist lists."""
    for kind in missing_kinds(client, headers, request_id):
        if kind == "job_offer":
            response = upload(client, headers, request_id, kind, job_offer_pdf(body))
        elif kind == "passport_bio_page":
            response = upload(
                client,
                headers,
                request_id,
                kind,
                make_jpeg(640, 480),
                filename="passport.jpg",
                content_type="image/jpeg",
            )
        else:
            response = upload(client, headers, request_id, kind, make_pdf([f"{kind} document"]))
        assert response.status_code == 201, response.text


def submit(client: TestClient, headers: dict[str, str], request_id: str) -> Any:
    return client.post(
        f"/api/v1/requests/{request_id}/submit",
        json={"declarant_name": "Pat Declarant", "declaration_accepted": True},
        headers=headers,
    )
