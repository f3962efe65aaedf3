"""Hostile JSON bodies on the IMM 5686 request: each is refused with its exact problem, names the
field without echoing the value, and changes nothing. SQL and HTML in names are only text: they
are accepted and stored as sent.

A body the JSON parser cannot read (nested past the recursion limit, not UTF-8, an integer of
5,000 digits) is `400 bad_request`; a body that parses but breaks the schema is `422
validation_error` with one pointer per field; a body over 256 KiB is `413 payload_too_large`.
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import inspect

from app.db import get_engine
from tests.hostile.checks import assert_healthy, assert_problem
from tests.hostile.corpus import CANARY
from tests.intake.scenarios import t11_body

LONG = CANARY + "A" * (100_000 - len(CANARY))
"""100,000 characters, marked so that an echo in the error is found."""


def _with(path: str, value: Any, body: dict[str, Any] | None = None) -> bytes:
    """The T11 body with the field at the JSON pointer `path` set to `value`, as JSON bytes."""
    body = body or t11_body()
    *parents, last = path.strip("/").split("/")
    target: Any = body
    for key in parents:
        target = target[key]
    if isinstance(target, list):
        target[int(last) :] = [value]
    else:
        target[last] = value
    return json.dumps(body).encode()


def _raw(path: str, json_text: str) -> bytes:
    """The T11 body with `json_text` spliced in verbatim as the value at `path` (for JSON that
    `json.dumps` would not write: lone surrogate escapes, NaN, huge literals)."""
    return _with(path, "@@SPLICE@@").replace(b'"@@SPLICE@@"', json_text.encode())


@dataclass(frozen=True)
class Bad:
    body: bytes
    status: int
    code: str
    pointers: tuple[str, ...] = ()
    never: tuple[str, ...] = (CANARY,)
    headers: dict[str, str] = field(default_factory=dict)


def _unparseable(body: bytes) -> Bad:
    return Bad(body, 400, "bad_request")


def _invalid(body: bytes, *pointers: str, never: tuple[str, ...] = (CANARY,)) -> Bad:
    return Bad(body, 422, "validation_error", pointers, never)


def _dated(path: str, value: str, pointer: str | None = None) -> Bad:
    return _invalid(_with(path, value), pointer or path, never=(value,))


CREATE_CASES = {
    "object_nested_10000_deep": _unparseable(b'{"a":' * 10_000 + b"1" + b"}" * 10_000),
    "array_nested_10000_deep": _unparseable(b"[" * 10_000 + b"]" * 10_000),
    "object_nested_900_deep_in_employer": _invalid(
        b'{"employer":' + b'{"a":' * 900 + b"1" + b"}" * 901, "/employer/a"
    ),
    "body_of_5_mb": Bad(
        b'{"employer": {"name": "' + CANARY.encode() * 600_000 + b'"}}', 413, "payload_too_large"
    ),
    "invalid_utf8_in_a_name": _unparseable(
        _with("/worker/family_name", "Riv@@era").replace(b"@@", b"\xff\xfe")
    ),
    "overlong_utf8_slash": _unparseable(
        _with("/worker/family_name", "a@@b").replace(b"@@", b"\xc0\xaf")
    ),
    "lone_high_surrogate_in_family_name": _invalid(
        _raw("/worker/family_name", '"Riv\\ud800era"'), "/worker/family_name"
    ),
    "lone_low_surrogate_in_passport_number": _invalid(
        _raw("/worker/passport/number", '"X\\udfff1234567"'), "/worker/passport/number"
    ),
    "lone_surrogate_as_a_key": _invalid(b'{"\\ud800": 1}', ""),
    "date_0000_00_00": _dated("/worker/date_of_birth", "0000-00-00"),
    "date_2023_02_30": _dated("/work/start_date", "2023-02-30"),
    "date_2023_02_30_passport_expiry": _dated("/worker/passport/expiry_date", "2023-02-30"),
    "date_month_13": _dated("/work/end_date", "2023-13-01"),
    "date_five_digit_year": _dated("/work/intended_entry_date", "99999-01-01"),
    "date_hour_25": _dated("/worker/date_of_birth", "1984-03-02T25:00"),
    "born_before_1900": _dated("/worker/date_of_birth", "1899-12-31"),
    "born_in_the_future": _dated("/worker/date_of_birth", "9999-12-31"),
    "country_xx": _dated("/worker/citizenship", "XX"),
    "country_zzz": _dated("/worker/country_of_birth", "ZZZ"),
    "country_empty": _invalid(
        _with("/worker/country_of_residence", ""), "/worker/country_of_residence"
    ),
    "country_with_nul": _invalid(_with("/worker/citizenship", "US\u0000"), "/worker/citizenship"),
    "country_lookalike_u_umlaut": _dated("/worker/passport/issuing_country", "\u00dcS"),
    "other_citizenship_xx": _invalid(
        _with("/worker/other_citizenships", ["XX"]), "/worker/other_citizenships/0"
    ),
    "hours_nan": _invalid(_raw("/work/hours_per_week", "NaN"), "/work/hours_per_week"),
    "hours_infinity": _invalid(_raw("/work/hours_per_week", "Infinity"), "/work/hours_per_week"),
    "hours_1e308": _invalid(_raw("/work/hours_per_week", "1e308"), "/work/hours_per_week"),
    "wage_1e999999999": _invalid(_with("/work/wage/amount", "1e999999999"), "/work/wage/amount"),
    "integer_of_5000_digits": _unparseable(_raw("/work/hours_per_week", "9" * 5000)),
    "idempotency_key_of_5000_chars": Bad(
        json.dumps(t11_body()).encode(),
        422,
        "validation_error",
        ("/header/idempotency-key",),
        headers={"Idempotency-Key": CANARY * 500},
    ),
    "sent_as_text_plain": Bad(
        json.dumps(t11_body()).encode(),
        422,
        "validation_error",
        ("",),
        headers={"Content-Type": "text/plain"},
    ),
    "empty_body": _invalid(b"", ""),
}


def _full_body() -> dict[str, Any]:
    """The T11 body with a representative too, so that every text field of the form is present."""
    body = t11_body()
    body["representative"] = {
        "name": "Pat Counsel",
        "type": "lawyer",
        "licence_number": "LSO 12345",
        "regulator": "Law Society of Ontario",
        "firm": "Counsel LLP",
        "email": "pat@counsel.example",
        "phone": "+1 416 555 0100",
        "imm5476_on_file": True,
    }
    return body


def _text_fields(value: Any, path: str = "") -> Iterator[str]:
    """JSON pointers of every field that holds (or may hold) text."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _text_fields(item, f"{path}/{key}")
    elif isinstance(value, list):
        yield f"{path}/0"
    elif value is None or isinstance(value, str):
        yield path


