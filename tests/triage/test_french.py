"""Every message is wholly in its language (issue 11): no French message carries an English label
of the reference data or English running text, and the house style is kept ("par. 198(1)",
"dispense de l'EIMT")."""

import re

import pytest

from app.eligibility.agreements import AGREEMENTS
from app.eligibility.reference import load_reference
from app.eligibility.rules import RULE_IDS
from app.triage.rules import TRIAGE_RULE_IDS
from tests.triage.corpus import corpus_findings

# Words of English running text that French never uses as words.
ENGLISH_WORDS = re.compile(
    r"\b(?:the|and|with|which|will|must|of|is|are|this|that|from|for|job|offer|worker|code "
    r"table|passport|reviewer|permit)\b",
    re.IGNORECASE,
)


def _english_labels() -> set[str]:
    """The reference's English labels: code titles, evidence and notes, passport requirements,
    country names, and the agreements' English names (at least two words, so that acronyms and
    names identical in French, such as "Canada", are not counted)."""
    reference = load_reference()
    labels: set[str] = set()
    for record in reference.codes.values():
        labels.update(filter(None, (record.title, *record.evidence, *record.notes)))
    for country in (*reference.countries.values(), *reference.special_records):
        labels.update(filter(None, (country.passport_requirement, *country.conditions)))
        labels.add(country.name)
    for agreement in AGREEMENTS.values():
        labels.update((agreement.name.en, agreement.covers.en))
    return {label for label in labels if " " in label.strip()}


@pytest.fixture(scope="module")
def found():  # type: ignore[no-untyped-def]
    return corpus_findings()


def test_the_corpus_reaches_every_rule(found) -> None:  # type: ignore[no-untyped-def]
    assert {f.rule for f in found} == set(RULE_IDS) | set(TRIAGE_RULE_IDS)


def test_no_french_message_carries_an_english_reference_label(found) -> None:  # type: ignore[no-untyped-def]
    labels = _english_labels()
    offending = {
        (finding.rule, label)
        for finding in found
        for label in labels
        if label.casefold() in finding.message.fr.casefold()
    }
    assert offending == set()


def test_no_french_message_has_english_running_text(found) -> None:  # type: ignore[no-untyped-def]
    offending = {
        (finding.rule, match.group())
        for finding in found
        if (match := ENGLISH_WORDS.search(finding.message.fr))
    }
    assert offending == set()


def test_house_style(found) -> None:  # type: ignore[no-untyped-def]
    for finding in found:
        assert "dispense d'EIMT" not in finding.message.fr
        assert not re.search(r"art\. 198\(1\)|et 198\(1\)", finding.message.fr), finding.rule
