"""Who may call what: one table of every route against every kind of caller.

Each row names a route, the state of the case it is called on, and the status each actor gets.
Representatives of another organization get 404 on a case (its existence is not revealed),
reviewers read every submitted case, only the holder acts on a claimed one, and admins manage
accounts, never cases (403). Every response and every log line of the run is scanned for the
callers' tokens and for the stored token hashes."""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select

from app.auth.models import ApiToken
from app.db import get_sessionmaker
from app.letters.router import limiter
from tests.access.world import ACTORS, PUBLIC_HOOK, Case, World
from tests.builders import make_pdf
from tests.common.test_security_headers import header_problems
from tests.conftest import Accounts
from tests.contract.conformance import undeclared
from tests.intake.scenarios import t11_body

# The order of the calls: whoever would change the case goes last, so that every other actor
# meets the state the row names.
CALL_ORDER = (
    "anonymous",
    "revoked",
    "admin",
    "other_rep",
    "other_reviewer",
    "supervisor",
    "holder",
    "owner_rep",
)
assert sorted(CALL_ORDER) == sorted(ACTORS)

NOT_IN_TABLE = {
    "/api/v1/openapi.json",
    "/docs",
    "/docs/assets",
    "/",
    "/verify/{code}",
    "/static",
    "/healthz",
    "/readyz",
    "/metrics",
}

Body = Callable[[World, Case, str], dict[str, Any]]


def _none(_world: World, _case: Case, _actor: str) -> dict[str, Any]:
    return {}


def _json(payload: dict[str, Any]) -> Body:
    return lambda _world, _case, _actor: {"json": payload}


def _account(_world: World, _case: Case, actor: str) -> dict[str, Any]:
    return {"json": {"role": "reviewer", "name": "New Reviewer", "email": f"new-{actor}@x.org"}}


def _upload(_world: World, case: Case, actor: str) -> dict[str, Any]:
    pdf = make_pdf(["Diploma", case.id, actor])
    return {"data": {"kind": "diploma"}, "files": {"file": ("diploma.pdf", pdf, "application/pdf")}}


def _reassign(world: World, _case: Case, _actor: str) -> dict[str, Any]:
    return {"json": {"reviewer_id": world.ids["holder"]}}


DECISION = {"outcome": "positive", "exemption_code": "T11", "letter_language": "en"}
INFO = {"message": "Send the diploma.", "items": [{"kind": "diploma"}], "due_date": "2099-01-01"}
SUBMIT = {"declarant_name": "Pat Declarant", "declaration_accepted": True}


@dataclass(frozen=True)
class Row:
    method: str
    path: str
    state: str  # which case the path names: none, draft, complete_draft, in_review, ...
    # anonymous, revoked, owner_rep, other_rep, holder, other_reviewer, supervisor, admin
    expected: tuple[int, int, int, int, int, int, int, int]
    body: Body = _none

    @property
    def id(self) -> str:
        return f"{self.method} {self.path} [{self.state}]"


