"""The events a filer hears about, which of them are emailed, and their payloads (pure).

Payloads follow the Standard Webhooks shape (`type`, `timestamp`, `data`) and carry ids, the
reference, statuses, dates and links: never a name, a date of birth or a passport number.
"""

from datetime import datetime
from typing import Any, Final, Literal, get_args

EventName = Literal[
    "request.submitted",
    "request.triaged",
    "info_request.opened",
    "info_request.due_soon",
    "info_request.overdue",
    "request.decided",
    "letter.issued",
    "letter.revoked",
    "letter.reissued",
]
EVENT_NAMES: Final[tuple[str, ...]] = get_args(EventName)
TEST_EVENT: Final = "webhook.test"

EMAILED: Final = frozenset(
    {
        "info_request.opened",
        "info_request.due_soon",
        "info_request.overdue",
        "request.decided",
        "letter.revoked",
    }
)
"""The events issue 13 asks an email for; the others reach systems through webhooks only."""

DUE_SOON_BUSINESS_DAYS: Final = 2


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def links(base_url: str, request_id: str, letter_id: str | None = None) -> dict[str, str]:
    """Where the filer reads more: the API resource and the web client's page."""
    base = base_url.rstrip("/")
    result = {
        "request": f"{base}/api/v1/requests/{request_id}",
        "web": f"{base}/#/requests/{request_id}",
    }
    if letter_id is not None:
        result["letter"] = f"{base}/api/v1/requests/{request_id}/letter"
    return result


def payload(event: str, *, occurred_at: datetime, data: dict[str, Any]) -> dict[str, Any]:
    return {"type": event, "timestamp": iso(occurred_at), "data": data}
