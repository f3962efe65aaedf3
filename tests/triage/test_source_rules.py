"""The rules of issue 11, each from the sources' own examples (poe_eligibility.md §3-§6,
rules_notes.md §1, §2, §7, §9, §10, seed 000)."""

from collections.abc import Iterable, Mapping
from datetime import date

import pytest

from app.common.findings import Finding, Outcome
from app.common.form import RequestContent
from app.eligibility.agreements import CUSMA_PROFESSIONS, matches_profession
from app.triage.calendar import due_date
from tests.eligibility.factories import T11_PRESENT_KINDS, TODAY
from tests.triage.corpus import Case, case_findings

BLOCK, REVIEW, WARN = Outcome.BLOCK, Outcome.REVIEW, Outcome.WARN


def found(
    changes: Mapping[str, object],
    *,
    offer_text: str | None = "NOC 43203, Ottawa ON",
    present: Iterable[str] = T11_PRESENT_KINDS,
    today: date = TODAY,
) -> list[Finding]:
    return case_findings(Case(changes, offer_text, frozenset(present), today))


def one(findings: list[Finding], rule: str) -> Finding:
    matching = [f for f in findings if f.rule == rule]
    assert len(matching) == 1, [f.rule for f in findings]
    return matching[0]


def rules(findings: list[Finding]) -> list[str]:
    return [f.rule for f in findings]


def citizen(country: str, **more: object) -> dict[str, object]:
    return {
        "/worker/citizenship": country,
        "/worker/passport/issuing_country": country,
        "/worker/country_of_birth": country,
        **more,
    }


class TestSeveralCodes:
    """poe_eligibility.md R3 and §2: one code per request, refused naming the codes."""

    @pytest.mark.parametrize("value", ["T37/T38", "T37, T38", "t37 and t38", "T37; T38"])
    def test_two_codes_are_refused_with_the_codes_seen(self, value: str) -> None:
        findings = found({"/exemption/code": value})
        finding = one(findings, "several_codes")
        assert finding.outcome is BLOCK
        assert finding.fields == ("/exemption/code",)
        assert "(T37, T38)" in finding.message.en
        assert "(T37, T38)" in finding.message.fr
        assert "code_unknown" not in rules(findings)

    def test_a_code_with_a_slash_is_one_code(self) -> None:
        changes = {"/exemption/code": "GSS-15/30", "/exemption/type": "work_permit_exemption"}
        assert "several_codes" not in rules(found(changes))

    def test_the_form_accepts_the_value_instead_of_a_schema_error(self) -> None:
        content = RequestContent.model_validate({"exemption": {"code": "T37, T38"}})
        assert content.exemption.code == "T37, T38"


class TestLmiaRequired:
    """R11: out of IMWU's scope, with the LMIA route (not "field missing")."""

    def test_refused_with_the_lmia_route(self) -> None:
        findings = found({"/exemption/type": "lmia_required", "/exemption/code": None})
        finding = one(findings, "lmia_required_out_of_scope")
        assert finding.outcome is BLOCK
        assert "Temporary Foreign Worker Program" in finding.message.en
        assert "R198(2)(a)" in finding.message.en
        assert "al. 198(2)a)" in finding.message.fr
        assert "required_field_missing" not in rules(findings)


class TestSeasonalAgriculturalWork:
    """R10: never at a port of entry."""

    def test_declared_seasonal_work_is_refused(self) -> None:
        finding = one(found({"/work/seasonal_agricultural": True}), "seasonal_agricultural_work")
        assert finding.outcome is BLOCK

    def test_a_farm_noc_without_the_answer_goes_to_review(self) -> None:
        findings = found({"/work/noc_code": "85101"}, offer_text="NOC 85101")
        assert one(findings, "agricultural_work_check").outcome is REVIEW
        assert "seasonal_agricultural_work" not in rules(findings)

    def test_a_farm_job_declared_not_seasonal_is_left_alone(self) -> None:
        changes = {"/work/noc_code": "85101", "/work/seasonal_agricultural": False}
        assert "agricultural_work_check" not in rules(found(changes, offer_text="NOC 85101"))