R = "/api/v1/requests/{request_id}"
W = "/api/v1/webhooks/{webhook_id}"
WEBHOOK = {"url": PUBLIC_HOOK, "events": ["letter.issued"], "description": "Case system"}
# fmt: off
TABLE = [
    #                                                          anon rev  own  oth  hold rev2 sup  adm
    Row("GET", "/api/v1/me", "none",                           (401, 401, 200, 200, 200, 200, 200, 200)),
    Row("POST", "/api/v1/accounts", "none",                    (401, 401, 403, 403, 403, 403, 403, 201), _account),
    Row("GET", "/api/v1/reference/exemption-codes", "none",    (401, 401, 200, 200, 200, 200, 200, 200)),
    Row("GET", "/api/v1/reference/exemption-codes/{code}", "none", (401, 401, 200, 200, 200, 200, 200, 200)),
    Row("GET", "/api/v1/reference/countries", "none",          (401, 401, 200, 200, 200, 200, 200, 200)),
    Row("GET", "/api/v1/reference/versions", "none",           (401, 401, 200, 200, 200, 200, 200, 200)),
    Row("POST", "/api/v1/requests", "none",                    (401, 401, 201, 201, 403, 403, 403, 403), _json(t11_body())),
    Row("GET", "/api/v1/requests", "none",                     (401, 401, 200, 200, 403, 403, 403, 403)),
    Row("GET", R, "in_review",                                 (401, 401, 200, 404, 200, 200, 200, 403)),
    Row("GET", R, "draft",                                     (401, 401, 200, 404, 404, 404, 404, 403)),
    Row("PATCH", R, "draft",                                   (401, 401, 200, 404, 404, 404, 404, 403), _json({"work": {"job_title": "Officer"}})),
    Row("POST", R + "/withdraw", "draft",                      (401, 401, 200, 404, 404, 404, 404, 403)),
    Row("POST", R + "/validate", "draft",                      (401, 401, 200, 404, 404, 404, 404, 403)),
    Row("POST", R + "/submit", "complete_draft",               (401, 401, 200, 404, 404, 404, 404, 403), _json(SUBMIT)),
    Row("POST", R + "/documents", "draft",                     (401, 401, 201, 404, 404, 404, 404, 403), _upload),
    Row("GET", R + "/documents", "in_review",                  (401, 401, 200, 404, 200, 200, 200, 403)),
    Row("GET", R + "/documents/{document_id}", "in_review",    (401, 401, 200, 404, 200, 200, 200, 403)),
    Row("DELETE", R + "/documents/{document_id}", "draft",     (401, 401, 204, 404, 404, 404, 404, 403)),
    Row("GET", R + "/triage", "in_review",                     (401, 401, 200, 404, 200, 200, 200, 403)),
    Row("GET", "/api/v1/queue", "none",                        (401, 401, 403, 403, 200, 200, 200, 403)),
    Row("POST", "/api/v1/queue/claim", "in_review",            (401, 401, 403, 403, 204, 204, 204, 403), _json({})),
    Row("POST", R + "/claim", "in_review",                     (401, 401, 403, 404, 200, 409, 409, 403)),
    Row("POST", R + "/release", "in_review",                   (401, 401, 403, 404, 200, 403, 403, 403)),
    Row("POST", R + "/reassign", "in_review",                  (401, 401, 403, 404, 403, 403, 200, 403), _reassign),
    Row("POST", R + "/info-requests", "in_review",             (401, 401, 403, 404, 201, 403, 403, 403), _json(INFO)),
    Row("GET", R + "/info-requests", "info_requested",         (401, 401, 200, 404, 200, 200, 200, 403)),
    Row("POST", R + "/info-requests/{info_id}/respond", "info_requested", (401, 401, 200, 404, 403, 403, 403, 403), _json({"message": "Attached."})),
    Row("POST", R + "/decision/preview", "in_review",          (401, 401, 403, 404, 200, 403, 403, 403), _json(DECISION)),
    Row("POST", R + "/decision", "in_review",                  (401, 401, 403, 404, 201, 403, 403, 403), _json(DECISION)),
    Row("GET", "/api/v1/stats", "none",                        (401, 401, 403, 403, 403, 403, 200, 403)),
    Row("GET", R + "/letter", "decided",                       (401, 401, 200, 404, 200, 200, 200, 403)),
    Row("GET", R + "/letters", "decided",                      (401, 401, 200, 404, 200, 200, 200, 403)),
    Row("GET", R + "/decision", "decided",                     (401, 401, 200, 404, 200, 200, 200, 403)),
    Row("GET", "/api/v1/letters/certificates", "none",         (200, 200, 200, 200, 200, 200, 200, 200)),
    Row("GET", "/api/v1/audit/checkpoints", "none",            (200, 200, 200, 200, 200, 200, 200, 200)),
    Row("GET", "/api/v1/letters/verify/{code}", "decided",     (200, 200, 200, 200, 200, 200, 200, 200)),
    Row("POST", "/api/v1/letters/{letter_id}/revoke", "decided", (401, 401, 403, 403, 403, 403, 200, 403), _json({"reason": "Issued in error"})),
    Row("POST", "/api/v1/letters/{letter_id}/reissue", "decided", (401, 401, 403, 403, 403, 403, 201, 403), _json({})),
    Row("GET", R + "/events", "in_review",                     (401, 401, 200, 404, 200, 200, 200, 403)),
    Row("GET", R + "/revisions", "in_review",                  (401, 401, 200, 404, 200, 200, 200, 403)),
    Row("GET", R + "/revisions/{number}", "in_review",         (401, 401, 200, 404, 200, 200, 200, 403)),
    Row("GET", R + "/decision/readiness", "in_review",         (401, 401, 403, 404, 200, 200, 200, 403)),
    Row("POST", R + "/findings/{finding_id}/resolution", "in_review_with_finding", (401, 401, 403, 404, 200, 403, 403, 403), _json({"resolution": "accepted"})),
    Row("GET", R + "/notifications", "in_review",              (401, 401, 200, 404, 200, 200, 200, 403)),
    Row("POST", "/api/v1/webhooks", "none",                    (401, 401, 201, 201, 403, 403, 403, 403), _json(WEBHOOK)),
    Row("GET", "/api/v1/webhooks", "none",                     (401, 401, 200, 200, 403, 403, 403, 403)),
    Row("GET", W, "webhook",                                   (401, 401, 200, 404, 403, 403, 403, 403)),
    Row("PATCH", W, "webhook",                                 (401, 401, 200, 404, 403, 403, 403, 403), _json({"description": "Ours"})),
    Row("DELETE", W, "webhook",                                (401, 401, 204, 404, 403, 403, 403, 403)),
    Row("POST", W + "/rotate-secret", "webhook",               (401, 401, 200, 404, 403, 403, 403, 403)),
    Row("GET", W + "/deliveries", "webhook",                   (401, 401, 200, 404, 403, 403, 403, 403)),
    Row("POST", W + "/deliveries/{delivery_id}/retry", "webhook", (401, 401, 202, 404, 403, 403, 403, 403)),
    Row("POST", W + "/test", "webhook",                        (401, 401, 202, 404, 403, 403, 403, 403)),
]
# fmt: on

