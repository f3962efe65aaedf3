"""Requests that, together, make every prerequisite and triage rule speak at least once: the
input of the tests that read every message (both languages, French wholly in French)."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from app.common.findings import Finding
from app.eligibility.reference import load_reference
from app.triage.engine import run_triage
from app.triage.rules import TriageContext
from tests.eligibility.factories import T11_PRESENT_KINDS, TODAY, complete_t11_content

OFFER_TEXT = "Employment offer. NOC 43203. Work location: 1000 Airport Parkway, Ottawa, ON K1V 9B4."
C20_MONTREAL: Mapping[str, object] = {
    "/exemption/code": "C20",
    "/work/location/city": "Montréal",
    "/work/location/province": "QC",
}
_EMPTY = dict.fromkeys(("/worker/family_name", "/worker/passport/number", "/work/duties"))


@dataclass(frozen=True)
class Case:
    changes: Mapping[str, object]
    offer_text: str | None = OFFER_TEXT
    present: Iterable[str] = field(default=T11_PRESENT_KINDS)
    today: date = TODAY


def _nationality(country: str) -> dict[str, object]:
    return {
        "/worker/citizenship": country,
        "/worker/passport/issuing_country": country,
        "/worker/country_of_birth": country,
    }


CASES: tuple[Case, ...] = (
    Case({"/worker/other_citizenships": ["FR"], "/work/wage/amount": None}),
    Case(C20_MONTREAL, offer_text=None),
    Case(C20_MONTREAL, offer_text="Toronto"),
    Case({}, offer_text=None),
    Case({"/work/noc_code": "31301", "/work/wage/amount": "-5"}, offer_text="Ottawa"),
    Case({"/exemption/code": "A77", "/work/start_date": "2026-01-05"}, present=()),
    Case({**_EMPTY, "/worker/currently_in_canada": True, "/worker/charged_or_convicted": True}),
    Case({"/worker/holds_or_applied_for_work_permit": True, **_nationality("MX")}),
    Case({**_nationality("CN"), "/exemption/code": "C21"}),
    Case({**_nationality("IL"), "/worker/passport/expiry_date": "2026-05-01"}),
    Case({**_nationality("TW")}),
    Case({**_nationality("RO")}),
    Case({**_nationality("HK")}),
    Case({**_nationality("IN"), "/worker/us_permanent_resident": True}),
    Case({"/exemption/type": "lmia_required", "/exemption/code": None}),
    Case({"/work/seasonal_agricultural": True, "/work/noc_code": "85101"}),
    Case({"/exemption/code": "T37/T38"}),
    Case({"/exemption/code": "Z99"}),
    Case({"/exemption/code": "T12"}),
    Case({"/exemption/code": "R186(a)"}),
    Case({"/exemption/code": "T23"}),
    Case({"/exemption/code": "T50", **_nationality("AU")}),
    Case({"/exemption/code": "A70"}),
    Case({"/exemption/code": "C41"}),
    Case({"/exemption/code": "T36", "/work/job_title": "Welder"}),
    Case({"/exemption/code": "T33", "/work/job_title": "Chef"}),
    Case({"/exemption/code": "T44", **_nationality("GB")}),
    Case({"/exemption/code": "T52", **_nationality("GB"), "/worker/permanent_resident_of": ["AU"]}),
    Case({"/exemption/code": "C16", "/work/location/province": "QC"}),
    Case({"/exemption/code": "C16", "/worker/french_nclc_level": 4}, offer_text="Québec"),
    Case({"/exemption/code": "C88", "/work/noc_code": "65200"}),
    Case({"/exemption/code": "GSS-15/30", "/exemption/type": "work_permit_exemption"}),
    Case({"/work/noc_code": "4321"}),
    Case({"/work/noc_code": "47201"}),
    Case({"/worker/country_of_residence": "CA", **_nationality("FR")}),
    Case({"/worker/date_of_birth": "2010-01-01"}),
    Case({"/worker/previously_refused": True, "/worker/accompanying_family": True}),
    Case({"/work/end_date": "2027-12-31"}),
    Case({"/work/end_date": "2027-12-31", "/worker/countries_lived_last_year": ["FR"]}),
    Case({"/work/noc_code": "85100"}, offer_text="NOC 85100"),
    Case({}, offer_text="NOC 43203, Ottawa ON. Passport No.: X99999999"),
    Case({}, offer_text="NOC 43203. Work location: Toronto, ON"),
    Case({}, offer_text="NOC 43203. Work location: Ottawa. Head office: Montréal (Québec)"),
    Case({}, offer_text="NOC 43203. Work location: Vancouver, British Columbia"),
    Case({"/exemption/code": "C24"}),
    Case({"/exemption/code": "T36", "/work/end_date": "2029-06-30"}),
    Case({"/exemption/code": "T47", **_nationality("FR"), "/work/end_date": "2027-06-30"}),
    Case(
        {
            "/exemption/code": "C22",
            "/work/job_title": "Visiting professor",
            "/work/end_date": "2028-06-30",
        }
    ),
    Case(
        {
            "/exemption/code": "R186(j)",
            "/exemption/type": "work_permit_exemption",
            "/work/end_date": "2026-04-10",
        }
    ),
)


def case_findings(case: Case) -> list[Finding]:
    """Every finding of the case (prerequisites, then triage), as submit would store them."""
    content = complete_t11_content({"/work/wage/amount": "40.00", **case.changes})
    ctx = TriageContext(
        content, load_reference(), frozenset(case.present), case.offer_text, case.today
    )
    return list(run_triage(ctx).findings)


def corpus_findings() -> list[Finding]:
    return [finding for case in CASES for finding in case_findings(case)]