class TestAgreementCitizenship:
    """rules_notes.md §9: each agreement's citizens; review naming the agreement."""

    @pytest.mark.parametrize(
        ("code", "country", "named_en", "named_fr"),
        [
            ("T36", "FR", "CUSMA", "ACEUM"),
            ("T36", "GU", "CUSMA", "ACEUM"),  # a citizen of Guam is not covered
            ("T41", "GB", "CETA", "AECG"),
            ("F61", "IE", "CUKTCA", "Royaume-Uni"),
            ("T52", "KR", "CPTPP", "PTPGP"),
            ("F22", "PE", "Canada-Chile", "Canada-Chili"),
            ("F12", "CL", "Canada-Colombia", "Canada-Colombie"),
            ("F33", "JP", "Canada-Korea", "Canada-Corée"),
            ("F42", "CO", "Canada-Panama", "Canada-Panama"),
            ("F52", "CL", "Canada-Peru", "Canada-Pérou"),
            ("F72", "PL", "Canada-Ukraine", "Canada-Ukraine"),
        ],
    )
    def test_a_citizenship_the_agreement_does_not_cover_goes_to_review(
        self, code: str, country: str, named_en: str, named_fr: str
    ) -> None:
        finding = one(found({"/exemption/code": code, **citizen(country)}), "agreement_citizenship")
        assert finding.outcome is REVIEW
        assert finding.fields == ("/worker/citizenship", "/exemption/code")
        assert named_en in finding.message.en
        assert named_fr in finding.message.fr

    @pytest.mark.parametrize(
        ("code", "country"),
        [
            ("T36", "US"),
            ("T41", "DE"),
            ("F61", "GB"),
            ("T52", "JP"),
            ("T51", "MY"),
            ("F22", "CL"),
            ("F12", "CO"),
            ("F33", "KR"),
            ("F42", "PA"),
            ("F52", "PE"),
            ("F72", "UA"),
        ],
    )
    def test_covered_citizens_pass(self, code: str, country: str) -> None:
        assert "agreement_citizenship" not in rules(
            found({"/exemption/code": code, **citizen(country)})
        )

    def test_a_us_permanent_resident_is_not_a_cusma_citizen(self) -> None:
        changes = {"/exemption/code": "T36", **citizen("FR"), "/worker/us_permanent_resident": True}
        assert one(found(changes), "agreement_citizenship").outcome is REVIEW

    def test_a_second_citizenship_counts(self) -> None:
        changes = {"/exemption/code": "T41", **citizen("GB"), "/worker/other_citizenships": ["IE"]}
        assert "agreement_citizenship" not in rules(found(changes))

    def test_peruvian_permanent_residents_are_covered(self) -> None:
        changes = {
            "/exemption/code": "F52",
            **citizen("FR"),
            "/worker/permanent_resident_of": ["PE"],
        }
        assert "agreement_citizenship" not in rules(found(changes))

    def test_australian_permanent_residents_only_in_some_cptpp_categories(self) -> None:
        changes = {
            "/exemption/code": "T52",
            **citizen("GB"),
            "/worker/permanent_resident_of": ["AU"],
        }
        finding = one(found(changes), "agreement_citizenship")
        assert "permanent residents of Australia" in finding.message.en

    def test_malaysia_has_no_specialized_knowledge_transferees(self) -> None:
        assert "agreement_citizenship" in rules(found({"/exemption/code": "T55", **citizen("MY")}))

    def test_a_cptpp_party_counts_only_from_the_day_it_joined(self) -> None:
        changes = {"/exemption/code": "T52", **citizen("BN")}
        assert "agreement_citizenship" in rules(found(changes, today=date(2023, 7, 11)))
        assert "agreement_citizenship" not in rules(found(changes, today=date(2023, 7, 12)))


