"""One attempt at one delivery, by webhook or by email; reads rows, writes nothing."""

import smtplib
from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.auth.models import Account
from app.common.clock import utcnow
from app.config import get_settings
from app.intake.models import OpinionRequest
from app.notifications import email, webhooks
from app.notifications.models import NotificationDelivery, NotificationEvent, WebhookEndpoint
from app.notifications.secrets import unseal


@dataclass(frozen=True)
class Result:
    ok: bool
    status: int | None = None
    body: str | None = None
    error: str | None = None
    final: bool = False
    cancelled: bool = False


def send(session: Session, *, delivery_id: str, timeout: float) -> Result:
    """`timeout` bounds the whole attempt; the worker keeps it well inside its lease."""
    delivery = session.get(NotificationDelivery, delivery_id)
    event = session.get(NotificationEvent, delivery.event_id) if delivery else None
    if delivery is None or event is None:
        return Result(ok=False, error="the delivery is gone", cancelled=True)
    if delivery.channel == "webhook":
        return _webhook(session, delivery=delivery, event=event, timeout=timeout)
    return _email(session, delivery=delivery, event=event, timeout=timeout)


def _webhook(
    session: Session, *, delivery: NotificationDelivery, event: NotificationEvent, timeout: float
) -> Result:
    endpoint = session.get(WebhookEndpoint, delivery.endpoint_id or "")
    if endpoint is None or endpoint.deleted_at is not None or not endpoint.enabled:
        return Result(ok=False, error="the endpoint was removed or disabled", cancelled=True)
    try:
        secrets = [unseal(endpoint.secret)]
        if endpoint.previous_secret and (endpoint.previous_secret_until or utcnow()) > utcnow():
            secrets.append(unseal(endpoint.previous_secret))
    except ValueError:
        return Result(ok=False, error="the secret cannot be read; rotate it", final=True)
    body = webhooks.body_of(event.payload)
    headers = webhooks.headers_for(msg_id=event.id, body=body, secrets=secrets)
    attempt = webhooks.post(endpoint.url, headers=headers, body=body, timeout=timeout)
    return Result(
        ok=attempt.ok,
        status=attempt.status,
        body=attempt.body,
        error=attempt.error or (None if attempt.ok else f"answered {attempt.status}"),
        final=attempt.final,
    )


def recipient_address(
    session: Session, request: OpinionRequest, recipient: str | None
) -> str | None:
    """The representative named on the form, else the account that filed; the employer contact."""
    content = request.content
    if recipient == "employer":
        return (content.get("employer") or {}).get("email")
    named = (content.get("representative") or {}).get("email")
    if named:
        return str(named)
    filer = session.get(Account, request.created_by_id)
    return filer.email if filer else None


def _email(
    session: Session, *, delivery: NotificationDelivery, event: NotificationEvent, timeout: float
) -> Result:
    settings = get_settings()
    if not settings.smtp_url or not settings.mail_from:
        return Result(ok=False, error="email is off", cancelled=True)
    request = session.get(OpinionRequest, event.request_id or "")
    to = recipient_address(session, request, delivery.recipient) if request else None
    if request is None or not to:
        return Result(ok=False, error="no address to write to", cancelled=True)
    data = event.payload["data"]
    subject, text, html = email.render(
        event.type,
        request.language,
        {
            "reference": data["reference"],
            "link": data["links"]["web"],
            "due_date": data.get("due_date"),
        },
    )
    message = email.build_message(
        sender=settings.mail_from,
        to=to,
        subject=subject,
        text=text,
        html=html,
        language=request.language,
        message_id=f"<{delivery.id}@{settings.mail_from.rpartition('@')[2] or 'imwu-intake'}>",
    )
    try:
        email.send(email.parse_smtp_url(settings.smtp_url), message, timeout=timeout)
    except (OSError, smtplib.SMTPException) as exc:
        code = getattr(exc, "smtp_code", None)
        return Result(ok=False, status=code, error=f"mail not accepted ({type(exc).__name__})")
    return Result(ok=True, status=250)
