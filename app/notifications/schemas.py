from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from app.common.text import SingleLine
from app.notifications.events import EventName

Url = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=8, max_length=2000), SingleLine
]
Description = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500), SingleLine]


def _distinct(events: list[EventName] | None) -> list[EventName] | None:
    return list(dict.fromkeys(events)) if events is not None else None


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: Url = Field(description="https URL of the receiver (no redirects are followed)")
    events: list[EventName] = Field(min_length=1, max_length=20)
    description: Description | None = None

    _events = field_validator("events")(_distinct)


class WebhookUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: Url | None = None
    events: list[EventName] | None = Field(default=None, min_length=1, max_length=20)
    description: Description | None = None
    enabled: bool | None = None

    _events = field_validator("events")(_distinct)


class WebhookOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    url: str
    events: list[str]
    description: str | None
    enabled: bool
    created_at: datetime
    updated_at: datetime


class WebhookWithSecret(WebhookOut):
    secret: str = Field(description="Shown only now: the Standard Webhooks signing secret")


class DeliveryOut(BaseModel):
    id: str
    event_id: str = Field(description="The `webhook-id` header of every attempt")
    event_type: str
    reference: str | None
    status: Literal["pending", "delivering", "delivered", "failed", "cancelled"]
    attempts: int
    last_response_code: int | None
    last_response_body: str | None = Field(description="The first 1 KB of the last answer")
    last_error: str | None
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None = Field(description="Set while the delivery is pending")
    delivered_at: datetime | None
    created_at: datetime


class DeliveryPage(BaseModel):
    items: list[DeliveryOut]
    next_cursor: str | None


class NotificationOut(BaseModel):
    """One message sent (or on its way) about a request, for its case page."""

    event_type: str
    channel: Literal["webhook", "email"]
    to: str = Field(description="`representative`, `employer`, or the webhook's description/host")
    status: str
    attempts: int
    created_at: datetime
    delivered_at: datetime | None
