"""Each triage rule fires when its condition holds and stays silent otherwise."""

from collections.abc import Iterable, Mapping
from datetime import date

import pytest

from app.common.findings import Finding, Outcome
from app.eligibility.reference import load_reference
from app.triage.rules import (
    TRIAGE_RULE_IDS,
    TRIAGE_RULES,
    TriageContext,
    evaluate_triage,
    mentions_phrase,
    mentions_province,
)
from tests.eligibility.factories import T11_PRESENT_KINDS, TODAY, complete_t11_content
from tests.triage.corpus import corpus_findings

REVIEW, WARN = Outcome.REVIEW, Outcome.WARN
OFFER_TEXT = "Employment offer. NOC 43203. Work location: 1000 Airport Parkway, Ottawa, ON K1V 9B4."
CLEAN: Mapping[str, object] = {"/work/wage/amount": "40.00", "/work/wage/currency": "CAD"}
C20_MONTREAL: Mapping[str, object] = {
    "/exemption/code": "C20",
    "/work/location/city": "Montréal",
    "/work/location/province": "QC",
}
OFFER = "/documents/job_offer"
CITY, PROVINCE = "/work/location/city", "/work/location/province"


def context(
    changes: Mapping[str, object] | None = None,
    *,
    offer_text: str | None = OFFER_TEXT,
    present: Iterable[str] = T11_PRESENT_KINDS,
    today: date = TODAY,
) -> TriageContext:
    content = complete_t11_content({**CLEAN, **(changes or {})})
    return TriageContext(content, load_reference(), frozenset(present), offer_text, today)


def findings(
    changes: Mapping[str, object] | None = None,
    *,
    offer_text: str | None = OFFER_TEXT,
    present: Iterable[str] = T11_PRESENT_KINDS,
    today: date = TODAY,
) -> list[Finding]:
    return evaluate_triage(context(changes, offer_text=offer_text, present=present, today=today))


def only(found: list[Finding], rule: str) -> Finding:
    matching = [finding for finding in found if finding.rule == rule]
    assert len(matching) == 1, [finding.rule for finding in found]
    return matching[0]


def rules(found: list[Finding]) -> list[str]:
    return [finding.rule for finding in found]


class TestRuleList:
    def test_ids_in_order(self) -> None:
        assert TRIAGE_RULE_IDS == (
            "dual_nationality",
            "c20_location_check",
            "job_location_differs_from_offer",
            "noc_not_in_offer",
            "medical_exam_likely",
            "wage_missing_or_negative",
            "start_date_in_past",
            "agreement_citizenship",
            "profession_not_listed",
            "c16_outside_quebec",
            "c16_french_level",
            "t11_regulation_note",
            "noc_teer_not_allowed",
            "noc_not_allowed_for_code",
            "short_term_duration",
            "permit_length_exceeded",
            "flagpoling_suspected",
            "worker_minor",
            "prior_immigration_history",
            "accompanying_family",
            "medical_exam_residence",
            "agricultural_work_check",
            "passport_number_mismatch",
        )

    def test_every_rule_has_a_docstring(self) -> None:
        assert all(rule.__doc__ and rule.__doc__.strip() for rule in TRIAGE_RULES)

    def test_a_complete_request_with_a_matching_offer_has_only_the_t11_note(self) -> None:
        assert [(f.rule, f.outcome) for f in findings()] == [("t11_regulation_note", WARN)]


class TestDualNationality:
    def test_other_citizenship_goes_to_review(self) -> None:
        finding = only(findings({"/worker/other_citizenships": ["FR"]}), "dual_nationality")
        assert finding.outcome is REVIEW
        assert finding.fields == ("/worker/other_citizenships",)

    def test_travel_passport_of_another_country_goes_to_review(self) -> None:
        finding = only(findings({"/worker/travel_passport_country": "GB"}), "dual_nationality")
        assert finding.fields == ("/worker/travel_passport_country",)

    def test_both_name_both_fields(self) -> None:
        changes = {"/worker/other_citizenships": ["GB"], "/worker/travel_passport_country": "GB"}
        finding = only(findings(changes), "dual_nationality")
        assert finding.fields == ("/worker/other_citizenships", "/worker/travel_passport_country")

    @pytest.mark.parametrize(
        "changes",
        [
            {"/worker/travel_passport_country": "US"},
            {"/worker/other_citizenships": ["US"]},
            {"/worker/other_citizenships": []},
        ],
    )
    def test_one_nationality_is_silent(self, changes: Mapping[str, object]) -> None:
        assert "dual_nationality" not in rules(findings(changes))


