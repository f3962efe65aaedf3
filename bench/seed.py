"""Cases inserted in bulk with SQL (COPY on PostgreSQL, executemany on SQLite), as triaged.

The mix is what a working queue holds: mostly `submitted`, some claimed (`in_review`, a tenth of
them with a lapsed lease), some waiting on information, the rest decided or withdrawn (outside
the queue). Priorities follow app/triage/engine.py: entry-date points (0, 20 or 100) plus 5 per
review finding (at most 30), so many cases tie and the order falls back to the submission time.
Every row carries a real, valid form (the T11 scenario of the tests) and three triage findings.
"""

import json
import random
import uuid
import warnings
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from sqlalchemy import Table, insert, select

from app.auth.models import Account, Organization
from app.common.form import FORM_EDITION, RequestContent
from app.db import make_engine
from app.intake.models import OpinionRequest
from app.triage.models import TriageFinding
from bench.harness import libpq_dsn

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # fastapi.testclient's deprecation notice, irrelevant here
    from tests.intake.scenarios import t11_body

STREAMS = (
    ("trade_agreement", 35),
    ("significant_benefit", 25),
    ("reciprocal", 15),
    ("work_permit_exempt", 10),
    ("other", 15),
)
STATUS_MIX = (
    ("submitted", 80),
    ("in_review", 7),
    ("info_requested", 5),
    ("decided", 6),
    ("withdrawn", 2),
)
RULES = ("employer_portal_offer", "noc_matches_offer", "work_location_matches_offer")


def _weighted(rng: random.Random, table: Sequence[tuple[str, int]]) -> str:
    return rng.choices([v for v, _ in table], weights=[w for _, w in table])[0]


def _priority(rng: random.Random) -> tuple[int, list[str]]:
    entry = rng.choices((0, 20, 100), weights=(70, 20, 10))[0]
    reviews = rng.choices(range(7), weights=(40, 25, 15, 8, 6, 4, 2))[0]
    reasons = {
        0: [],
        20: ["entry_within_20_business_days"],
        100: ["entry_within_10_business_days"],
    }[entry]
    if reviews:
        reasons = [*reasons, f"{reviews}_review_findings"]
    return entry + 5 * reviews, reasons


def people(url: str) -> dict[str, str]:
    """One organization, the representative who filed every case, and one reviewer (no tokens:
    nobody logs in as them)."""
    now = datetime.now(UTC)
    ids = {"organization": str(uuid.uuid4()), "creator": str(uuid.uuid4())}
    ids["reviewer"] = str(uuid.uuid4())
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(
            insert(Organization.__table__),  # type: ignore[arg-type]
            [
                {
                    "id": ids["organization"],
                    "name": f"Bench {ids['organization'][:8]}",
                    "created_at": now,
                }
            ],
        )
    with engine.begin() as connection:
        connection.execute(
            insert(Account.__table__),  # type: ignore[arg-type]
            [
                {
                    "id": ids["creator"],
                    "role": "representative",
                    "name": "Bench Representative",
                    "email": f"rep-{ids['creator'][:8]}@bench.example",
                    "organization_id": ids["organization"],
                    "created_at": now,
                },
                {
                    "id": ids["reviewer"],
                    "role": "reviewer",
                    "name": "Bench Reviewer",
                    "email": f"reviewer-{ids['reviewer'][:8]}@bench.example",
                    "organization_id": None,
                    "created_at": now,
                },
            ],
        )
    engine.dispose()
    return ids


def case_rows(
    count: int, *, start: int, ids: dict[str, str], waiting_only: bool, seed: int = 5686
) -> list[dict[str, Any]]:
    """`count` cases numbered from `start` (for their references)."""
    rng = random.Random(seed + start)
    now = datetime.now(UTC)
    content = RequestContent.model_validate(t11_body()).model_dump(mode="json")
    rows = []
    for number in range(start, start + count):
        status = "submitted" if waiting_only else _weighted(rng, STATUS_MIX)
        submitted_at = now - timedelta(seconds=rng.uniform(60, 60 * 86_400))
        priority, reasons = _priority(rng)
        claimed = status in ("in_review", "info_requested")
        lapsed = status == "in_review" and rng.random() < 0.1
        rows.append(
            {
                "id": str(uuid.uuid4()),
                "reference": f"IMWU-2026-{number:07d}",
                "organization_id": ids["organization"],
                "created_by_id": ids["creator"],
                "status": status,
                "version": 3,
                "form_edition": FORM_EDITION,
                "language": "fr" if rng.random() < 0.25 else "en",
                "exemption_code": "T11",
                "content": content,
                "documents_bytes_used": rng.randint(200_000, 4_000_000),
                "declarant_name": "Pat Declarant",
                "idempotency_key": None,
                "idempotency_fingerprint": None,
                "created_at": submitted_at - timedelta(hours=2),
                "updated_at": submitted_at,
                "submitted_at": submitted_at,
                "stream": _weighted(rng, STREAMS),
                "triage_run": 1,
                "priority": priority,
                "priority_reasons": reasons,
                "due_date": (submitted_at + timedelta(days=14)).date(),
                "claimed_by_id": ids["reviewer"] if claimed else None,
                "claim_expires_at": (now + timedelta(hours=-1 if lapsed else 6))
                if claimed
                else None,
                "decided_at": submitted_at + timedelta(days=9) if status == "decided" else None,
            }
        )
    return rows