class TestProfessionNotListed:
    """rules_notes.md §9: CUSMA Appendix 2 (63 professions); GATS professionals' list."""

    def test_appendix_2_has_63_professions(self) -> None:
        assert len(CUSMA_PROFESSIONS) == 63

    @pytest.mark.parametrize(
        "title",
        [
            "Senior Software Engineer",
            "Ingénieure civile",
            "Management consultant",
            "Actuary",
            "Registered Nurse",
            "University professor of chemistry",
            "Computer systems analyst",
        ],
    )
    def test_listed_professions_pass(self, title: str) -> None:
        assert matches_profession(title, CUSMA_PROFESSIONS)
        changes = {"/exemption/code": "T36", "/work/job_title": title}
        assert "profession_not_listed" not in rules(found(changes))

    @pytest.mark.parametrize("title", ["Welder", "Sales representative", "Cook"])
    def test_other_titles_go_to_review_never_refusal(self, title: str) -> None:
        findings = found({"/exemption/code": "T36", "/work/job_title": title})
        finding = one(findings, "profession_not_listed")
        assert finding.outcome is REVIEW
        assert finding.fields == ("/work/job_title",)
        assert "Appendix 2" in finding.message.en
        assert "appendice 2" in finding.message.fr

    def test_gats_professionals_have_their_own_list(self) -> None:
        assert "profession_not_listed" not in rules(
            found({"/exemption/code": "T33", "/work/job_title": "Land surveyor"})
        )
        assert "profession_not_listed" in rules(
            found({"/exemption/code": "T33", "/work/job_title": "Accountant"})
        )


class TestFrancophoneMobility:
    """rules_notes.md §10, C16 record: outside Quebec; NCLC 5 since 2023-06-15."""

    def test_a_job_in_quebec_goes_to_review(self) -> None:
        changes = {"/exemption/code": "C16", "/work/location/province": "QC"}
        finding = one(found(changes), "c16_outside_quebec")
        assert finding.outcome is REVIEW
        assert finding.fields == ("/work/location/province", "/exemption/code")

    def test_an_offer_naming_quebec_goes_to_review(self) -> None:
        findings = found({"/exemption/code": "C16"}, offer_text="NOC 43203, Gatineau (Québec)")
        assert one(findings, "c16_outside_quebec").fields[-1] == "/documents/job_offer"

    def test_a_job_outside_quebec_passes(self) -> None:
        assert "c16_outside_quebec" not in rules(found({"/exemption/code": "C16"}))

    def test_french_below_nclc_5_goes_to_review(self) -> None:
        changes = {"/exemption/code": "C16", "/worker/french_nclc_level": 4}
        assert one(found(changes), "c16_french_level").outcome is REVIEW
        changes["/worker/french_nclc_level"] = 5
        assert "c16_french_level" not in rules(found(changes))

    def test_the_french_test_is_asked_as_evidence(self) -> None:
        findings = found({"/exemption/code": "C16"})
        missing = [f.fields for f in findings if f.rule == "document_missing"]
        assert ("/documents/language_test",) in missing


class TestMedicalExams:
    """poe_eligibility.md §4 and R12."""

    def test_a_long_stay_asks_for_the_countries_lived_in(self) -> None:
        finding = one(found({"/work/end_date": "2027-06-30"}), "medical_exam_residence")
        assert finding.outcome is REVIEW
        assert "/worker/countries_lived_last_year" in finding.fields
        assert "Give the countries" in finding.message.en

    def test_listed_countries_are_checked_by_a_reviewer(self) -> None:
        changes = {"/work/end_date": "2027-06-30", "/worker/countries_lived_last_year": ["FR"]}
        finding = one(found(changes), "medical_exam_residence")
        assert "designated" in finding.message.en

    def test_six_months_exactly_is_not_over_six_months(self) -> None:
        changes = {"/work/start_date": "2026-04-01", "/work/end_date": "2026-10-01"}
        assert "medical_exam_residence" not in rules(found(changes))
        changes["/work/end_date"] = "2026-10-02"
        assert "medical_exam_residence" in rules(found(changes))

    def test_uploaded_results_satisfy_r12(self) -> None:
        present = T11_PRESENT_KINDS | {"medical_exam_results"}
        findings = found({"/work/end_date": "2027-06-30"}, present=present)
        assert "medical_exam_residence" not in rules(findings)