# Known defects, with the status the app answers today. app/documents/router.py lacks the guard
# the other case routers declare (`dependencies=[Depends(require(Role.REPRESENTATIVE,
# Role.REVIEWER, Role.SUPERVISOR))]`), so an admin reaches `CurrentRequest` and gets its 404.
# A cell listed here that starts to answer as the table says fails: remove it then.
KNOWN_DEFECTS: dict[tuple[str, str, str], int] = {}


def _target(world: World, state: str) -> Case:
    if state == "none":
        return Case(id="", version=0)
    factory: Callable[[], Case] = getattr(world, state)
    return factory()


def _url(row: Row, case: Case) -> str:
    code = case.verification_code if "/verify/" in row.path else "T11"
    return row.path.format(
        request_id=case.id,
        document_id=case.document_id,
        info_id=case.info_id,
        letter_id=case.letter_id,
        finding_id=case.finding_id,
        number=1,
        webhook_id=case.webhook_id,
        delivery_id=case.delivery_id,
        code=code,
    )


def _expected(row: Row) -> dict[str, int]:
    columns = (
        "anonymous",
        "revoked",
        "owner_rep",
        "other_rep",
        "holder",
        "other_reviewer",
        "supervisor",
        "admin",
    )
    expected = dict(zip(columns, row.expected, strict=True))
    for actor in expected:
        expected[actor] = KNOWN_DEFECTS.get((row.method, row.path, actor), expected[actor])
    return expected


def _stored_hashes() -> list[str]:
    with get_sessionmaker()() as session:
        return list(session.scalars(select(ApiToken.secret_hash)))


def _assert_no_secrets(world: World, responses: list[Response], logs: str) -> None:
    tokens = world.tokens
    secrets = [token.split("_", 2)[2] for token in tokens]
    hashes = _stored_hashes()
    assert len(hashes) >= len(tokens)
    for response in responses:
        text = (
            response.text
            if not response.headers.get("content-type", "").startswith(
                ("application/pdf", "image/")
            )
            else response.content.decode("latin-1")
        )
        seen = text + repr(dict(response.headers))
        for needle in (*tokens, *secrets, *hashes):
            assert needle not in seen, f"{response.request.method} {response.request.url.path}"
    for needle in (*tokens, *secrets, *hashes):
        assert needle not in logs


@pytest.mark.parametrize("row", TABLE, ids=[row.id for row in TABLE])
def test_access(
    row: Row, client: TestClient, accounts: Accounts, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    limiter.reset()
    world = World.build(client, accounts)
    case = _target(world, row.state)
    responses: dict[str, Response] = {}
    for actor in CALL_ORDER:
        responses[actor] = client.request(
            row.method,
            _url(row, case),
            headers=world.headers[actor],
            **row.body(world, case, actor),
        )
    actual = {actor: responses[actor].status_code for actor in _expected(row)}
    assert actual == _expected(row), {a: r.text[:200] for a, r in responses.items()}
    for response in responses.values():
        if response.status_code >= 400:
            assert response.headers["content-type"] == "application/problem+json"
    schema = client.app.openapi()  # type: ignore[attr-defined]
    assert [p for r in responses.values() for p in undeclared(schema, r)] == []
    assert [p for r in responses.values() for p in header_problems(r)] == []
    logs = caplog.text + "".join(repr(vars(record)) for record in caplog.records)
    _assert_no_secrets(world, list(responses.values()), logs)


def _app_routes(app: FastAPI) -> set[tuple[str, str]]:
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # FastAPI before lazy router inclusion: app.routes is already flat
        contexts: list[Any] = list(app.routes)
    else:
        contexts = list(iter_route_contexts(app.routes))
    found = set()
    for route in contexts:
        if route.path in NOT_IN_TABLE:
            continue
        for method in (route.methods or set()) - {"HEAD", "OPTIONS"}:
            found.add((method, route.path))
    return found


def test_the_table_lists_every_route_and_no_other(app: FastAPI) -> None:
    table = {(row.method, row.path) for row in TABLE}
    routes = _app_routes(app)
    assert routes - table == set(), "routes the access table lacks"
    assert table - routes == set(), "rows for routes the app no longer has"


def test_known_defects_name_table_cells() -> None:
    cells = {(row.method, row.path) for row in TABLE}
    for method, path, actor in KNOWN_DEFECTS:
        assert (method, path) in cells
        assert actor in ACTORS