class TestC20LocationCheck:
    @pytest.mark.parametrize(
        "text",
        [
            "Lieu de travail : 1200, rue Sainte-Catherine, Montréal (Québec) H3B 1K9",
            "Work location: Montreal, QC",
            "Work location: MONTREAL, Quebec",
            "work location: montréal, qc",
            "Montréal, Province de Québec",
        ],
    )
    def test_matching_offer_is_silent(self, text: str) -> None:
        assert "c20_location_check" not in rules(findings(C20_MONTREAL, offer_text=text))

    def test_other_city_names_the_city(self) -> None:
        found = findings(C20_MONTREAL, offer_text="Work location: Laval (Québec)")
        finding = only(found, "c20_location_check")
        assert finding.outcome is REVIEW
        assert finding.fields == (CITY, OFFER)
        assert finding.message.en.startswith("The job offer does not mention the city")
        assert "Montr" not in finding.message.en + finding.message.fr

    def test_other_province_names_the_province(self) -> None:
        found = findings(C20_MONTREAL, offer_text="Work location: Montreal, Ontario")
        finding = only(found, "c20_location_check")
        assert finding.fields == (PROVINCE, OFFER)
        assert "province or territory" in finding.message.en

    def test_other_city_and_province_names_both(self) -> None:
        found = findings(C20_MONTREAL, offer_text="Work location: Toronto, ON M5V 2T6")
        finding = only(found, "c20_location_check")
        assert finding.fields == (CITY, PROVINCE, OFFER)
        assert finding.message.en.startswith("The job offer mentions neither")

    @pytest.mark.parametrize(
        ("text", "found"),
        [
            ("Ottawa, ON K1V 9B4", False),
            ("Ottawa (Ontario)", False),
            ("ottawa, ONTARIO", False),
            ("Ottawa office, based on site", True),  # "on" is a word, not Ontario
        ],
    )
    def test_ontario_code_only_in_capitals(self, text: str, found: bool) -> None:
        changes = {"/exemption/code": "C20"}
        assert ("c20_location_check" in rules(findings(changes, offer_text=text))) is found

    @pytest.mark.parametrize("text", [None, "", "   \n\f  ", "...."])
    def test_unreadable_offer_says_so(self, text: str | None) -> None:
        finding = only(findings(C20_MONTREAL, offer_text=text), "c20_location_check")
        assert finding.fields == (OFFER,)
        assert "could not be read" in finding.message.en
        assert "n'a pas pu être lu" in finding.message.fr

    def test_other_codes_are_not_checked(self) -> None:
        found = findings({"/work/location/city": "Gatineau"}, offer_text="Toronto, ON")
        assert "c20_location_check" not in rules(found)


