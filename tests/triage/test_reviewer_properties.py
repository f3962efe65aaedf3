"""Property (issue 11): no rule refuses a case whose facts the sources leave to a reviewer.

`poe_eligibility.md` §6 lists what a human decides: dual nationals, document-type conditions,
whether an IME is needed, criminal history, prior immigration history, minors, accompanying
family, whether the worker is really outside Canada, superseded codes and facts that fit another
code, work in Quebec; §4-§5 and rules_notes.md §2, §9, §10 add the IME residence history,
flagpoling, the passport number in the offer, treaty citizenship, professions and TEER limits,
permit lengths, the occupations C24 and C90 admit, and the job location the offer must match.
The drawn cases vary exactly those facts over requests that meet every §3 REJECT condition
(visa-exempt travel passport, outside Canada, no permit, an allowed code of the matching type,
every document uploaded), so a `block` finding here would be a rule refusing what a reviewer
decides.
"""

from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.common.findings import Outcome
from app.common.form import RequestContent
from app.eligibility.checklist import DOCUMENT_KINDS
from app.eligibility.medical import add_months
from app.eligibility.reference import load_reference
from app.eligibility.rules import VISA_EXEMPT_STATUSES
from app.triage.engine import run_triage
from app.triage.limit_rules import PERMIT_LENGTH_LIMITS
from app.triage.rules import TriageContext, mentions_phrase, mentions_province
from tests.eligibility.factories import TODAY, complete_t11_data, set_pointer

REFERENCE = load_reference()
_TYPE_OF_KIND = {
    "lmia_exempt_work_permit": "lmia_exemption",
    "work_permit_exemption": "work_permit_exemption",
}
# Codes a request may name without a §3 refusal: confirmed, current or superseded, not barred
# from the port of entry (R8, R9), not for people in Canada.
CODES = sorted(
    record.key
    for record in REFERENCE.codes.values()
    if record.confirmed
    and not record.unconfirmed_fields
    and record.status in {"current", "superseded"}
    and record.poe_application not in {"not_allowed", "not_allowed_unless_us_or_approved"}
    and record.imwu_scope != "out_of_scope_in_canada"
)
# The codes the rules read (agreements, professions, C16, TEER limits, T11, superseded),
# drawn more often than the rest.
FOCUS = ["T11", "T36", "T33", "T41", "F61", "T52", "T55", "F52", "C16", "C88", "T13", "GSS-15/30"]
FOCUS += ["T23", "C12", "C20", "T43", "T47", "T48", "C22", "C24", "R186(J)", "T45"]
# Travel passports that are visa-exempt at a port of entry (not conditional eTA: R4, R5).
EXEMPT = sorted(
    code for code, record in REFERENCE.countries.items() if record.status in VISA_EXEMPT_STATUSES
)
ANY_COUNTRY = st.sampled_from([*EXEMPT, "CN", "IN", "MX", "BR", "PE", "CO", "UA", "MY", "GU"])
NOCS = st.sampled_from(
    ["43203", "31301", "33102", "41220", "44101", "85101", "84120", "21231", "00012", "65200"]
) | st.from_regex(r"\A[0-9][0-5][0-9]{3}\Z")
TITLES = st.sampled_from(
    [
        "Engineer",
        "Welder",
        "Registered nurse",
        "Chef",
        "Ingénieure",
        "Land surveyor",
        "Analyst",
        "Visiting professor",
        "Exchange teacher",
    ]
)
OFFER_TEXTS = st.sampled_from(
    [
        None,
        "",
        "NOC 43203, Ottawa ON",
        "Offer. Passport No.: Z99999999. Montréal (Québec)",
        "Numéro de passeport : X12345678, Toronto",
        "NOC 43203. Work location: Vancouver, British Columbia",
        "NOC 43203. Work location: Ottawa. Head office: Montréal (Québec)",
    ]
)

REVIEWER_FACTS = {
    "/worker/citizenship": ANY_COUNTRY,
    "/worker/other_citizenships": st.lists(ANY_COUNTRY, max_size=3),
    "/worker/permanent_resident_of": st.lists(ANY_COUNTRY, max_size=2),
    "/worker/us_permanent_resident": st.sampled_from([None, True, False]),
    "/worker/country_of_residence": st.sampled_from(["CA", "US", "FR", "GB", "JP"]),
    "/worker/current_location_country": st.sampled_from(["US", "PM", "FR", "GB", "JP"]),
    "/worker/charged_or_convicted": st.booleans(),
    "/worker/previously_refused": st.sampled_from([None, True, False]),
    "/worker/previously_overstayed": st.sampled_from([None, True, False]),
    "/worker/previous_canadian_permit": st.sampled_from([None, True, False]),
    "/worker/accompanying_family": st.sampled_from([None, True, False]),
    "/worker/countries_lived_last_year": st.none() | st.lists(ANY_COUNTRY, max_size=3),
    "/worker/french_nclc_level": st.none() | st.integers(1, 12),
    "/worker/passport/number": st.sampled_from(["X12345678", "X1234-5678", "Z99999999"]),
    "/work/noc_code": NOCS,
    "/work/job_title": TITLES,
    "/work/location/city": st.sampled_from(["Ottawa", "Montréal", "Toronto", "Vancouver"]),
    "/work/location/province": st.sampled_from(["ON", "QC", "BC", "NB"]),
    "/work/seasonal_agricultural": st.sampled_from([None, False]),
}


