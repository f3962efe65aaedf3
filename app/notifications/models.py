"""Notification tables: webhook endpoints, the outbox of events and their deliveries.

An event is written in the transaction of the change it announces, with one delivery row per
webhook endpoint and email recipient; the worker sends deliveries and records each attempt.
"""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from app.common.clock import utcnow
from app.common.ids import new_id
from app.db import Base


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERING = "delivering"
    DELIVERED = "delivered"
    FAILED = "failed"
    CANCELLED = "cancelled"


class WebhookEndpoint(Base):
    """An organization's receiver. The signing secret is kept encrypted (app.notifications.secrets)
    because it must be read back to sign; the previous secret also signs for a day after a rotation
    so receivers can switch without losing deliveries."""

    __tablename__ = "webhook_endpoint"
    __table_args__ = (Index("ix_webhook_endpoint_org", "organization_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organization.id"))
    created_by_id: Mapped[str] = mapped_column(ForeignKey("account.id"))
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str | None] = mapped_column(String(500))
    events: Mapped[list[str]] = mapped_column(JSON)
    enabled: Mapped[bool] = mapped_column(default=True)
    secret: Mapped[str] = mapped_column(String(200))
    previous_secret: Mapped[str | None] = mapped_column(String(200))
    previous_secret_until: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(default=None)


class NotificationEvent(Base):
    """One change worth telling the filer about. `payload` is the Standard Webhooks body
    (type, timestamp, data with ids, reference, status and links; never personal data).
    `dedupe_key` makes the scanned events (due soon, overdue) happen once per info request."""

    __tablename__ = "notification_event"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    type: Mapped[str] = mapped_column(String(40))
    organization_id: Mapped[str] = mapped_column(ForeignKey("organization.id"))
    request_id: Mapped[str | None] = mapped_column(ForeignKey("opinion_request.id"), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    dedupe_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class NotificationDelivery(Base):
    """One event to one webhook endpoint or one email recipient, with its attempts.

    `lease_token` names the worker attempt that holds a `delivering` row until `lease_until`;
    a worker that dies leaves the lease to run out and the row is taken again. The email
    recipient is a role (`representative`, `employer`), resolved to an address only when sent."""

    __tablename__ = "notification_delivery"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'delivering', 'delivered', 'failed', 'cancelled')",
            name="status_known",
        ),
        CheckConstraint("channel IN ('webhook', 'email')", name="channel_known"),
        CheckConstraint(
            "(channel = 'webhook') = (endpoint_id IS NOT NULL)", name="webhook_has_endpoint"
        ),
        # What the worker claims: due pending rows and lapsed leases, oldest first.
        Index(
            "ix_notification_delivery_due",
            "next_attempt_at",
            postgresql_where=text("status IN ('pending', 'delivering')"),
            sqlite_where=text("status IN ('pending', 'delivering')"),
        ),
        Index("ix_notification_delivery_endpoint", "endpoint_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    event_id: Mapped[str] = mapped_column(ForeignKey("notification_event.id"), index=True)
    channel: Mapped[str] = mapped_column(String(10))
    endpoint_id: Mapped[str | None] = mapped_column(ForeignKey("webhook_endpoint.id"))
    recipient: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[DeliveryStatus] = mapped_column(String(12), default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_token: Mapped[str | None] = mapped_column(String(36))
    lease_until: Mapped[datetime | None] = mapped_column(default=None)
    last_attempt_at: Mapped[datetime | None] = mapped_column(default=None)
    last_response_code: Mapped[int | None] = mapped_column(Integer)
    last_response_body: Mapped[str | None] = mapped_column(Text)
    last_error: Mapped[str | None] = mapped_column(String(300))
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
