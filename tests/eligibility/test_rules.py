"""Each prerequisite rule fires when its condition holds and stays silent otherwise."""

import dataclasses
from collections.abc import Iterable, Mapping
from datetime import date
from types import MappingProxyType

import pytest

from app.common.findings import Finding, Outcome
from app.common.form import RequestContent
from app.eligibility.checklist import SUBMIT_REQUIRED_FIELDS
from app.eligibility.reference import ReferenceData, load_reference
from app.eligibility.rules import RULE_IDS, RULES, evaluate, nationality
from tests.eligibility.factories import T11_PRESENT_KINDS, TODAY, complete_t11_content

BLOCK, REVIEW, WARN = Outcome.BLOCK, Outcome.REVIEW, Outcome.WARN
WITH_DIPLOMA = T11_PRESENT_KINDS | {"diploma"}


def _findings(
    changes: Mapping[str, object] | None = None,
    *,
    present: Iterable[str] = T11_PRESENT_KINDS,
    reference: ReferenceData | None = None,
    today: date = TODAY,
) -> list[Finding]:
    content = complete_t11_content(changes)
    return evaluate(content, reference or load_reference(), present_kinds=present, today=today)


def _ids(findings: list[Finding]) -> list[tuple[str, Outcome]]:
    return [(f.rule, f.outcome) for f in findings]


def _only(findings: list[Finding], rule: str) -> Finding:
    matching = [f for f in findings if f.rule == rule]
    assert len(matching) == 1, _ids(findings)
    return matching[0]


def _nationality(country: str) -> dict[str, object]:
    return {
        "/worker/citizenship": country,
        "/worker/passport/issuing_country": country,
        "/worker/country_of_birth": country,
        "/worker/country_of_residence": country,
        "/worker/current_location_country": country,
    }


def _code(code: str, kind: str = "lmia_exemption", **more: object) -> dict[str, object]:
    return {"/exemption/code": code, "/exemption/type": kind, **more}


def _with_record(code: str, **changes: object) -> ReferenceData:
    """The packaged reference with one exemption record changed."""
    reference = load_reference()
    codes = dict(reference.codes)
    codes[code] = dataclasses.replace(codes[code], **changes)  # type: ignore[arg-type]
    return dataclasses.replace(reference, codes=MappingProxyType(codes))


class TestCompleteRequest:
    def test_complete_t11_request_passes_every_rule(self) -> None:
        assert _findings() == []

    def test_rule_ids_are_the_documented_ones(self) -> None:
        assert set(RULE_IDS) >= {
            "required_field_missing",
            "worker_in_canada",
            "existing_work_permit",
            "nationality_not_visa_exempt",
            "nationality_conditional_eta",
            "nationality_document_conditional",
            "us_permanent_resident",
            "code_unknown",
            "code_unconfirmed",
            "exemption_type_mismatch",
            "code_superseded",
            "code_not_allowed_at_poe",
            "code_in_canada_only",
            "code_out_of_scope",
            "iec_requires_us_national",
            "poe_advance_application_encouraged",
            "passport_expires_before_end",
            "offer_number_missing",
            "noc_2016_code",
            "noc_teer_invalid",
            "criminal_history_declared",
            "document_missing",
            "document_unconfirmed_missing",
        }
        assert len(RULE_IDS) == len(set(RULE_IDS))

    def test_every_rule_names_its_source(self) -> None:
        for rule in RULES:
            sources = ("poe_eligibility.md", "rules_notes.md", "IMM 5686", ".json")
            assert any(source in (rule.__doc__ or "") for source in sources), rule.__name__

    def test_findings_follow_rule_order(self) -> None:
        findings = _findings(
            {
                "/worker/currently_in_canada": True,
                "/work/noc_code": "1228",
                "/worker/charged_or_convicted": True,
                **_nationality("MX"),
            },
            present=(),
        )
        order = [RULE_IDS.index(f.rule) for f in findings]
        assert order == sorted(order)
        assert _ids(findings)[:2] == [
            ("worker_in_canada", BLOCK),
            ("nationality_conditional_eta", BLOCK),
        ]

    def test_messages_are_bilingual_and_carry_no_personal_data(self) -> None:
        findings = _findings(
            {
                "/worker/family_name": "Zyxwvut",
                "/worker/passport/number": "QQ9876543",
                "/worker/passport/expiry_date": "2027-01-01",
                "/exemption/code": "T23",
                **_nationality("IL"),
            },
            present=(),
        )
        assert len(findings) > 3
        for finding in findings:
            assert finding.message.en
            assert finding.message.fr
            assert finding.message.en != finding.message.fr
            text = f"{finding.message.en} {finding.message.fr} {finding.fields}"
            assert "Zyxwvut" not in text
            assert "QQ9876543" not in text
            assert "2027" not in text
            assert all(pointer.startswith("/") for pointer in finding.fields)


