"""Webhook endpoints of an organization, their deliveries, and the notifications of a request.

Endpoints are scoped like requests: another organization's endpoint is 404, never 403.
"""

from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.auth.models import Account
from app.common.clock import utcnow
from app.common.pagination import encode_cursor, older_than
from app.config import get_settings
from app.db import after_commit
from app.intake.models import OpinionRequest
from app.notifications.events import TEST_EVENT, iso, payload
from app.notifications.models import (
    DeliveryStatus,
    NotificationDelivery,
    NotificationEvent,
    WebhookEndpoint,
)
from app.notifications.outbox import WAKE, new_event_id
from app.notifications.safety import UnsafeDestination, check_url, resolve
from app.notifications.schemas import (
    DeliveryOut,
    NotificationOut,
    WebhookCreate,
    WebhookUpdate,
)
from app.notifications.secrets import new_secret, seal
from app.problems import InvalidState, NotFound, ValidationFailed, WebhookUrlRefused

PREVIOUS_SECRET_GRACE = timedelta(hours=24)
RETRYABLE = (
    DeliveryStatus.PENDING,
    DeliveryStatus.DELIVERED,
    DeliveryStatus.FAILED,
    DeliveryStatus.CANCELLED,
)


def check_destination(url: str) -> None:
    """Refuse at registration what delivery would refuse: scheme, credentials, and any address
    that is private, loopback, link-local or a metadata service (DNS resolved now)."""
    settings = get_settings()
    try:
        parts = check_url(
            url, environment=settings.environment, allow_private=settings.webhook_allow_private
        )
        port = parts.port or (443 if parts.scheme == "https" else 80)
        resolve(parts.hostname or "", port, allow_private=settings.webhook_allow_private)
    except UnsafeDestination as exc:
        raise WebhookUrlRefused(str(exc)) from exc


def create_endpoint(
    session: Session, *, account: Account, data: WebhookCreate
) -> tuple[WebhookEndpoint, str]:
    """Register a receiver; the secret is returned once and kept sealed."""
    check_destination(data.url)
    assert account.organization_id is not None
    secret = new_secret()
    now = utcnow()
    endpoint = WebhookEndpoint(
        organization_id=account.organization_id,
        created_by_id=account.id,
        url=data.url,
        description=data.description,
        events=list(data.events),
        enabled=True,
        secret=seal(secret),
        created_at=now,
        updated_at=now,
    )
    session.add(endpoint)
    session.flush()
    return endpoint, secret


def list_endpoints(session: Session, *, account: Account) -> list[WebhookEndpoint]:
    return list(
        session.scalars(
            select(WebhookEndpoint)
            .where(
                WebhookEndpoint.organization_id == account.organization_id,
                WebhookEndpoint.deleted_at.is_(None),
            )
            .order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)
        )
    )


def get_endpoint(session: Session, *, account: Account, endpoint_id: str) -> WebhookEndpoint:
    endpoint = session.get(WebhookEndpoint, endpoint_id) if len(endpoint_id) <= 36 else None
    if (
        endpoint is None
        or endpoint.deleted_at is not None
        or endpoint.organization_id != account.organization_id
    ):
        raise NotFound("No such webhook")
    return endpoint


def update_endpoint(
    session: Session, *, endpoint: WebhookEndpoint, data: WebhookUpdate
) -> WebhookEndpoint:
    changes = data.model_dump(exclude_unset=True)
    if "events" in changes and changes["events"] is None:
        raise ValidationFailed("events cannot be null")
    if changes.get("url") is not None:
        check_destination(changes["url"])
    for name, value in changes.items():
        if value is not None or name == "description":
            setattr(endpoint, name, value)
    endpoint.updated_at = utcnow()
    session.flush()
    return endpoint


def delete_endpoint(session: Session, *, endpoint: WebhookEndpoint) -> None:
    """Stop sending: the endpoint disappears and its waiting deliveries are cancelled (the
    history of what was sent stays for the case pages)."""
    now = utcnow()
    endpoint.deleted_at = now
    endpoint.enabled = False
    endpoint.updated_at = now
    session.execute(
        update(NotificationDelivery)
        .where(
            NotificationDelivery.endpoint_id == endpoint.id,
            NotificationDelivery.status == DeliveryStatus.PENDING,
        )
        .values(status=DeliveryStatus.CANCELLED, last_error="the endpoint was deleted")
        .execution_options(synchronize_session=False)
    )
    session.flush()


def rotate_secret(session: Session, *, endpoint: WebhookEndpoint) -> str:
    """A new secret, returned once; the old one keeps signing beside it for 24 hours."""
    secret = new_secret()
    now = utcnow()
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_until = now + PREVIOUS_SECRET_GRACE
    endpoint.secret = seal(secret)
    endpoint.updated_at = now
    session.flush()
    return secret


