"""The shape every rule result takes, for prerequisites (eligibility) and triage alike."""

from dataclasses import dataclass
from enum import StrEnum


class Outcome(StrEnum):
    """What a finding does to a request: `block` refuses it, `review` routes it to a reviewer,
    `warn` only informs."""

    BLOCK = "block"
    REVIEW = "review"
    WARN = "warn"


@dataclass(frozen=True)
class Message:
    """A message in both official languages."""

    en: str
    fr: str


@dataclass(frozen=True)
class Finding:
    """One rule's verdict on a request.

    `fields` are JSON pointers into the request body (``/worker/citizenship``); never values.
    """

    rule: str
    outcome: Outcome
    message: Message
    fields: tuple[str, ...] = ()