class TestRequiredFieldMissing:
    def test_empty_draft_lists_every_submit_field(self) -> None:
        findings = evaluate(RequestContent(), load_reference(), present_kinds=(), today=TODAY)
        finding = _only(findings, "required_field_missing")
        assert finding.outcome is BLOCK
        assert finding.fields == SUBMIT_REQUIRED_FIELDS

    def test_lists_only_what_is_missing(self) -> None:
        finding = _only(
            _findings({"/employer/phone": None, "/worker/passport/number": None}),
            "required_field_missing",
        )
        assert finding.fields == ("/employer/phone", "/worker/passport/number")


class TestWorkerInCanada:
    def test_currently_in_canada_blocks(self) -> None:
        finding = _only(_findings({"/worker/currently_in_canada": True}), "worker_in_canada")
        assert (finding.outcome, finding.fields) == (BLOCK, ("/worker/currently_in_canada",))

    def test_current_location_canada_blocks(self) -> None:
        finding = _only(_findings({"/worker/current_location_country": "CAN"}), "worker_in_canada")
        assert finding.fields == ("/worker/current_location_country",)

    def test_outside_canada_passes(self) -> None:
        assert _findings({"/worker/current_location_country": "FR"}) == []


class TestExistingWorkPermit:
    def test_held_or_applied_blocks(self) -> None:
        findings = _findings({"/worker/holds_or_applied_for_work_permit": True})
        assert _ids(findings) == [("existing_work_permit", BLOCK)]

    def test_none_passes(self) -> None:
        assert _findings({"/worker/holds_or_applied_for_work_permit": False}) == []


class TestNationality:
    def test_visa_required_nationality_blocks(self) -> None:
        finding = _only(_findings(_nationality("IN")), "nationality_not_visa_exempt")
        assert (finding.outcome, finding.fields) == (BLOCK, ("/worker/passport/issuing_country",))

    def test_travel_passport_decides(self) -> None:
        changes = {**_nationality("IN"), "/worker/travel_passport_country": "FR"}
        assert _findings(changes) == []

    def test_citizenship_is_the_fallback(self) -> None:
        changes = {"/worker/passport/issuing_country": None, "/worker/citizenship": "CN"}
        findings = _findings(changes)
        assert _only(findings, "nationality_not_visa_exempt").fields == ("/worker/citizenship",)
        assert nationality(complete_t11_content(changes)) == ("CN", "/worker/citizenship")

    def test_conditional_eta_blocks(self) -> None:
        findings = _findings(_nationality("MX"))
        assert _ids(findings) == [("nationality_conditional_eta", BLOCK)]

    def test_visa_exempt_nationality_passes(self) -> None:
        assert _findings(_nationality("FR")) == []

    @pytest.mark.parametrize("country", ["IN", "MX"])
    def test_us_permanent_resident_goes_to_review_instead(self, country: str) -> None:
        findings = _findings({**_nationality(country), "/worker/us_permanent_resident": True})
        assert _ids(findings) == [("us_permanent_resident", REVIEW)]
        assert findings[0].fields == (
            "/worker/us_permanent_resident",
            "/worker/passport/issuing_country",
        )

    def test_us_permanent_resident_of_exempt_nationality_passes(self) -> None:
        changes = {**_nationality("FR"), "/worker/us_permanent_resident": True}
        assert _findings(changes) == []

    @pytest.mark.parametrize("country", ["IL", "TW", "HK", "VA", "RO"])
    def test_document_condition_goes_to_review(self, country: str) -> None:
        findings = _findings(_nationality(country))
        assert _ids(findings) == [("nationality_document_conditional", REVIEW)]
        assert "/documents/passport_bio_page" in findings[0].fields

    def test_israel_message_names_the_passport(self) -> None:
        finding = _only(_findings(_nationality("IL")), "nationality_document_conditional")
        assert "national Israeli passport" in finding.message.en