def _delivery_out(delivery: NotificationDelivery, event: NotificationEvent) -> DeliveryOut:
    return DeliveryOut(
        id=delivery.id,
        event_id=event.id,
        event_type=event.type,
        reference=event.payload.get("data", {}).get("reference"),
        status=delivery.status,
        attempts=delivery.attempts,
        last_response_code=delivery.last_response_code,
        last_response_body=delivery.last_response_body,
        last_error=delivery.last_error,
        last_attempt_at=delivery.last_attempt_at,
        next_attempt_at=(
            delivery.next_attempt_at if delivery.status == DeliveryStatus.PENDING else None
        ),
        delivered_at=delivery.delivered_at,
        created_at=delivery.created_at,
    )


def deliveries(
    session: Session, *, endpoint: WebhookEndpoint, cursor: str | None, limit: int
) -> tuple[list[DeliveryOut], str | None]:
    """The endpoint's deliveries, newest first, by keyset pagination."""
    query = (
        select(NotificationDelivery, NotificationEvent)
        .join(NotificationEvent, NotificationEvent.id == NotificationDelivery.event_id)
        .where(NotificationDelivery.endpoint_id == endpoint.id)
    )
    if cursor is not None:
        query = query.where(
            older_than(cursor, NotificationDelivery.created_at, NotificationDelivery.id)
        )
    rows = session.execute(
        query.order_by(
            NotificationDelivery.created_at.desc(), NotificationDelivery.id.desc()
        ).limit(limit + 1)
    ).all()
    page = [_delivery_out(d, e) for d, e in rows[:limit]]
    next_cursor = encode_cursor(page[-1].created_at, page[-1].id) if len(rows) > limit else None
    return page, next_cursor


def retry(session: Session, *, endpoint: WebhookEndpoint, delivery_id: str) -> DeliveryOut:
    """Send again now (same `webhook-id`); a delivery in flight is left alone (409)."""
    delivery = session.get(NotificationDelivery, delivery_id) if len(delivery_id) <= 36 else None
    if delivery is None or delivery.endpoint_id != endpoint.id:
        raise NotFound("No such delivery")
    changed = session.execute(
        update(NotificationDelivery)
        .where(NotificationDelivery.id == delivery.id, NotificationDelivery.status.in_(RETRYABLE))
        .values(status=DeliveryStatus.PENDING, next_attempt_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:  # type: ignore[attr-defined]
        raise InvalidState("This delivery is being sent right now")
    session.refresh(delivery)
    after_commit(session, WAKE.set)
    event = session.get(NotificationEvent, delivery.event_id)
    assert event is not None
    return _delivery_out(delivery, event)


def send_test(session: Session, *, endpoint: WebhookEndpoint) -> DeliveryOut:
    """A `webhook.test` event to this endpoint only, delivered like any other."""
    now = utcnow()
    event = NotificationEvent(
        id=new_event_id(),
        type=TEST_EVENT,
        organization_id=endpoint.organization_id,
        payload=payload(
            TEST_EVENT, occurred_at=now, data={"webhook_id": endpoint.id, "sent_at": iso(now)}
        ),
        created_at=now,
    )
    session.add(event)
    session.flush()
    delivery = NotificationDelivery(
        event_id=event.id, channel="webhook", endpoint_id=endpoint.id, created_at=now
    )
    session.add(delivery)
    session.flush()
    after_commit(session, WAKE.set)
    return _delivery_out(delivery, event)


def notifications_of(session: Session, *, request: OpinionRequest) -> list[NotificationOut]:
    """Every webhook and email about this request, oldest first (addresses are not shown)."""
    rows = session.execute(
        select(NotificationDelivery, NotificationEvent, WebhookEndpoint)
        .join(NotificationEvent, NotificationEvent.id == NotificationDelivery.event_id)
        .outerjoin(WebhookEndpoint, WebhookEndpoint.id == NotificationDelivery.endpoint_id)
        .where(NotificationEvent.request_id == request.id)
        .order_by(NotificationDelivery.created_at, NotificationDelivery.id)
    ).all()
    return [
        NotificationOut(
            event_type=event.type,
            channel=delivery.channel,
            to=(
                (endpoint.description or urlsplit(endpoint.url).hostname or "webhook")
                if endpoint is not None
                else delivery.recipient or "representative"
            ),
            status=delivery.status,
            attempts=delivery.attempts,
            created_at=delivery.created_at,
            delivered_at=delivery.delivered_at,
        )
        for delivery, event, endpoint in rows
    ]
