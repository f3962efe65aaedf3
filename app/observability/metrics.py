"""Prometheus metrics (`prometheus-client`): requests, latency, upload bytes, queue depth and
age per stream, triage outcomes and letters issued. Counters of business events are fed by the
audit trail (`observe_event`) once their transaction has committed."""

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select

REGISTRY = CollectorRegistry()

REQUESTS = Counter(
    "imwu_http_requests_total",
    "HTTP requests by route template and status",
    ["method", "route", "status"],
    registry=REGISTRY,
)
LATENCY = Histogram(
    "imwu_http_request_duration_seconds",
    "HTTP request latency by route template",
    ["method", "route"],
    registry=REGISTRY,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
UPLOAD_BYTES = Counter("imwu_upload_bytes_total", "Bytes of documents stored", registry=REGISTRY)
TRIAGE_FINDINGS = Counter(
    "imwu_triage_findings_total", "Triage findings by outcome", ["outcome"], registry=REGISTRY
)
LETTERS = Counter(
    "imwu_letters_issued_total",
    "Opinion letters issued by outcome",
    ["outcome"],
    registry=REGISTRY,
)

DELIVERIES = Counter(
    "imwu_notification_deliveries_total",
    "Notification delivery attempts by outcome (delivered, retry, failed, cancelled, lease_lost)",
    ["outcome"],
    registry=REGISTRY,
)


def observe_event(action: str, details: Mapping[str, Any]) -> None:
    """Feed the business counters from one committed audit event."""
    if action == "document.uploaded":
        UPLOAD_BYTES.inc(int(details.get("size_bytes", 0)))
    elif action == "request.triaged":
        for outcome, count in dict(details.get("outcomes", {})).items():
            TRIAGE_FINDINGS.labels(outcome=outcome).inc(int(count))
    elif action == "letter.issued":
        LETTERS.labels(outcome=str(details.get("outcome", "unknown"))).inc()


class QueueCollector(Collector):
    """Queue depth and the age of the oldest waiting case per stream, read at scrape time."""

    def describe(self) -> Iterator[Metric]:
        """Registration must not touch the database (it may not be migrated yet)."""
        return iter(())

    def collect(self) -> Iterator[Metric]:
        from app.db import get_sessionmaker
        from app.intake.models import OpinionRequest, RequestStatus

        depth = GaugeMetricFamily(
            "imwu_queue_depth", "Cases waiting or in review", labels=["stream", "status"]
        )
        age = GaugeMetricFamily(
            "imwu_queue_oldest_age_seconds", "Age of the oldest waiting case", labels=["stream"]
        )
        now = datetime.now(UTC)
        with get_sessionmaker()() as session:
            rows = session.execute(
                select(
                    OpinionRequest.stream,
                    OpinionRequest.status,
                    func.count(),
                    func.min(OpinionRequest.submitted_at),
                )
                .where(
                    OpinionRequest.status.in_(
                        [
                            RequestStatus.SUBMITTED,
                            RequestStatus.IN_REVIEW,
                            RequestStatus.INFO_REQUESTED,
                        ]
                    )
                )
                .group_by(OpinionRequest.stream, OpinionRequest.status)
            ).all()
        for stream, status, count, oldest in rows:
            depth.add_metric([stream or "none", str(status)], count)
            if status == RequestStatus.SUBMITTED and oldest is not None:
                oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=UTC)
                age.add_metric([stream or "none"], (now - oldest).total_seconds())
        yield depth
        yield age


REGISTRY.register(QueueCollector())


class NotificationCollector(Collector):
    """Deliveries waiting (pending or in flight) per channel and the age of the oldest one."""

    def describe(self) -> Iterator[Metric]:
        return iter(())

    def collect(self) -> Iterator[Metric]:
        from app.db import get_sessionmaker
        from app.notifications.models import NotificationDelivery

        depth = GaugeMetricFamily(
            "imwu_notification_queue_depth",
            "Deliveries not yet delivered or given up",
            labels=["channel", "status"],
        )
        age = GaugeMetricFamily(
            "imwu_notification_oldest_pending_age_seconds",
            "Age of the oldest delivery still waiting to go out",
            labels=["channel"],
        )
        now = datetime.now(UTC)
        with get_sessionmaker()() as session:
            rows = session.execute(
                select(
                    NotificationDelivery.channel,
                    NotificationDelivery.status,
                    func.count(),
                    func.min(NotificationDelivery.created_at),
                )
                .where(NotificationDelivery.status.in_(["pending", "delivering"]))
                .group_by(NotificationDelivery.channel, NotificationDelivery.status)
            ).all()
        oldest_by_channel: dict[str, datetime] = {}
        for channel, status, count, oldest in rows:
            depth.add_metric([channel, str(status)], count)
            if oldest is not None:
                oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=UTC)
                oldest_by_channel[channel] = min(oldest, oldest_by_channel.get(channel, oldest))
        for channel in ("webhook", "email"):
            since = oldest_by_channel.get(channel)
            age.add_metric([channel], (now - since).total_seconds() if since else 0.0)
        yield depth
        yield age


REGISTRY.register(NotificationCollector())
