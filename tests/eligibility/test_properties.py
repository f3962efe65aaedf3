"""Property: `evaluate` is deterministic and never raises, whatever a draft holds."""

from datetime import date
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.common.form import RequestContent
from app.eligibility.checklist import DOCUMENT_KINDS, checklist
from app.eligibility.reference import load_reference
from app.eligibility.rules import RULE_IDS, evaluate
from tests.eligibility.factories import TODAY, complete_t11_data, set_pointer

COUNTRIES = st.sampled_from([None, "US", "FR", "GB", "MX", "IN", "IL", "RO", "CN", "CA"])
CODES = st.sampled_from(
    [None, "T11", "t36", "C20", "C21", "T23", "T50", "A70", "T12", "T14", "R186(a)", "Z99"]
)
FIELDS = {
    "/exemption/code": CODES,
    "/exemption/type": st.sampled_from([None, "lmia_exemption", "work_permit_exemption"]),
    "/employer/offer_number": st.sampled_from([None, "A1234567"]),
    "/worker/citizenship": COUNTRIES,
    "/worker/travel_passport_country": COUNTRIES,
    "/worker/passport/issuing_country": COUNTRIES,
    "/worker/current_location_country": COUNTRIES,
    "/worker/us_permanent_resident": st.sampled_from([None, True, False]),
    "/worker/currently_in_canada": st.sampled_from([None, True, False]),
    "/worker/charged_or_convicted": st.sampled_from([None, True, False]),
    "/worker/passport/expiry_date": st.none() | st.dates(date(2020, 1, 1), date(2040, 1, 1)),
    "/work/noc_code": st.none() | st.from_regex(r"\A[0-9]{4,5}\Z"),
}


@st.composite
def drafts(draw: st.DrawFn) -> RequestContent:
    data: dict[str, Any] = complete_t11_data() if draw(st.booleans()) else {}
    for pointer in draw(st.lists(st.sampled_from(sorted(FIELDS)), unique=True, max_size=8)):
        value = draw(FIELDS[pointer])
        set_pointer(data, pointer, value.isoformat() if isinstance(value, date) else value)
    return RequestContent.model_validate(data)


# The root conftest's autouse database fixtures do not matter to these pure functions.
@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(content=drafts(), present=st.frozensets(st.sampled_from(DOCUMENT_KINDS)))
def test_evaluate_is_deterministic_and_total(
    content: RequestContent, present: frozenset[str]
) -> None:
    reference = load_reference()
    first = evaluate(content, reference, present_kinds=present, today=TODAY)
    again = evaluate(
        content.model_copy(deep=True), reference, present_kinds=set(present), today=TODAY
    )
    assert first == again
    assert {finding.rule for finding in first} <= set(RULE_IDS)
    assert all(pointer.startswith("/") for finding in first for pointer in finding.fields)
    entries = checklist(content, reference, present)
    assert {entry.kind for entry in entries if entry.present} <= present
