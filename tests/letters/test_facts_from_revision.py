"""Letter facts come only from the decided revision's form: a missing fact refuses the letter
(`decision_blocked`), it is never replaced (issue 9: a blanked date of birth was printed as the
issue date)."""

import io

import pytest
from pypdf import PdfReader

from app.common.form import RequestContent
from app.eligibility.reference import load_reference
from app.intake.models import OpinionRequest
from app.letters.service import preview_letter
from app.problems import DecisionBlocked
from app.queue.models import Decision
from tests.intake.scenarios import t11_body


def _decision() -> Decision:
    return Decision(
        outcome="negative",
        exemption_code="T11",
        reasons=["Not a US government employee."],
        conditions=[],
        letter_language="en",
        suggest_lmia_route=False,
    )


@pytest.mark.parametrize(
    ("section", "field", "pointer"),
    [
        ("worker", "date_of_birth", "/worker/date_of_birth"),
        ("work", "end_date", "/work/end_date"),
        ("employer", "name", "/employer/name"),
    ],
)
def test_a_missing_fact_refuses_the_letter_instead_of_a_stand_in(
    section: str, field: str, pointer: str
) -> None:
    body = t11_body()
    body[section][field] = None
    content = RequestContent.model_validate(body)
    with pytest.raises(DecisionBlocked) as refused:
        preview_letter(
            OpinionRequest(reference="IMWU-2026-000001"),
            _decision(),
            content,
            reference=load_reference(),
        )
    assert [r["field"] for r in refused.value.extra["reasons"]] == [pointer]


def test_the_passport_number_is_never_printed_empty() -> None:
    body = t11_body()
    body["worker"]["passport"]["number"] = None
    with pytest.raises(DecisionBlocked):
        preview_letter(
            OpinionRequest(reference="IMWU-2026-000001"),
            _decision(),
            RequestContent.model_validate(body),
            reference=load_reference(),
        )


def test_the_letter_prints_the_revision_it_is_given() -> None:
    body = t11_body()
    pdf = preview_letter(
        OpinionRequest(reference="IMWU-2026-000001"),
        _decision(),
        RequestContent.model_validate(body),
        reference=load_reference(),
    )
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "1984-03-02" in text
    assert "X1234567" in text
