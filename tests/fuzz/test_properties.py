"""Properties of the rules and the document budget, on generated inputs.

- triage is deterministic: the same context (or a deep copy of it) gives the same result;
- a request with no `block` finding from `app.eligibility.rules.evaluate` submits, and one with a
  block finding is refused with it (through the HTTP API, visa-exempt nationals, in-scope codes
  that need no Employer Portal offer number, generated dates);
- whatever sequence of uploads and deletions, the budget stays between 0 and the limit and equals
  the sum of the stored documents.
"""

import copy
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from app.common import clock
from app.common.findings import Outcome
from app.common.form import RequestContent
from app.config import get_settings
from app.eligibility.checklist import offer_number_findings
from app.eligibility.reference import load_reference
from app.eligibility.rules import VISA_EXEMPT_STATUSES, evaluate
from app.triage.engine import run_triage
from app.triage.rules import TriageContext
from tests.builders import make_pdf, pad_pdf_to
from tests.conftest import Accounts
from tests.eligibility.factories import T11_PRESENT_KINDS, complete_t11_data, set_pointer
from tests.intake.scenarios import attach_required, create, submit, t11_body, upload

REFERENCE = load_reference()
API_SETTINGS = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# --- triage ----------------------------------------------------------------------------------

COUNTRIES = st.sampled_from([None, "US", "FR", "GB", "IL", "RO", "MX", "IN", "CN", "CA"])
DATES = st.none() | st.dates(date(2025, 1, 1), date(2029, 12, 31)).map(date.isoformat)
TRIAGE_FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "/language": st.sampled_from(["en", "fr"]),
    "/exemption/code": st.none() | st.sampled_from(sorted(REFERENCE.codes)),
    "/exemption/type": st.sampled_from([None, "lmia_exemption", "work_permit_exemption"]),
    "/employer/offer_number": st.sampled_from([None, "A1234567"]),
    "/worker/citizenship": COUNTRIES,
    "/worker/travel_passport_country": COUNTRIES,
    "/worker/current_location_country": COUNTRIES,
    "/worker/us_permanent_resident": st.sampled_from([None, True, False]),
    "/worker/charged_or_convicted": st.sampled_from([None, True, False]),
    "/worker/passport/expiry_date": DATES,
    "/work/noc_code": st.none() | st.from_regex(r"\A[0-9]{4,5}\Z"),
    "/work/location/province": st.sampled_from([None, "ON", "QC", "NU"]),
    "/work/wage/amount": st.none() | st.decimals(-100, 10_000, places=2).map(str),
    "/work/intended_entry_date": DATES,
}
OFFER_TEXTS = st.none() | st.text(max_size=60) | st.just("Offer, NOC 43203, Ottawa, ON.")


@st.composite
def triage_contexts(draw: st.DrawFn) -> TriageContext:
    data = complete_t11_data()
    for pointer in draw(st.lists(st.sampled_from(sorted(TRIAGE_FIELDS)), unique=True, max_size=7)):
        set_pointer(data, pointer, draw(TRIAGE_FIELDS[pointer]))
    kinds = draw(st.frozensets(st.sampled_from(sorted({*T11_PRESENT_KINDS, "diploma"}))))
    today = draw(st.dates(date(2025, 1, 1), date(2028, 12, 31)))
    content = RequestContent.model_validate(data)
    return TriageContext(content, REFERENCE, kinds, draw(OFFER_TEXTS), today)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(ctx=triage_contexts(), urgent=st.integers(0, 20))
def test_triage_is_deterministic(ctx: TriageContext, urgent: int) -> None:
    first = run_triage(ctx, urgent_business_days=urgent)
    copied = TriageContext(
        ctx.content.model_copy(deep=True),
        ctx.reference,
        frozenset(sorted(ctx.present_kinds, reverse=True)),
        copy.copy(ctx.job_offer_text),
        ctx.today,
    )
    assert run_triage(copied, urgent_business_days=urgent) == first
    assert run_triage(ctx, urgent_business_days=urgent) == first


# --- validate, then submit -------------------------------------------------------------------

VISA_EXEMPT = sorted(
    code for code, record in REFERENCE.countries.items() if record.status in VISA_EXEMPT_STATUSES
)
NO_OFFER_NEEDED = sorted(
    key
    for key, record in REFERENCE.codes.items()
    if record.imwu_scope == "in_scope"
    and record.status == "current"
    and not any(f.outcome is Outcome.BLOCK for f in offer_number_findings(record, None))
)
EXEMPTION_TYPE = {
    "lmia_exempt_work_permit": "lmia_exemption",
    "work_permit_exemption": "work_permit_exemption",
}