class TestPersonRules:
    """poe_eligibility.md §5 and §6: each a review finding."""

    def test_living_in_canada_and_now_in_the_us_is_flagpoling(self) -> None:
        changes = {**citizen("FR"), "/worker/country_of_residence": "CA"}
        finding = one(found(changes), "flagpoling_suspected")
        assert finding.outcome is REVIEW
        assert "worker_in_canada" not in rules(found(changes))

    def test_us_citizens_are_exempt_from_the_flagpoling_restriction(self) -> None:
        assert "flagpoling_suspected" not in rules(found({"/worker/country_of_residence": "CA"}))

    def test_a_minor_on_the_start_date_goes_to_review(self) -> None:
        assert one(found({"/worker/date_of_birth": "2008-04-02"}), "worker_minor").outcome is REVIEW
        assert "worker_minor" not in rules(found({"/worker/date_of_birth": "2008-04-01"}))

    @pytest.mark.parametrize(
        "pointer",
        [
            "/worker/previously_refused",
            "/worker/previously_overstayed",
            "/worker/previous_canadian_permit",
        ],
    )
    def test_immigration_history_goes_to_review(self, pointer: str) -> None:
        finding = one(found({pointer: True}), "prior_immigration_history")
        assert finding.fields == (pointer,)

    def test_accompanying_family_goes_to_review(self) -> None:
        finding = one(found({"/worker/accompanying_family": True}), "accompanying_family")
        assert "par. 198(1)" in finding.message.fr


class TestPassportNumberInOffer:
    """rules_notes.md §2: exact match of the passport number (spaces, hyphens, case count)."""

    @pytest.mark.parametrize(
        "offer",
        [
            "Passport No.: X99999999",
            "passport number x12345678",
            "Numéro de passeport : X1234-5678",
        ],
    )
    def test_a_different_number_goes_to_review(self, offer: str) -> None:
        finding = one(found({}, offer_text=f"NOC 43203 {offer}"), "passport_number_mismatch")
        assert finding.fields == ("/worker/passport/number", "/documents/job_offer")

    def test_the_same_number_passes_and_an_offer_without_one_is_left_alone(self) -> None:
        assert "passport_number_mismatch" not in rules(
            found({}, offer_text="NOC 43203. Passport: X12345678")
        )
        assert "passport_number_mismatch" not in rules(
            found({}, offer_text="NOC 43203. Bring your passport to the interview.")
        )


class TestTeerLimits:
    """rules_notes.md §1 and §10: short-term exemption TEER 0-1 and 15/30 days; C88, T13."""

    def test_short_term_work_needs_teer_0_or_1_and_30_days_at_most(self) -> None:
        changes = {"/exemption/code": "GSS-15/30", "/exemption/type": "work_permit_exemption"}
        findings = found(changes)
        assert one(findings, "noc_teer_not_allowed").outcome is REVIEW
        assert one(findings, "short_term_duration").outcome is REVIEW
        short = {
            **changes,
            "/work/noc_code": "21231",
            "/work/start_date": "2026-04-01",
            "/work/end_date": "2026-04-30",
        }
        assert not {"noc_teer_not_allowed", "short_term_duration"} & set(
            rules(found(short, offer_text="NOC 21231"))
        )

    def test_c88_needs_teer_0_to_3(self) -> None:
        findings = found({"/exemption/code": "C88", "/work/noc_code": "65200"}, offer_text="65200")
        assert "FEER 5" in one(findings, "noc_teer_not_allowed").message.fr