class TestJobLocationDiffersFromOffer:
    """rules_notes.md §10 and imm5686_fields.md: the form's job location must match the offer,
    for every code (C20 has its own check). The offers below follow source 000: a US agency's
    letter naming the assignment, its location and the years in Canada."""

    @pytest.mark.parametrize(
        "text",
        [
            OFFER_TEXT,
            "Assignment: CBP pre-clearance, NOC 43203, Ottawa Macdonald-Cartier International "
            "Airport, Ottawa, Ontario, for 2 years.",
            "NOC 43203. Locations: Ottawa, ON (primary) and Montréal (Québec).",
            "NOC 43203. Work location: Ottawa.",  # no province given: not a difference
            "NOC 43203. Work location: Ottawa. Employer: Acme AB, Stockholm.",  # AB not Alberta
        ],
    )
    def test_an_offer_naming_the_form_location_is_silent(self, text: str) -> None:
        assert "job_location_differs_from_offer" not in rules(findings(offer_text=text))

    def test_another_city_goes_to_review(self) -> None:
        found = findings(offer_text="NOC 43203. Work location: Toronto, ON M5V 2T6")
        finding = only(found, "job_location_differs_from_offer")
        assert finding.outcome is REVIEW
        assert finding.fields == (CITY, OFFER)
        assert finding.message.en.startswith("The job offer does not mention the city")
        assert "Ottawa" not in finding.message.en + finding.message.fr

    def test_another_province_named_in_full_goes_to_review(self) -> None:
        text = "NOC 43203. Work location: Ottawa. Head office: Montréal (Québec)"
        finding = only(findings(offer_text=text), "job_location_differs_from_offer")
        assert finding.fields == (PROVINCE, OFFER)
        assert "another province or territory" in finding.message.en
        assert "une autre province ou un autre territoire" in finding.message.fr

    def test_another_city_and_province_name_both(self) -> None:
        text = "NOC 43203. Work location: Vancouver, British Columbia"
        finding = only(findings(offer_text=text), "job_location_differs_from_offer")
        assert finding.fields == (CITY, PROVINCE, OFFER)
        assert finding.message.en.startswith("The job offer mentions neither")

    @pytest.mark.parametrize("text", [None, "", "...."])
    def test_an_unreadable_offer_is_left_to_noc_not_in_offer(self, text: str | None) -> None:
        found = rules(findings(offer_text=text))
        assert "job_location_differs_from_offer" not in found
        assert "noc_not_in_offer" in found

    def test_no_offer_uploaded_is_left_to_the_prerequisites(self) -> None:
        present = T11_PRESENT_KINDS - {"job_offer"}
        assert "job_location_differs_from_offer" not in rules(
            findings(offer_text=None, present=present)
        )

    def test_c20_is_checked_once_by_its_own_rule(self) -> None:
        found = rules(findings(C20_MONTREAL, offer_text="NOC 43203. Toronto, Ontario"))
        assert "c20_location_check" in found
        assert "job_location_differs_from_offer" not in found


class TestNocNotInOffer:
    def test_offer_without_the_code_goes_to_review(self) -> None:
        finding = only(findings(offer_text="Ottawa, ON. NOC 43204."), "noc_not_in_offer")
        assert finding.outcome is REVIEW
        assert finding.fields == ("/work/noc_code", OFFER)

    def test_code_inside_a_longer_number_does_not_count(self) -> None:
        assert "noc_not_in_offer" in rules(findings(offer_text="Reference 1432031, Ottawa"))

    @pytest.mark.parametrize("text", ["NOC: 43203", "CNP 43203", "(43203)", "NOC/CNP43203-"])
    def test_offer_with_the_code_is_silent(self, text: str) -> None:
        assert "noc_not_in_offer" not in rules(findings(offer_text=text))

    def test_no_noc_on_the_form_is_silent(self) -> None:
        assert "noc_not_in_offer" not in rules(findings({"/work/noc_code": None}, offer_text="x"))

    def test_unreadable_offer_says_so(self) -> None:
        finding = only(findings(offer_text=None), "noc_not_in_offer")
        assert finding.fields == (OFFER,)
        assert "could not be read" in finding.message.en

    def test_no_job_offer_uploaded_is_left_to_the_prerequisites(self) -> None:
        present = T11_PRESENT_KINDS - {"job_offer"}
        assert rules(findings(offer_text=None, present=present)) == ["t11_regulation_note"]

    def test_unreadable_c20_offer_is_reported_once(self) -> None:
        assert rules(findings(C20_MONTREAL, offer_text=None)) == ["c20_location_check"]

    def test_c20_offer_must_state_the_noc(self) -> None:
        found = findings(C20_MONTREAL, offer_text="Montréal (Québec)")
        assert rules(found) == ["noc_not_in_offer"]