LONG_STRING_CASES = {
    pointer.strip("/").replace("/", "."): _invalid(_with(pointer, LONG, _full_body()), pointer)
    for pointer in _text_fields(_full_body())
}


def _created(client: TestClient, rep: dict[str, str]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = client.get("/api/v1/requests", headers=rep).json()["items"]
    return items


def _post(client: TestClient, rep: dict[str, str], case: Bad, url: str = "/api/v1/requests") -> Any:
    headers = {**rep, "Content-Type": "application/json", **case.headers}
    return client.post(url, content=case.body, headers=headers)


@pytest.mark.parametrize("case", CREATE_CASES.values(), ids=CREATE_CASES.keys())
def test_hostile_body_is_refused_and_creates_nothing(
    client: TestClient, rep: dict[str, str], case: Bad
) -> None:
    response = _post(client, rep, case)

    problem = assert_problem(response, status=case.status, code=case.code, never=case.never)
    assert [error["pointer"] for error in problem.get("errors", [])] == list(case.pointers)
    assert_healthy(client)
    assert _created(client, rep) == []


@pytest.mark.parametrize("case", LONG_STRING_CASES.values(), ids=LONG_STRING_CASES.keys())
def test_100000_characters_in_a_text_field_are_refused_unechoed(
    client: TestClient, rep: dict[str, str], case: Bad
) -> None:
    response = _post(client, rep, case)

    problem = assert_problem(response, status=422, code="validation_error")
    assert [error["pointer"] for error in problem["errors"]] == list(case.pointers)
    assert_healthy(client)
    assert _created(client, rep) == []


PATCH_CASES = {
    "object_nested_10000_deep": _unparseable(
        b'{"worker":' + b'{"a":' * 10_000 + b"1" + b"}" * 10_001
    ),
    "lone_surrogate": _invalid(b'{"worker": {"family_name": "a\\ud800b"}}', "/worker/family_name"),
    "string_of_100000_characters": _invalid(
        json.dumps({"work": {"duties": LONG}}).encode(), "/work/duties"
    ),
    "array_instead_of_object": _invalid(b"[1, 2]", ""),
    "if_match_of_5000_chars": Bad(
        b'{"work": {"job_title": "Officer"}}',
        422,
        "validation_error",
        ("/header/if-match",),
        headers={"If-Match": CANARY * 500},
    ),
}


@pytest.mark.parametrize("case", PATCH_CASES.values(), ids=PATCH_CASES.keys())
def test_hostile_patch_is_refused_and_changes_nothing(
    client: TestClient, rep: dict[str, str], request_id: str, case: Bad
) -> None:
    before = client.get(f"/api/v1/requests/{request_id}", headers=rep).json()
    headers = {**rep, "Content-Type": "application/json", **case.headers}

    response = client.patch(f"/api/v1/requests/{request_id}", content=case.body, headers=headers)

    problem = assert_problem(response, status=case.status, code=case.code, never=case.never)
    assert [error["pointer"] for error in problem.get("errors", [])] == list(case.pointers)
    assert_healthy(client)
    assert client.get(f"/api/v1/requests/{request_id}", headers=rep).json() == before


SUBMIT_CASES = {
    "declarant_lone_surrogate": _invalid(
        b'{"declarant_name": "\\udc00", "declaration_accepted": true}', "/declarant_name"
    ),
    "declarant_of_100000_characters": _invalid(
        json.dumps({"declarant_name": LONG, "declaration_accepted": True}).encode(),
        "/declarant_name",
    ),
}


@pytest.mark.parametrize("case", SUBMIT_CASES.values(), ids=SUBMIT_CASES.keys())
def test_hostile_submit_is_refused_and_leaves_a_draft(
    client: TestClient, rep: dict[str, str], request_id: str, case: Bad
) -> None:
    response = _post(client, rep, case, f"/api/v1/requests/{request_id}/submit")

    problem = assert_problem(response, status=case.status, code=case.code, never=case.never)
    assert [error["pointer"] for error in problem["errors"]] == list(case.pointers)
    assert_healthy(client)
    assert client.get(f"/api/v1/requests/{request_id}", headers=rep).json()["status"] == "draft"


TEXT_AS_DATA = {
    "sql_injection": {
        "/worker/family_name": "'; DROP TABLE opinion_request; --",
        "/employer/name": "Robert'); DELETE FROM document WHERE ('1'='1",
    },
    "html_and_script": {
        "/worker/given_names": "<script>alert(1)</script>",
        "/work/job_title": '"><img src=x onerror=alert(1)>',
    },
}


@pytest.mark.parametrize("values", TEXT_AS_DATA.values(), ids=TEXT_AS_DATA.keys())
def test_sql_and_html_in_names_are_stored_as_text(
    client: TestClient, rep: dict[str, str], values: dict[str, str]
) -> None:
    """Names are data: bound parameters keep SQL inert, and HTML is for the client to escape."""
    body = t11_body()
    for pointer, value in values.items():
        body = json.loads(_with(pointer, value, body))

    response = client.post("/api/v1/requests", json=body, headers=rep)

    assert response.status_code == 201, response.text
    stored = client.get(f"/api/v1/requests/{response.json()['id']}", headers=rep).json()
    for pointer, value in values.items():
        section, name = pointer.strip("/").split("/")
        assert stored[section][name] == value
    assert inspect(get_engine()).has_table("opinion_request")
    assert inspect(get_engine()).has_table("document")
    assert [item["id"] for item in _created(client, rep)] == [stored["id"]]