class TestPermitLength:
    """rules_notes.md §9 and the records' notes: the longest permit each code allows."""

    def test_cusma_professionals_get_up_to_3_years(self) -> None:
        changes = {"/exemption/code": "T36", "/work/job_title": "Civil engineer"}
        three_years = {**changes, "/work/start_date": "2026-04-01", "/work/end_date": "2029-04-01"}
        assert "permit_length_exceeded" not in rules(found(three_years))
        finding = one(
            found({**three_years, "/work/end_date": "2029-04-02"}), "permit_length_exceeded"
        )
        assert finding.outcome is REVIEW
        assert finding.fields == ("/work/start_date", "/work/end_date", "/exemption/code")
        assert "up to 3 years" in finding.message.en
        assert "au plus 3 ans" in finding.message.fr

    @pytest.mark.parametrize("code", ["T43", "T47", "T48"])
    def test_ceta_service_suppliers_stay_12_months(self, code: str) -> None:
        changes = {"/exemption/code": code, **citizen("FR"), "/work/start_date": "2026-04-01"}
        assert "permit_length_exceeded" not in rules(
            found({**changes, "/work/end_date": "2027-04-01"})
        )
        finding = one(found({**changes, "/work/end_date": "2027-06-30"}), "permit_length_exceeded")
        assert "12 months within any 24-month period" in finding.message.en
        assert "12 mois sur toute période de 24 mois" in finding.message.fr
        assert "AECG" in finding.message.fr

    @pytest.mark.parametrize("title", ["Visiting professor", "Professeure invitée"])
    def test_c22_visiting_professors_stay_2_academic_years(self, title: str) -> None:
        changes = {"/exemption/code": "C22", "/work/job_title": title}
        long = {**changes, "/work/start_date": "2026-09-01", "/work/end_date": "2028-12-31"}
        assert one(found(long), "permit_length_exceeded").outcome is REVIEW
        assert "permit_length_exceeded" not in rules(
            found({**long, "/work/end_date": "2028-06-30"})
        )

    def test_c22_exchange_teachers_have_no_stated_limit(self) -> None:
        changes = {
            "/exemption/code": "C22",
            "/work/job_title": "Exchange teacher",
            "/work/start_date": "2026-09-01",
            "/work/end_date": "2029-06-30",
        }
        assert "permit_length_exceeded" not in rules(found(changes))

    def test_codes_without_a_stated_limit_are_left_alone(self) -> None:
        changes = {"/exemption/code": "T37", "/work/end_date": "2031-03-31"}
        assert "permit_length_exceeded" not in rules(found(changes))

    def test_public_speakers_are_for_events_under_5_days(self) -> None:
        changes = {
            "/exemption/code": "R186(j)",
            "/exemption/type": "work_permit_exemption",
            "/work/start_date": "2026-04-01",
            "/work/end_date": "2026-04-04",
        }
        assert "short_term_duration" not in rules(found(changes))
        finding = one(found({**changes, "/work/end_date": "2026-04-05"}), "short_term_duration")
        assert finding.outcome is REVIEW
        assert "at most 4 days" in finding.message.en


class TestNocForCode:
    """The C24 record's evidence (NOC 54100) and the C90 record's notes (NOC 44100 or 44101)."""

    def test_camp_counsellors_are_noc_54100(self) -> None:
        finding = one(found({"/exemption/code": "C24"}), "noc_not_allowed_for_code")
        assert finding.outcome is REVIEW
        assert finding.fields == ("/work/noc_code", "/exemption/code")
        assert "CNP 54100" in finding.message.fr
        changes = {"/exemption/code": "C24", "/work/noc_code": "54100"}
        assert "noc_not_allowed_for_code" not in rules(found(changes, offer_text="NOC 54100"))

    def test_caregivers_are_noc_44100_or_44101(self) -> None:
        changes = {"/exemption/code": "C90", "/work/noc_code": "44101"}
        assert "noc_not_allowed_for_code" not in rules(found(changes, offer_text="NOC 44101"))
        assert "noc_not_allowed_for_code" in rules(found({"/exemption/code": "C90"}))


class TestSpousesOpenPermits:
    """A spouse's open permit (T45, F64...) rests on the covered worker, not on the spouse's own
    citizenship: only `code_out_of_scope` speaks."""

    @pytest.mark.parametrize("code", ["T45", "F64", "T53", "T25", "F36"])
    def test_no_citizenship_finding_for_a_spouse(self, code: str) -> None:
        findings = found({"/exemption/code": code, **citizen("JP")})
        assert "agreement_citizenship" not in rules(findings)
        assert one(findings, "code_out_of_scope").outcome is REVIEW


class TestT11:
    """Seed 000: the R204(a)/R204(c) note; T11 is not a trade agreement."""

    def test_the_reviewer_note_is_a_warning(self) -> None:
        finding = one(found({}), "t11_regulation_note")
        assert finding.outcome is WARN
        assert "R204(a)" in finding.message.en
        assert "R204(c)" in finding.message.en


class TestDueDate:
    """Issue 11: due no later than the day before entry."""

    def test_due_before_entry(self) -> None:
        assert due_date(date(2026, 3, 2), 10, date(2026, 3, 6)) == date(2026, 3, 5)

    def test_entry_on_monday_is_due_the_friday_before(self) -> None:
        assert due_date(date(2026, 3, 2), 10, date(2026, 3, 9)) == date(2026, 3, 6)

    def test_far_entry_keeps_the_service_days(self) -> None:
        assert due_date(date(2026, 3, 2), 10, date(2026, 6, 1)) == date(2026, 3, 16)

    def test_entry_passed_is_due_at_once(self) -> None:
        assert due_date(date(2026, 3, 2), 10, date(2026, 2, 1)) == date(2026, 3, 2)