class TestCodeUnknown:
    def test_code_not_in_the_table_blocks(self) -> None:
        findings = _findings(_code("Z99"))
        assert _ids(findings) == [("code_unknown", BLOCK)]

    def test_unconfirmed_code_goes_to_review(self) -> None:
        findings = _findings(_code("T14"))
        assert _ids(findings) == [("code_unconfirmed", REVIEW)]

    def test_code_marked_unconfirmed_in_unconfirmed_fields_goes_to_review(self) -> None:
        findings = _findings(_code("T12"))
        assert _ids(findings) == [("code_unconfirmed", REVIEW)]

    def test_confirmed_not_found_record_blocks(self) -> None:
        reference = _with_record("T14", confirmed=True)
        findings = _findings(_code("T14"), reference=reference)
        assert _ids(findings) == [("code_unknown", BLOCK)]

    def test_lower_case_code_is_known(self) -> None:
        assert _findings(_code("t11")) == []


class TestExemptionTypeMismatch:
    def test_lmia_code_with_work_permit_exemption_blocks(self) -> None:
        findings = _findings(_code("T11", "work_permit_exemption"))
        assert _ids(findings) == [("exemption_type_mismatch", BLOCK)]
        assert findings[0].fields == ("/exemption/type", "/exemption/code")

    def test_r186_code_with_lmia_exemption_blocks(self) -> None:
        findings = _findings(_code("R186(a)", "lmia_exemption"))
        assert ("exemption_type_mismatch", BLOCK) in _ids(findings)

    def test_r186_code_with_work_permit_exemption_passes(self) -> None:
        assert _findings(_code("R186(a)", "work_permit_exemption")) == []


class TestCodeStatusAndScope:
    def test_superseded_code_names_its_replacements(self) -> None:
        finding = _only(_findings(_code("T23")), "code_superseded")
        assert finding.outcome is REVIEW
        assert "T36" in finding.message.en
        assert "T36" in finding.message.fr

    def test_code_not_allowed_at_poe_blocks(self) -> None:
        findings = _findings(_code("T50", **{"/employer/offer_number": "A1234567"}))
        assert ("code_not_allowed_at_poe", BLOCK) in _ids(findings)

    def test_unconfirmed_poe_restriction_goes_to_review(self) -> None:
        reference = _with_record("T50", unconfirmed_fields=("poe_application (inferred)",))
        changes = _code("T50", **{"/employer/offer_number": "A1234567"})
        findings = _findings(changes, reference=reference)
        assert ("code_not_allowed_at_poe", REVIEW) in _ids(findings)

    def test_in_canada_code_blocks(self) -> None:
        findings = _findings(_code("A70"))
        assert _ids(findings) == [("code_in_canada_only", BLOCK)]

    @pytest.mark.parametrize(
        ("code", "kind"),
        [
            ("C41", "lmia_exemption"),
            ("C32", "lmia_exemption"),
            ("R186(b)", "work_permit_exemption"),
        ],
    )
    def test_out_of_scope_code_goes_to_review(self, code: str, kind: str) -> None:
        findings = _findings(_code(code, kind))
        assert _ids(findings) == [("code_out_of_scope", REVIEW)]

    def test_in_scope_code_passes(self) -> None:
        assert _findings(_code("C20")) == []


class TestIec:
    def test_non_us_national_blocks(self) -> None:
        findings = _findings({**_code("C21"), **_nationality("FR")})
        assert ("iec_requires_us_national", BLOCK) in _ids(findings)
        assert ("code_out_of_scope", REVIEW) in _ids(findings)

    def test_us_national_is_only_reviewed(self) -> None:
        assert _ids(_findings(_code("C21"))) == [("code_out_of_scope", REVIEW)]

    def test_us_permanent_resident_is_only_reviewed(self) -> None:
        changes = {**_code("C21"), **_nationality("FR"), "/worker/us_permanent_resident": True}
        assert _ids(_findings(changes)) == [("code_out_of_scope", REVIEW)]


