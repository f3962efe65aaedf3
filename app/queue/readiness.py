"""Whether the current revision can carry a decision, and why not: the reasons of a
`422 decision_blocked`, also readable beforehand without changing anything.

- a blocking finding, or a required document missing: no positive opinion (a refusal may be
  issued, and states the blocking findings as its reasons);
- a `review` finding the holder has not resolved: no positive opinion;
- a fact the letter prints missing from the revision: no letter at all.
"""

from typing import Final

from sqlalchemy.orm import Session

from app.common.findings import Outcome
from app.common.form import RequestContent
from app.eligibility.rules import checklist
from app.eligibility.versions import reference_of
from app.intake.models import OpinionRequest
from app.letters.service import missing_letter_facts
from app.queue.schemas import BlockReason, DecisionReadiness
from app.revisions.models import RequestRevision
from app.revisions.service import current_revision
from app.triage.models import TriageFinding
from app.triage.service import findings_of_run, resolutions_of

OUTCOMES: Final = ("positive", "negative", "not_eligible")
POSITIVE: Final = ("positive",)


def readiness(session: Session, *, request: OpinionRequest) -> DecisionReadiness:
    """Every reason the current revision cannot carry each outcome; changes nothing."""
    revision = current_revision(session, request=request)
    if revision is None:
        reasons = [
            BlockReason(
                code="no_revision", detail="The request was never submitted", outcomes=OUTCOMES
            )
        ]
        return _answer(None, reasons)
    findings = findings_of_run(session, request_id=request.id, run=revision.triage_run)
    reasons = _finding_reasons(session, findings)
    reasons += _document_reasons(session, revision)
    reasons += [
        BlockReason(
            code="letter_fact_missing",
            detail="A fact the letter prints is missing",
            field=pointer,
            outcomes=OUTCOMES,
        )
        for pointer in missing_letter_facts(RequestContent.model_validate(revision.content))
    ]
    return _answer(revision.number, reasons)


def _answer(revision: int | None, reasons: list[BlockReason]) -> DecisionReadiness:
    return DecisionReadiness(
        revision=revision,
        decidable={
            outcome: not any(outcome in r.outcomes for r in reasons) for outcome in OUTCOMES
        },
        reasons=reasons,
    )


def _finding_reasons(session: Session, findings: list[TriageFinding]) -> list[BlockReason]:
    resolved = resolutions_of(session, finding_ids=[f.id for f in findings])
    reasons = []
    for finding in findings:
        if finding.outcome == Outcome.BLOCK:
            reasons.append(
                BlockReason(
                    code="blocking_finding",
                    detail=finding.message_en,
                    finding_id=finding.id,
                    rule=finding.rule,
                    outcomes=POSITIVE,
                )
            )
        elif finding.outcome == Outcome.REVIEW and finding.id not in resolved:
            reasons.append(
                BlockReason(
                    code="finding_unresolved",
                    detail="A review finding is not resolved",
                    finding_id=finding.id,
                    rule=finding.rule,
                    outcomes=POSITIVE,
                )
            )
    return reasons


def _document_reasons(session: Session, revision: RequestRevision) -> list[BlockReason]:
    """The required documents of the code's checklist (in the reference data the revision was
    judged on) absent from the revision."""
    content = RequestContent.model_validate(revision.content)
    kinds = {str(d["kind"]) for d in revision.documents}
    return [
        BlockReason(
            code="required_document_missing",
            detail="A required document is missing",
            kind=item.kind,
            outcomes=POSITIVE,
        )
        for item in checklist(content, reference_of(session, revision.reference_version), kinds)
        if item.required and not item.present
    ]


def blocking_messages(session: Session, *, revision: RequestRevision, language: str) -> list[str]:
    """The blocking findings of the revision in the letter's language: a refusal states them."""
    return [
        finding.message_fr if language == "fr" else finding.message_en
        for finding in findings_of_run(
            session, request_id=revision.request_id, run=revision.triage_run
        )
        if finding.outcome == Outcome.BLOCK
    ]
