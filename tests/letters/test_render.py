"""The letter PDF, read back with pypdf: facts, language, verification code and QR image."""

import io
import json
from dataclasses import replace
from datetime import date

import pytest
from PIL import Image
from pypdf import PdfReader

from app.letters import render
from app.letters.facts import LetterFacts, country_name, facts_dict, fee_sentences
from app.letters.render import render_letter

CODE = "K7QM-2ZXP-HD4W"
EN_BSO = (
    "This opinion is advisory. The border services officer (BSO) at the port of entry makes the "
    "final decision."
)
FR_BSO = (
    "Cette opinion est fournie à titre indicatif. L'agent des services frontaliers (ASF) au point "
    "d'entrée prend la décision finale."
)


def make_facts(**changes: object) -> LetterFacts:
    facts = LetterFacts(
        reference="IMWU-2026-000123",
        issued_on=date(2026, 3, 2),
        language="en",
        outcome="positive",
        employer_name="Northern Robotics Ltd.",
        worker_family_name="Lefèvre-Ångström",
        worker_given_names="Zoë Marie",
        worker_date_of_birth=date(1990, 5, 17),
        worker_citizenship="DE",
        passport_number="C01X00T47",
        exemption_code="C10",
        exemption_title="Significant benefit",
        regulation="R205(a)",
        job_title="Senior robotics engineer",
        noc_code="21399",
        location="Montréal, QC",
        period_from=date(2026, 4, 1),
        period_to=date(2027, 3, 31),
        conditions=("Show the signed offer of employment at the port of entry.",),
        reasons=(),
        employer_compliance_fee="required",
        fee_exemption_codes=(),
        verification_code=CODE,
        verify_url=f"https://imwu.example.ca/api/v1/letters/verify/{CODE}",
    )
    return replace(facts, **changes)  # type: ignore[arg-type]


def read(pdf: bytes) -> tuple[PdfReader, str]:
    """The reader and the whole text with runs of whitespace made single spaces."""
    reader = PdfReader(io.BytesIO(pdf))
    text = " ".join(page.extract_text() for page in reader.pages)
    return reader, " ".join(text.split())


@pytest.fixture(scope="module")
def english() -> tuple[PdfReader, str]:
    return read(render_letter(make_facts()))


@pytest.fixture(scope="module")
def french() -> tuple[PdfReader, str]:
    return read(
        render_letter(
            make_facts(
                language="fr",
                job_title="Ingénieure principale en robotique",
                conditions=("Présenter l'offre d'emploi signée au point d'entrée.",),
            )
        )
    )


@pytest.fixture(scope="module")
def negative() -> tuple[PdfReader, str]:
    facts = make_facts(
        outcome="negative",
        conditions=(),
        reasons=(
            "The employer is not the worker's employer abroad.",
            "No reciprocal arrangement covers this position.",
        ),
        suggest_lmia_route=True,
    )
    return read(render_letter(facts))