@st.composite
def request_bodies(draw: st.DrawFn) -> dict[str, Any]:
    body = t11_body()
    code = draw(st.sampled_from(NO_OFFER_NEEDED))
    body["exemption"] = {"type": EXEMPTION_TYPE[REFERENCE.codes[code].kind], "code": code}
    country = draw(st.sampled_from(VISA_EXEMPT))
    worker = body["worker"]
    for field in ("citizenship", "country_of_birth", "country_of_residence"):
        worker[field] = country
    worker.update(travel_passport_country=country, current_location_country=country)
    worker["passport"]["issuing_country"] = country
    today = clock.today()
    start = today + timedelta(days=draw(st.integers(1, 400)))
    end = start + timedelta(days=draw(st.integers(0, 1100)))
    entry = start - timedelta(days=draw(st.integers(0, 30)))
    expiry = today + timedelta(days=draw(st.integers(30, 4000)))
    born = date(draw(st.integers(1940, 2006)), draw(st.integers(1, 12)), draw(st.integers(1, 28)))
    work = body["work"]
    work.update(
        start_date=start.isoformat(),
        end_date=end.isoformat(),
        intended_entry_date=max(entry, today).isoformat(),
    )
    worker.update(date_of_birth=born.isoformat())
    worker["passport"]["expiry_date"] = expiry.isoformat()
    return body


SUBMITTED: list[bool] = []


@settings(API_SETTINGS, max_examples=15)
@given(body=request_bodies())
def _validate_then_submit(client: Any, rep: dict[str, str], body: dict[str, Any]) -> None:
    created = create(client, rep, body)
    attach_required(client, rep, created["id"], body)
    report = client.post(f"/api/v1/requests/{created['id']}/validate", headers=rep).json()
    kinds = {item["kind"] for item in report["checklist"] if item["present"]}
    findings = evaluate(
        RequestContent.model_validate(body), REFERENCE, present_kinds=kinds, today=clock.today()
    )
    blocks = sorted({f.rule for f in findings if f.outcome is Outcome.BLOCK})
    assert report["submittable"] is (not blocks)
    response = submit(client, rep, created["id"])
    if blocks:
        assert response.status_code == 422, response.text
        assert response.json()["code"] == "request_not_submittable"
    else:
        assert response.status_code == 200, (body["exemption"], response.text)
        assert response.json()["status"] == "submitted"
    SUBMITTED.append(not blocks)


def test_a_request_without_blocking_findings_submits(client: Any, rep: dict[str, str]) -> None:
    SUBMITTED.clear()
    _validate_then_submit(client, rep)
    assert len(SUBMITTED) >= 10
    assert sum(SUBMITTED) >= len(SUBMITTED) // 2, "most generated requests should submit"


# --- the budget ------------------------------------------------------------------------------

BUDGET = 64_000
Step = tuple[str, int]
STEPS = st.lists(
    st.one_of(
        st.tuples(
            st.just("upload"),
            st.integers(1_000, 40_000) | st.sampled_from([30_000, 63_999, 64_000, 64_001, 70_000]),
        ),
        st.tuples(st.just("delete"), st.integers(0, 7)),
    ),
    min_size=1,
    max_size=8,
)


@pytest.fixture
def small_budget(monkeypatch: pytest.MonkeyPatch) -> int:
    """A 64 KB budget, so that a few small files reach it (the rule is the same at 4 MB)."""
    monkeypatch.setattr(get_settings(), "max_request_bytes", BUDGET)
    return BUDGET


@settings(API_SETTINGS, max_examples=12)
@given(steps=STEPS)
@example(steps=[("upload", 40_000), ("upload", 24_000), ("upload", 1_000), ("delete", 0)])
@example(steps=[("upload", 64_001), ("upload", 64_000), ("delete", 0), ("upload", 1_000)])
def _budget_holds(client: Any, rep: dict[str, str], steps: list[Step]) -> None:
    request_id = create(client, rep, t11_body())["id"]
    stored: list[tuple[str, int]] = []
    for number, (action, value) in enumerate(steps):
        used = sum(size for _, size in stored)
        if action == "upload":
            pdf = pad_pdf_to(make_pdf([f"Document {number}"]), value)
            response = upload(client, rep, request_id, "other_evidence", pdf)
            if value <= BUDGET - used:
                assert response.status_code == 201, response.text
                stored.append((response.json()["id"], value))
            else:
                assert response.status_code == 413, response.text
                assert response.json()["code"] == "document_too_large"
        elif stored:
            document_id, _ = stored.pop(value % len(stored))
            url = f"/api/v1/requests/{request_id}/documents/{document_id}"
            assert client.delete(url, headers=rep).status_code == 204
        listing = client.get(f"/api/v1/requests/{request_id}/documents", headers=rep).json()
        used = listing["documents_bytes_used"]
        assert 0 <= used <= BUDGET
        assert used == sum(size for _, size in stored)
        assert listing["documents_bytes_remaining"] == BUDGET - used
        assert sorted(d["size_bytes"] for d in listing["items"]) == sorted(s for _, s in stored)


def test_the_budget_stays_within_zero_and_the_limit(
    client: Any, accounts: Accounts, small_budget: int
) -> None:
    assert small_budget == BUDGET
    _budget_holds(client, accounts.make("representative", organization="Budget LLP"))