@st.composite
def reviewer_cases(
    draw: st.DrawFn, codes: st.SearchStrategy[str] = st.sampled_from(CODES)
) -> tuple[RequestContent, str | None]:
    data: dict[str, Any] = complete_t11_data()
    record = REFERENCE.codes[draw(codes)]
    set_pointer(data, "/exemption/code", record.code)
    set_pointer(data, "/exemption/type", _TYPE_OF_KIND[record.kind])
    set_pointer(data, "/employer/offer_number", "A1234567")
    travel = draw(st.sampled_from(EXEMPT))
    set_pointer(data, "/worker/travel_passport_country", travel)
    set_pointer(data, "/worker/passport/issuing_country", travel)
    for pointer, facts in sorted(REVIEWER_FACTS.items()):
        if draw(st.booleans()):
            set_pointer(data, pointer, draw(facts))
    born = draw(st.dates(date(1950, 1, 1), TODAY - timedelta(days=5000)))
    start = draw(st.dates(TODAY - timedelta(days=30), TODAY + timedelta(days=400)))
    end = start + timedelta(days=draw(st.integers(0, 1200)))
    set_pointer(data, "/worker/date_of_birth", born.isoformat())
    set_pointer(data, "/worker/passport/expiry_date", (end + timedelta(days=1)).isoformat())
    set_pointer(data, "/work/start_date", start.isoformat())
    set_pointer(data, "/work/end_date", end.isoformat())
    return RequestContent.model_validate(data), draw(OFFER_TEXTS)


def _refusals(case: tuple[RequestContent, str | None], with_ime: bool) -> list[object]:
    content, offer_text = case
    kinds = frozenset(DOCUMENT_KINDS) - (set() if with_ime else {"medical_exam_results"})
    result = run_triage(TriageContext(content, REFERENCE, kinds, offer_text, TODAY))
    return [(f.rule, f.fields) for f in result.findings if f.outcome is Outcome.BLOCK]


_SLOW_OK = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


@settings(max_examples=300, deadline=None, suppress_health_check=_SLOW_OK)
@given(case=reviewer_cases(), with_ime=st.booleans())
def test_no_rule_refuses_what_a_reviewer_decides(
    case: tuple[RequestContent, str | None], with_ime: bool
) -> None:
    assert _refusals(case, with_ime) == []


@pytest.mark.parametrize("code", FOCUS)
def test_no_rule_refuses_what_a_reviewer_decides_for_the_codes_the_rules_read(code: str) -> None:
    @settings(max_examples=80, deadline=None, suppress_health_check=_SLOW_OK)
    @given(case=reviewer_cases(st.just(code)), with_ime=st.booleans())
    def check(case: tuple[RequestContent, str | None], with_ime: bool) -> None:
        assert _refusals(case, with_ime) == []

    check()


@settings(max_examples=150, deadline=None, suppress_health_check=_SLOW_OK)
@given(case=reviewer_cases())
def test_declared_history_family_and_minors_always_reach_a_reviewer(
    case: tuple[RequestContent, str | None],
) -> None:
    content, offer_text = case
    result = run_triage(
        TriageContext(content, REFERENCE, frozenset(DOCUMENT_KINDS), offer_text, TODAY)
    )
    rules = {f.rule for f in result.findings if f.outcome is Outcome.REVIEW}
    worker = content.worker
    if worker.previously_refused or worker.previously_overstayed or worker.previous_canadian_permit:
        assert "prior_immigration_history" in rules
    if worker.accompanying_family:
        assert "accompanying_family" in rules
    if worker.charged_or_convicted:
        assert "criminal_history_declared" in rules


@settings(max_examples=150, deadline=None, suppress_health_check=_SLOW_OK)
@given(case=reviewer_cases(st.sampled_from(FOCUS)))
def test_the_length_and_location_rules_speak_only_on_their_facts(
    case: tuple[RequestContent, str | None],
) -> None:
    """Precision: `permit_length_exceeded` needs dates past the code's limit (and, for C22, a
    professor); `job_location_differs_from_offer` needs a readable offer that leaves out the
    form's city or names only another province."""
    content, offer_text = case
    result = run_triage(
        TriageContext(content, REFERENCE, frozenset(DOCUMENT_KINDS), offer_text, TODAY)
    )
    rules = {f.rule for f in result.findings}
    work, key = content.work, (content.exemption.code or "").upper()
    limit = PERMIT_LENGTH_LIMITS.get(key)
    assert work.start_date is not None
    assert work.end_date is not None
    within = limit is None or work.end_date <= add_months(work.start_date, limit.months)
    if within:
        assert "permit_length_exceeded" not in rules
    elif key != "C22":
        assert "permit_length_exceeded" in rules
    city, province = work.location.city, work.location.province
    assert city is not None
    assert province is not None
    names_both = offer_text is not None and (
        mentions_phrase(offer_text, city) and mentions_province(offer_text, province)
    )
    if names_both or not offer_text or key == "C20":
        assert "job_location_differs_from_offer" not in rules