class TestRenderLetter:
    def test_english_letter_states_every_fact(self, english: tuple[PdfReader, str]) -> None:
        _, text = english
        for expected in (
            "Opinion of the International Mobility Workers Unit (IMWU)",
            "Reference: IMWU-2026-000123",
            "Date: 2026-03-02",
            "In the IMWU's opinion, the exemption below applies",
            "Northern Robotics Ltd.",
            "Family name Lefèvre-Ångström",
            "Given name(s) Zoë Marie",
            "Date of birth 1990-05-17",
            "Citizenship Germany (DE)",
            "Passport number C01X00T47",
            "Exemption code C10 - Significant benefit",
            "Regulation R205(a)",
            "Job title Senior robotics engineer",
            "NOC 2021 21399",
            "Location Montréal, QC",
            "Period 2026-04-01 to 2027-03-31",
            "Conditions",
            "Show the signed offer of employment at the port of entry.",
            "Employer compliance fee: CAD 230 (R303.1).",
            EN_BSO,
            f"Verification code: {CODE}",
            f"https://imwu.example.ca/api/v1/letters/verify/{CODE}",
        ):
            assert expected in text
        assert "Reasons" not in text

    def test_french_letter_is_in_french(self, french: tuple[PdfReader, str]) -> None:
        reader, text = french
        for expected in (
            "Opinion de l'Unité pour la mobilité internationale des travailleurs (UMIT)",
            "Référence : IMWU-2026-000123",
            "De l'avis de l'UMIT, la dispense ci-dessous s'applique à cette offre d'emploi",
            "Nom de famille Lefèvre-Ångström",
            "Date de naissance 1990-05-17",
            "Citoyenneté Allemagne (DE)",
            "Numéro de passeport C01X00T47",
            "Code de dispense C10 - Significant benefit",
            "Règlement R205(a)",
            "Titre du poste Ingénieure principale en robotique",
            "CNP 2021 21399",
            "Lieu de travail Montréal, QC",
            "Période du 2026-04-01 au 2027-03-31",
            "Présenter l'offre d'emploi signée au point d'entrée.",
            "Frais relatifs à la conformité de l'employeur : 230 $ CA (R303.1).",
            FR_BSO,
            f"Code de vérification : {CODE}",
        ):
            assert expected in text
        for english_only in ("Date of birth", "border services officer", "Verification code"):
            assert english_only not in text
        assert str(reader.root_object["/Lang"]) == "fr-CA"

    def test_negative_letter_states_its_reasons(self, negative: tuple[PdfReader, str]) -> None:
        _, text = negative
        assert "the exemption below does not apply to this offer of employment" in text
        assert "Reasons" in text
        assert "The employer is not the worker's employer abroad." in text
        assert "No reciprocal arrangement covers this position." in text
        assert "Labour Market Impact Assessment (LMIA)" in text
        assert "Conditions" not in text
        assert EN_BSO in text
        assert f"Verification code: {CODE}" in text

    def test_letter_is_one_page_with_the_qr_code_of_the_verify_url(
        self, english: tuple[PdfReader, str]
    ) -> None:
        reader, _ = english
        assert len(reader.pages) == 1
        images = reader.pages[0].images
        assert len(images) == 1
        image = images[0].image
        assert image is not None
        printed = image.convert("L")
        expected: Image.Image = render._qr_image(make_facts().verify_url)
        assert printed.size == expected.size
        assert printed.tobytes() == expected.tobytes()

    def test_supersedes_names_the_replaced_letter(self) -> None:
        _, text = read(render_letter(make_facts(supersedes="ABCD-EFGH-JKLM")))
        assert "This letter replaces letter ABCD-EFGH-JKLM, which is no longer valid." in text

    def test_same_facts_give_the_same_bytes(self) -> None:
        facts = make_facts()
        pdf = render_letter(facts)
        assert render_letter(facts) == pdf
        metadata = PdfReader(io.BytesIO(pdf)).metadata
        assert metadata is not None
        assert str(metadata["/CreationDate"]) == "D:20260302000000+00'00'"


class TestNames:
    def test_accented_names_survive(self, english: tuple[PdfReader, str]) -> None:
        _, text = english
        assert "Zoë Marie" in text
        assert "Lefèvre-Ångström" in text

    def test_characters_outside_the_font_do_not_crash(self) -> None:
        facts = make_facts(worker_given_names="Łukasz 王小明", worker_family_name="Dvořák")
        reader, text = read(render_letter(facts))
        assert len(reader.pages) == 1
        assert "Łukasz" in text
        assert "Dvo" in text  # then "ř", or "r" where the font lacks it
        assert "ák" in text

    def test_printable_uses_the_base_letter_or_a_question_mark(self) -> None:
        assert render.printable("Zoë") == "Zoë"
        assert render.printable("王") == "?"
        assert render.printable("\U0001d400") == "A"  # mathematical bold A decomposes to A


