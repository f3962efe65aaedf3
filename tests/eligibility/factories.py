"""Complete, valid IMM 5686 requests for tests (eligibility and intake alike).

`complete_t11_content()` is a US citizen working for a US government agency (exemption T11, LMIA
exemption, NOC 43203, Ottawa ON); it passes every prerequisite rule once the documents in
`T11_PRESENT_KINDS` are uploaded.
"""

import copy
from collections.abc import Mapping
from datetime import date
from typing import Any

from app.common.form import RequestContent

TODAY = date(2026, 3, 2)
T11_PRESENT_KINDS: frozenset[str] = frozenset(
    {"passport_bio_page", "cv", "job_offer", "employer_letter", "other_evidence"}
)


def complete_t11_data() -> dict[str, Any]:
    """The request body as a client would send it (a fresh copy on each call)."""
    return {
        "language": "en",
        "exemption": {"type": "lmia_exemption", "code": "T11"},
        "employer": {
            "name": "U.S. Customs and Border Protection",
            "address": "490 Sussex Drive, Ottawa, ON K1N 1G8",
            "phone": "+1 613 555 0100",
            "contact_name": "Pat Example",
            "email": "contact@example.gov",
            "size_in_canada": "1-20",
            "principal_activity": "Pre-clearance of travellers bound for the United States",
        },
        "worker": {
            "family_name": "Example",
            "given_names": "Sam",
            "date_of_birth": "1985-06-15",
            "gender": "X",
            "citizenship": "US",
            "country_of_birth": "US",
            "country_of_residence": "US",
            "currently_in_canada": False,
            "current_location_country": "US",
            "holds_or_applied_for_work_permit": False,
            "charged_or_convicted": False,
            "us_permanent_resident": False,
            "passport": {
                "number": "X12345678",
                "issuing_country": "US",
                "expiry_date": "2031-06-30",
            },
        },
        "work": {
            "job_title": "CBP pre-clearance officer",
            "noc_code": "43203",
            "location": {"address": "1000 Airport Parkway", "city": "Ottawa", "province": "ON"},
            "start_date": "2026-04-01",
            "end_date": "2026-09-30",
            "duties": "Pre-clearance inspection of passengers and goods bound for the US.",
        },
    }


def set_pointer(data: dict[str, Any], pointer: str, value: object) -> None:
    """Set the value at a JSON pointer ("/worker/passport/number"), creating objects on the way."""
    *parents, last = pointer.strip("/").split("/")
    node = data
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = value


def complete_t11_content(changes: Mapping[str, object] | None = None) -> RequestContent:
    """The complete T11 request, with `changes` ({JSON pointer: value}) applied first."""
    data = copy.deepcopy(complete_t11_data())
    for pointer, value in (changes or {}).items():
        set_pointer(data, pointer, value)
    return RequestContent.model_validate(data)
