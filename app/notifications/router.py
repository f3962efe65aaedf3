from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response, status

from app.auth.deps import Representative, require
from app.auth.models import Role
from app.common.openapi import with_headers
from app.db import SessionDep
from app.intake.deps import CurrentRequest
from app.notifications import service
from app.notifications.models import WebhookEndpoint
from app.notifications.schemas import (
    DeliveryOut,
    DeliveryPage,
    NotificationOut,
    WebhookCreate,
    WebhookOut,
    WebhookUpdate,
    WebhookWithSecret,
)
from app.problems import problem_responses

router = APIRouter(prefix="/api/v1", tags=["notifications"], responses=problem_responses(401, 403))

Id = Annotated[str, Path(max_length=36)]


def current_endpoint(
    session: SessionDep, account: Representative, webhook_id: Id
) -> WebhookEndpoint:
    return service.get_endpoint(session, account=account, endpoint_id=webhook_id)


Endpoint = Annotated[WebhookEndpoint, Depends(current_endpoint)]


def _with_secret(endpoint: WebhookEndpoint, secret: str) -> WebhookWithSecret:
    return WebhookWithSecret.model_validate(
        {**WebhookOut.model_validate(endpoint).model_dump(), "secret": secret}
    )


@router.post(
    "/webhooks",
    status_code=status.HTTP_201_CREATED,
    response_model=WebhookWithSecret,
    responses={**problem_responses(422), **with_headers(201, "Location")},
)
def create_webhook(
    session: SessionDep, account: Representative, body: WebhookCreate, response: Response
) -> WebhookWithSecret:
    """Register a receiver for the organization's events. The signing secret (`whsec_...`) is
    in this answer only; deliveries carry Standard Webhooks signatures made with it."""
    endpoint, secret = service.create_endpoint(session, account=account, data=body)
    response.headers["Location"] = f"/api/v1/webhooks/{endpoint.id}"
    return _with_secret(endpoint, secret)


@router.get("/webhooks", response_model=list[WebhookOut])
def list_webhooks(session: SessionDep, account: Representative) -> list[WebhookEndpoint]:
    """The organization's receivers."""
    return service.list_endpoints(session, account=account)


@router.get("/webhooks/{webhook_id}", response_model=WebhookOut, responses=problem_responses(404))
def read_webhook(endpoint: Endpoint) -> WebhookEndpoint:
    """One receiver of the organization (another organization's is 404)."""
    return endpoint


@router.patch(
    "/webhooks/{webhook_id}", response_model=WebhookOut, responses=problem_responses(404, 422)
)
def update_webhook(session: SessionDep, endpoint: Endpoint, body: WebhookUpdate) -> WebhookEndpoint:
    """Change the URL, the events, the description, or pause it (`enabled: false`)."""
    return service.update_endpoint(session, endpoint=endpoint, data=body)


@router.delete(
    "/webhooks/{webhook_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(404),
)
def delete_webhook(session: SessionDep, endpoint: Endpoint) -> Response:
    """Remove the receiver; deliveries still waiting are cancelled."""
    service.delete_endpoint(session, endpoint=endpoint)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/webhooks/{webhook_id}/rotate-secret",
    response_model=WebhookWithSecret,
    responses=problem_responses(404),
)
def rotate_webhook_secret(session: SessionDep, endpoint: Endpoint) -> WebhookWithSecret:
    """A new secret, shown once; for 24 hours deliveries are signed with both."""
    secret = service.rotate_secret(session, endpoint=endpoint)
    return _with_secret(endpoint, secret)


@router.get(
    "/webhooks/{webhook_id}/deliveries",
    response_model=DeliveryPage,
    responses=problem_responses(404, 422),
)
def list_deliveries(
    session: SessionDep,
    endpoint: Endpoint,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> DeliveryPage:
    """Deliveries, newest first: status, attempts, last response code, next attempt."""
    items, next_cursor = service.deliveries(session, endpoint=endpoint, cursor=cursor, limit=limit)
    return DeliveryPage(items=items, next_cursor=next_cursor)


@router.post(
    "/webhooks/{webhook_id}/deliveries/{delivery_id}/retry",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=DeliveryOut,
    responses=problem_responses(404, 409),
)
def retry_delivery(session: SessionDep, endpoint: Endpoint, delivery_id: Id) -> DeliveryOut:
    """Send it again now, with the same `webhook-id`."""
    return service.retry(session, endpoint=endpoint, delivery_id=delivery_id)


@router.post(
    "/webhooks/{webhook_id}/test",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=DeliveryOut,
    responses=problem_responses(404),
)
def test_webhook(session: SessionDep, endpoint: Endpoint) -> DeliveryOut:
    """Queue a `webhook.test` event for this receiver; follow it in its deliveries."""
    return service.send_test(session, endpoint=endpoint)


@router.get(
    "/requests/{request_id}/notifications",
    response_model=list[NotificationOut],
    responses=problem_responses(404),
    dependencies=[Depends(require(Role.REPRESENTATIVE, Role.REVIEWER, Role.SUPERVISOR))],
)
def list_request_notifications(
    session: SessionDep, request: CurrentRequest
) -> list[NotificationOut]:
    """The webhooks and emails sent (or on their way) about this request."""
    return service.notifications_of(session, request=request)
