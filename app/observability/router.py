import hmac
from typing import Annotated

from fastapi import APIRouter, Header, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from app.config import get_settings
from app.observability.metrics import REGISTRY
from app.problems import Unauthorized

router = APIRouter(include_in_schema=False)


@router.get("/metrics")
def metrics(authorization: Annotated[str | None, Header()] = None) -> Response:
    """Prometheus metrics; guarded by `IMWU_METRICS_TOKEN` (as a bearer token) when it is set."""
    expected = get_settings().metrics_token
    if expected:
        given = (authorization or "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), expected.encode()):
            raise Unauthorized("The metrics token is missing or wrong")
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