class TestMedicalExamLikely:
    @pytest.mark.parametrize(
        "noc",
        ["31301", "33102", "32120", "41220", "41221", "43100", "42202", "44100", "44101", "85101"],
    )
    def test_settings_needing_an_exam_go_to_review(self, noc: str) -> None:
        found = findings({"/work/noc_code": noc}, offer_text=f"NOC {noc}, Ottawa ON")
        finding = only(found, "medical_exam_likely")
        assert finding.outcome is REVIEW
        assert finding.fields == ("/work/noc_code", "/documents/medical_exam_results")

    def test_uploaded_exam_results_satisfy_r12(self) -> None:
        present = T11_PRESENT_KINDS | {"medical_exam_results"}
        found = findings({"/work/noc_code": "31301"}, offer_text="NOC 31301", present=present)
        assert "medical_exam_likely" not in rules(found)

    @pytest.mark.parametrize("noc", ["43203", "43109", "21231", "95106", "3012"])
    def test_other_occupations_are_silent(self, noc: str) -> None:
        found = findings({"/work/noc_code": noc}, offer_text=f"NOC {noc}, Ottawa ON")
        assert "medical_exam_likely" not in rules(found)

    def test_a_long_stay_alone_is_silent(self) -> None:
        long_stay = {"/work/start_date": "2026-04-01", "/work/end_date": "2029-03-31"}
        assert "medical_exam_likely" not in rules(findings(long_stay))


class TestWageMissingOrNegative:
    def test_missing_wage_goes_to_review(self) -> None:
        finding = only(findings({"/work/wage/amount": None}), "wage_missing_or_negative")
        assert finding.outcome is REVIEW
        assert finding.fields == ("/work/wage/amount",)
        assert "missing" in finding.message.en

    def test_negative_wage_goes_to_review(self) -> None:
        finding = only(findings({"/work/wage/amount": "-1.00"}), "wage_missing_or_negative")
        assert "below zero" in finding.message.en

    @pytest.mark.parametrize("amount", ["0", "0.01", "95000"])
    def test_zero_or_more_is_silent(self, amount: str) -> None:
        assert "wage_missing_or_negative" not in rules(findings({"/work/wage/amount": amount}))


class TestStartDateInPast:
    def test_yesterday_goes_to_review(self) -> None:
        finding = only(findings(today=date(2026, 4, 2)), "start_date_in_past")
        assert finding.outcome is REVIEW
        assert finding.fields == ("/work/start_date",)

    @pytest.mark.parametrize("today", [date(2026, 4, 1), date(2026, 3, 31)])
    def test_today_or_later_is_silent(self, today: date) -> None:
        assert "start_date_in_past" not in rules(findings(today=today))

    def test_no_start_date_is_silent(self) -> None:
        no_dates = {"/work/start_date": None, "/work/end_date": None}
        assert "start_date_in_past" not in rules(findings(no_dates))


class TestMatching:
    @pytest.mark.parametrize(
        ("text", "phrase", "expected"),
        [
            ("Saint-Jérôme (Québec)", "SAINT JEROME", True),
            ("Saint-Jérômeville", "Saint-Jérôme", False),
            ("St. John's, NL", "St John's", True),
            ("Trois-Rivières", "trois rivieres", True),
            ("anything", "  ", False),
        ],
    )
    def test_phrases_are_whole_words_without_accents_or_case(
        self, text: str, phrase: str, expected: bool
    ) -> None:
        assert mentions_phrase(text, phrase) is expected

    @pytest.mark.parametrize(
        ("text", "province", "expected"),
        [
            ("Île-du-Prince-Édouard", "PE", True),
            ("Prince Edward Island", "PE", True),
            ("Charlottetown PE C1A", "PE", True),
            ("Terre-Neuve-et-Labrador", "NL", True),
            ("Nouvelle-Ecosse", "NS", True),
            ("Iqaluit, NU", "NU", True),
            ("Iqaluit, nu", "NU", False),
            ("QCX", "QC", False),
            ("Vancouver, British Columbia", "AB", False),
        ],
    )
    def test_provinces_by_code_or_english_or_french_name(
        self, text: str, province: str, expected: bool
    ) -> None:
        assert mentions_province(text, province) is expected


class TestMessages:
    def test_every_message_is_in_both_languages(self) -> None:
        found = corpus_findings()
        assert set(rules(found)) >= set(TRIAGE_RULE_IDS)
        for finding in found:
            assert finding.message.en.strip()
            assert finding.message.fr.strip()
            assert finding.message.en != finding.message.fr