def finding_rows(cases: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for case in cases:
        for position, rule in enumerate(RULES):
            rows.append(
                {
                    "id": str(uuid.uuid4()),
                    "request_id": case["id"],
                    "run": 1,
                    "position": position,
                    "rule": rule,
                    "outcome": "review" if (position + case["priority"]) % 3 == 0 else "warn",
                    "message_en": "The offer's work location could not be confirmed.",
                    "message_fr": "Le lieu de travail de l'offre n'a pas pu être confirmé.",
                    "fields": ["/work/location"],
                    "reference_version": "2026-11-01+0123456789ab",
                    "created_at": case["submitted_at"],
                }
            )
    return rows


def _copy(dsn: str, table: Table, rows: list[dict[str, Any]]) -> None:
    columns = [c.name for c in table.columns]
    json_columns = {c.name for c in table.columns if c.type.__class__.__name__ == "JSON"}
    command = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
    with (
        psycopg.connect(dsn) as connection,
        connection.cursor() as cursor,
        cursor.copy(command) as copy,
    ):
        for row in rows:
            copy.write_row([json.dumps(row[c]) if c in json_columns else row[c] for c in columns])


def insert_rows(url: str, table: Table, rows: list[dict[str, Any]]) -> None:
    if url.startswith("postgresql"):
        _copy(libpq_dsn(url), table, rows)
        return
    engine = make_engine(url)
    with engine.begin() as connection:
        for at in range(0, len(rows), 10_000):
            connection.execute(insert(table), rows[at : at + 10_000])
    engine.dispose()


def seed_cases(
    url: str, *, count: int, start: int, ids: dict[str, str], waiting_only: bool, findings: bool
) -> list[dict[str, Any]]:
    """Insert the cases (and their findings), then refresh the planner's statistics."""
    rows = case_rows(count, start=start, ids=ids, waiting_only=waiting_only)
    insert_rows(url, OpinionRequest.__table__, rows)  # type: ignore[arg-type]
    if findings:
        opened = [r for r in rows if r["status"] not in ("decided", "withdrawn")]
        insert_rows(url, TriageFinding.__table__, finding_rows(opened))  # type: ignore[arg-type]
    analyze(url)
    return rows


def analyze(url: str) -> None:
    if url.startswith("postgresql"):
        with psycopg.connect(libpq_dsn(url), autocommit=True) as connection:
            connection.execute("VACUUM ANALYZE opinion_request")
            connection.execute("VACUUM ANALYZE triage_finding")
            connection.execute("VACUUM ANALYZE audit_event")
        return
    engine = make_engine(url)
    with engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE")
    engine.dispose()


def as_drafts(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The same cases as drafts (nothing submitted, an empty document budget)."""
    return [
        {
            **row,
            "status": "draft",
            "version": 1,
            "documents_bytes_used": 0,
            "declarant_name": None,
            "submitted_at": None,
            "stream": None,
            "triage_run": 0,
            "priority": 0,
            "priority_reasons": [],
            "due_date": None,
            "claimed_by_id": None,
            "claim_expires_at": None,
            "decided_at": None,
        }
        for row in rows
    ]


def document_rows(drafts: Iterable[dict[str, Any]], kinds: Sequence[str]) -> list[dict[str, Any]]:
    """One small stored-document row per kind and draft (rows only: submit reads the kinds and
    the job offer's extracted text, never the files)."""
    rows = []
    for draft in drafts:
        for kind in kinds:
            rows.append(
                {
                    "id": str(uuid.uuid4()),
                    "request_id": draft["id"],
                    "kind": kind,
                    "display_name": f"{kind}.pdf",
                    "media_type": "application/pdf",
                    "size_bytes": 1000,
                    "sha256": uuid.uuid4().hex * 2,
                    "pages": 1,
                    "width": None,
                    "height": None,
                    "text": "Offer of employment" if kind == "job_offer" else None,
                    "uploaded_by_id": draft["created_by_id"],
                    "created_at": draft["created_at"],
                }
            )
    return rows


def account_ids(url: str, role: str) -> tuple[str, str | None]:
    """The id and organization of the first account with this role (made by bench.accounts)."""
    engine = make_engine(url)
    with engine.connect() as connection:
        row = connection.execute(
            select(Account.id, Account.organization_id).where(Account.role == role).limit(1)
        ).one()
    engine.dispose()
    return str(row[0]), row[1]
