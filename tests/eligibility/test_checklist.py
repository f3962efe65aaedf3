"""The document checklist and the submit fields (IMWU package + each code's evidence)."""

import pytest

from app.common.form import RequestContent
from app.eligibility.checklist import (
    DOCUMENT_KINDS,
    KIND_LABELS,
    SUBMIT_REQUIRED_FIELDS,
    ChecklistEntry,
    checklist,
    document_checklist,
    evidence_kind,
    is_conditional,
    missing_fields,
)
from app.eligibility.reference import ReferenceData, load_reference
from tests.eligibility.factories import complete_t11_content

GENERIC_REQUIRED = {"passport_bio_page", "cv", "job_offer", "employer_letter"}


@pytest.fixture
def reference() -> ReferenceData:
    return load_reference()


def _flags(reference: ReferenceData, code: str | None) -> dict[str, tuple[bool, bool]]:
    return {d.kind: (d.required, d.confirmed) for d in document_checklist(reference, code)}


class TestEvidenceKind:
    @pytest.mark.parametrize(
        ("phrase", "kind"),
        [
            ("passport biographic page (EU citizenship)", "passport_bio_page"),
            ("signed job offer or employment contract", "job_offer"),
            ("service contract with the Canadian client", "job_offer"),
            ("degree, diploma or licence matching the listed profession", "diploma"),
            ("medical degree", "diploma"),
            ("provincial licence or registration if the occupation is regulated", "certification"),
            ("Recent pay stubs/slips", "pay_stub"),
            ("Business licence", "business_licence"),
            (
                "letter from the foreign employer describing current and Canadian positions",
                "employer_letter",
            ),
            (
                "letter from the sending agency naming the assignment, location and number of years",
                "employer_letter",
            ),
            (
                "letter from the receiving Canadian organization describing the exchange",
                "employer_letter",
            ),
            ("CV / resume", "cv"),
            ("Curriculum vitae or résumé", "cv"),
            ("completed IMM 5686", "imm5686_form"),
            ("marriage certificate or proof of common-law relationship", "other_evidence"),
            ("proof of registration under the Indian Act", "other_evidence"),
            ("letter from the relevant union or guild", "other_evidence"),
            ("business plan for a real and active enterprise", "other_evidence"),
        ],
    )
    def test_phrase_maps_to_kind(self, phrase: str, kind: str) -> None:
        assert evidence_kind(phrase) == kind

    @pytest.mark.parametrize(
        "phrase",
        [
            "IMP offer of employment number (A + 7 digits) from the Employer Portal",
            "IMP offer of employment number (A + 7 digits) from the Employer Portal from the "
            "Canadian institution",
        ],
    )
    def test_offer_number_is_not_a_document(self, phrase: str) -> None:
        assert evidence_kind(phrase) is None

    @pytest.mark.parametrize(
        ("phrase", "conditional"),
        [
            ("diploma (if applicable)", True),
            ("official passport (US government officials, where applicable)", True),
            ("exchange agreement between the Canadian and foreign parties (not mandatory)", True),
            ("agreement between Canadian and foreign arts organizations (optional)", True),
            ("licence or certification if regulated in the province", True),
            ("provincial licence or registration if the occupation is regulated", True),
            ("Confirmation of required certification/licensing or registration, if required", True),
            ("flow numbers on request", True),
            ("signed job offer or employment contract", False),
            ("proof the occupation is TEER 0-3", False),
        ],
    )
    def test_conditional_phrases(self, phrase: str, conditional: bool) -> None:
        assert is_conditional(phrase) is conditional

    def test_every_kind_has_a_bilingual_label(self) -> None:
        assert set(KIND_LABELS) == set(DOCUMENT_KINDS)
        assert all(label.en and label.fr and label.en != label.fr for label in KIND_LABELS.values())


class TestDocumentChecklist:
    def test_without_a_code_lists_the_generic_package(self, reference: ReferenceData) -> None:
        assert _flags(reference, None) == {
            "passport_bio_page": (True, True),
            "cv": (True, True),
            "job_offer": (True, True),
            "employer_letter": (True, True),
            "diploma": (False, True),
        }

    def test_unknown_code_lists_the_generic_package(self, reference: ReferenceData) -> None:
        assert _flags(reference, "Z99") == _flags(reference, None)

    def test_t11(self, reference: ReferenceData) -> None:
        items = document_checklist(reference, "t11")
        assert [d.kind for d in items] == [
            "passport_bio_page",
            "cv",
            "job_offer",
            "employer_letter",
            "diploma",
            "other_evidence",
        ]
        assert {d.kind for d in items if d.required} == GENERIC_REQUIRED | {"other_evidence"}
        assert all(d.confirmed for d in items)
        letter = next(d for d in items if d.kind == "employer_letter")
        assert letter.label == (
            "letter explaining the Canadian company and its staffing needs; letter from the "
            "sending agency naming the assignment, location and number of years"
        )
        assert "exemption_codes.json T11 evidence" in letter.source_text

    def test_c20(self, reference: ReferenceData) -> None:
        flags = _flags(reference, "C20")
        assert flags == {
            "passport_bio_page": (True, True),
            "cv": (True, True),
            "job_offer": (True, True),
            "employer_letter": (True, True),
            "diploma": (False, True),
            "other_evidence": (True, True),
        }
        other = next(d for d in document_checklist(reference, "C20") if d.kind == "other_evidence")
        assert "(not mandatory)" in other.label
        assert "offer of employment number" not in other.label

    def test_t36(self, reference: ReferenceData) -> None:
        assert _flags(reference, "T36") == {
            "passport_bio_page": (True, True),
            "cv": (True, True),
            "job_offer": (True, True),
            "employer_letter": (True, True),
            "diploma": (True, True),
            "certification": (False, True),
            "other_evidence": (True, True),
        }

    def test_unconfirmed_evidence_is_listed_but_never_required(
        self, reference: ReferenceData
    ) -> None:
        flags = _flags(reference, "T33")
        assert flags["diploma"] == (False, False)
        assert flags["certification"] == (False, False)
        assert flags["other_evidence"] == (False, False)
        assert flags["passport_bio_page"] == (True, True)

    def test_one_entry_per_kind_for_every_code(self, reference: ReferenceData) -> None:
        for code in reference.codes:
            kinds = [d.kind for d in document_checklist(reference, code)]
            assert len(kinds) == len(set(kinds)), code
            assert set(kinds) >= GENERIC_REQUIRED, code
            assert all(d.confirmed for d in document_checklist(reference, code) if d.required)


class TestChecklist:
    def test_marks_what_is_present(self, reference: ReferenceData) -> None:
        entries = checklist(complete_t11_content(), reference, {"cv", "passport_bio_page"})
        assert entries == [
            ChecklistEntry("passport_bio_page", required=True, present=True),
            ChecklistEntry("cv", required=True, present=True),
            ChecklistEntry("job_offer", required=True, present=False),
            ChecklistEntry("employer_letter", required=True, present=False),
            ChecklistEntry("diploma", required=False, present=False),
            ChecklistEntry("other_evidence", required=True, present=False),
        ]


class TestMissingFields:
    def test_complete_request_misses_nothing(self) -> None:
        assert missing_fields(complete_t11_content()) == []

    def test_empty_draft_misses_every_submit_field(self) -> None:
        assert missing_fields(RequestContent()) == list(SUBMIT_REQUIRED_FIELDS)

    def test_false_is_an_answer(self) -> None:
        content = complete_t11_content({"/worker/currently_in_canada": None})
        assert missing_fields(content) == ["/worker/currently_in_canada"]