class TestFonts:
    def test_without_dejavu_the_bundled_vera_font_is_used(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(render, "_FONT_FILES", (("/nonexistent/DejaVuSans.ttf", "x.ttf"),))
        assert render._font_paths() == ("Vera.ttf", "VeraBd.ttf")


class TestLength:
    def test_many_conditions_still_fit_one_page(self) -> None:
        conditions = tuple(f"Condition {n}: the worker keeps the offer at hand." for n in range(12))
        reader, text = read(render_letter(make_facts(conditions=conditions)))
        assert len(reader.pages) == 1
        assert "Condition 11: the worker keeps the offer at hand." in text

    def test_overlong_letter_continues_overleaf_without_losing_text(self) -> None:
        conditions = tuple(f"Condition {n}: the worker keeps the offer at hand." for n in range(70))
        reader, text = read(render_letter(make_facts(conditions=conditions)))
        assert len(reader.pages) > 1
        assert "Condition 69: the worker keeps the offer at hand." in text
        assert text.count(f"Verification code: {CODE}") == len(reader.pages)

    def test_a_long_url_is_cut_to_fit(self) -> None:
        url = "https://imwu.example.ca/" + "x" * 150
        _, text = read(render_letter(make_facts(verify_url=url)))
        assert url in text.replace(" ", "")


class TestFeeSentences:
    @pytest.mark.parametrize(
        ("fee", "codes", "language", "expected"),
        [
            ("required", (), "en", ("Employer compliance fee: CAD 230 (R303.1).",)),
            (
                "exempt",
                ("E02",),
                "en",
                ("Employer compliance fee: not payable (exempt).", "Fee exemption code(s): E02."),
            ),
            ("not_applicable", (), "en", ("Employer compliance fee: not applicable.",)),
            (None, (), "en", ("Employer compliance fee: not stated in the reference data.",)),
            (
                "required",
                (),
                "fr",
                ("Frais relatifs à la conformité de l'employeur : 230 $ CA (R303.1).",),
            ),
            (
                "not_applicable",
                ("E01", "P01"),
                "fr",
                (
                    "Frais relatifs à la conformité de l'employeur : sans objet.",
                    "Code(s) d'exemption des frais : E01, P01.",
                ),
            ),
        ],
    )
    def test_fee_sentence_follows_the_reference_record(
        self, fee: str | None, codes: tuple[str, ...], language: str, expected: tuple[str, ...]
    ) -> None:
        facts = make_facts(
            employer_compliance_fee=fee, fee_exemption_codes=codes, language=language
        )
        assert fee_sentences(facts) == expected

    def test_varies_names_both_waivers(self) -> None:
        (sentence, codes) = fee_sentences(
            make_facts(employer_compliance_fee="varies", fee_exemption_codes=("EC1", "E03"))
        )
        assert sentence.startswith("Employer compliance fee: CAD 230 (R303.1), unless waived")
        assert "R299(2)" in sentence
        assert "R209.9" in sentence
        assert codes == "Fee exemption code(s): EC1, E03."


class TestFacts:
    def test_facts_dict_is_json_ready(self) -> None:
        facts = make_facts(reasons=("A reason.",))
        data = facts_dict(facts)
        assert data["schema"] == "imwu-letter/1"
        assert data["worker_date_of_birth"] == "1990-05-17"
        assert data["period_to"] == "2027-03-31"
        assert data["conditions"] == ["Show the signed offer of employment at the port of entry."]
        assert data["reasons"] == ["A reason."]
        assert data["supersedes"] is None
        assert json.loads(json.dumps(data)) == data

    def test_negative_letter_without_reasons_is_refused(self) -> None:
        with pytest.raises(ValueError, match="reasons") as error:
            make_facts(outcome="negative")
        assert "Lefèvre" not in str(error.value)

    def test_period_must_not_end_before_it_starts(self) -> None:
        with pytest.raises(ValueError, match="period_to"):
            make_facts(period_to=date(2026, 1, 1))

    @pytest.mark.parametrize(
        ("code", "language", "expected"),
        [
            ("KR", "en", "South Korea (KR)"),
            ("KR", "fr", "Corée du Sud (KR)"),
            ("gb", "fr", "Royaume-Uni (GB)"),
            ("XK", "en", "XK"),
        ],
    )
    def test_country_name(self, code: str, language: str, expected: str) -> None:
        assert country_name(code, language) == expected  # type: ignore[arg-type]