class TestPoeAdvanceApplication:
    @pytest.mark.parametrize("code", ["T34", "C11", "A77"])
    def test_warns(self, code: str) -> None:
        findings = _findings(_code(code, **{"/employer/offer_number": "A1234567"}))
        assert ("poe_advance_application_encouraged", WARN) in _ids(findings)

    def test_ordinary_code_does_not_warn(self) -> None:
        changes = _code("T36", **{"/employer/offer_number": "A1234567"})
        assert _findings(changes, present=WITH_DIPLOMA) == []


class TestPassportExpiry:
    def test_expiry_before_end_warns(self) -> None:
        changes = {**_nationality("FR"), "/worker/passport/expiry_date": "2026-08-01"}
        findings = _findings(changes)
        assert _ids(findings) == [("passport_expires_before_end", WARN)]
        assert findings[0].fields == ("/worker/passport/expiry_date", "/work/end_date")

    def test_us_national_is_not_warned(self) -> None:
        assert _findings({"/worker/passport/expiry_date": "2026-08-01"}) == []

    def test_expiry_on_end_date_passes(self) -> None:
        changes = {**_nationality("FR"), "/worker/passport/expiry_date": "2026-09-30"}
        assert _findings(changes) == []


class TestOfferNumber:
    def test_missing_offer_number_blocks(self) -> None:
        findings = _findings(_code("T36"), present=WITH_DIPLOMA)
        assert _ids(findings) == [("offer_number_missing", BLOCK)]
        assert findings[0].fields == ("/employer/offer_number",)

    def test_offer_number_present_passes(self) -> None:
        changes = _code("T36", **{"/employer/offer_number": "a1234567"})
        assert _findings(changes, present=WITH_DIPLOMA) == []

    def test_unconfirmed_requirement_goes_to_review(self) -> None:
        findings = _findings(_code("C15"))
        assert ("offer_number_missing", REVIEW) in _ids(findings)

    def test_code_without_portal_offer_passes(self) -> None:
        assert _findings(_code("T11")) == []


class TestNoc:
    def test_noc_2016_code_goes_to_review(self) -> None:
        findings = _findings({"/work/noc_code": "1228"})
        assert _ids(findings) == [("noc_2016_code", REVIEW)]

    def test_noc_2016_code_before_the_switch_passes(self) -> None:
        assert _findings({"/work/noc_code": "1228"}, today=date(2022, 11, 15)) == []

    def test_invalid_teer_blocks(self) -> None:
        findings = _findings({"/work/noc_code": "47203"})
        assert _ids(findings) == [("noc_teer_invalid", BLOCK)]

    @pytest.mark.parametrize("noc", ["00010", "43203", "95109"])
    def test_valid_noc_2021_passes(self, noc: str) -> None:
        assert _findings({"/work/noc_code": noc}) == []


class TestCriminalHistory:
    def test_declared_goes_to_review(self) -> None:
        findings = _findings({"/worker/charged_or_convicted": True})
        assert _ids(findings) == [("criminal_history_declared", REVIEW)]

    def test_not_declared_passes(self) -> None:
        assert _findings({"/worker/charged_or_convicted": False}) == []


class TestDocuments:
    def test_each_missing_required_kind_blocks(self) -> None:
        findings = _findings(present=())
        assert [(f.rule, f.outcome, f.fields) for f in findings] == [
            ("document_missing", BLOCK, (f"/documents/{kind}",))
            for kind in (
                "passport_bio_page",
                "cv",
                "job_offer",
                "employer_letter",
                "other_evidence",
            )
        ]

    def test_missing_optional_kind_passes(self) -> None:
        assert _findings(present=T11_PRESENT_KINDS - {"diploma"}) == []

    def test_missing_unconfirmed_kind_goes_to_review(self) -> None:
        changes = _code("T33", **{"/employer/offer_number": "A1234567"})
        findings = _findings(changes, present=T11_PRESENT_KINDS - {"other_evidence"})
        assert [(f.rule, f.outcome, f.fields) for f in findings] == [
            ("document_unconfirmed_missing", REVIEW, ("/documents/diploma",)),
            ("document_unconfirmed_missing", REVIEW, ("/documents/certification",)),
            ("document_unconfirmed_missing", REVIEW, ("/documents/other_evidence",)),
        ]

    def test_unconfirmed_kind_present_passes(self) -> None:
        changes = _code("T33", **{"/employer/offer_number": "A1234567"})
        present = T11_PRESENT_KINDS | {"diploma", "certification"}
        assert _findings(changes, present=present) == []
