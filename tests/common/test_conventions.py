"""Small tests that keep the written conventions true (README, Conventions)."""

import ast
import re
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin

from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import BaseModel

from app import problems
from app.common import form, text

APP = Path(__file__).resolve().parents[2] / "app"
PURE_MODULES = [
    APP / "eligibility" / "reference.py",
    APP / "eligibility" / "rules.py",
    APP / "eligibility" / "checklist.py",
    APP / "eligibility" / "agreements.py",
    APP / "eligibility" / "medical.py",
    *(
        APP / "triage" / f"{name}.py"
        for name in ("context", "rules", "treaty_rules", "limit_rules", "person_rules", "engine")
    ),
    APP / "documents" / "inspection.py",
    APP / "documents" / "filenames.py",
    APP / "common" / "form.py",
    APP / "common" / "findings.py",
    APP / "signing" / "keys.py",
]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_pure_modules_import_neither_sqlalchemy_nor_fastapi() -> None:
    for path in PURE_MODULES:
        assert not {"sqlalchemy", "fastapi", "starlette"} & _imports(path), path


def test_only_the_session_dependency_commits() -> None:
    offenders = [
        str(p.relative_to(APP))
        for p in APP.rglob("*.py")
        if p.name != "db.py" and re.search(r"\.commit\(", p.read_text())
    ]
    assert offenders == []


def test_problem_codes_are_unique() -> None:
    classes = [
        c
        for c in vars(problems).values()
        if isinstance(c, type) and issubclass(c, problems.AppError) and c is not problems.AppError
    ]
    codes = [c.code for c in classes]
    assert len(codes) == len(set(codes))


def test_unknown_routes_and_methods_are_problems(client: TestClient) -> None:
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["code"] == "not_found"
    wrong = client.delete("/api/v1/me")
    assert wrong.status_code == 405
    assert wrong.json()["code"] == "method_not_allowed"


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready"}


def test_openapi_declares_problem_responses(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    upload = spec["paths"]["/api/v1/requests/{request_id}/documents"]["post"]["responses"]
    assert {"413", "415", "422", "409"} <= set(upload)
    assert "application/problem+json" in upload["413"]["content"]
    assert client.get("/docs").status_code == 200


def test_json_bodies_over_the_limit_are_refused_before_parsing(client: TestClient) -> None:
    response = client.post(
        "/api/v1/requests",
        content=b"{" + b" " * 600_000 + b"}",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


# Free text goes through app.common.text; codes are looked up in a closed list (pycountry).
_TEXT_RULES = (text.single_line, text.multi_line, form._to_alpha2, form._currency)


def _checks_text(metadata: list[Any]) -> bool:
    """A text rule or a code lookup, or a pattern (numbers, phone numbers: it names the
    characters allowed)."""
    return any(
        getattr(meta, "func", None) in _TEXT_RULES or getattr(meta, "pattern", None)
        for meta in metadata
    )


def _free_text_fields(model: type[BaseModel], path: str, seen: set[type]) -> list[str]:
    """Every `str` (at any depth, in lists and unions) of a request model that does not go
    through `app.common.text` (SingleLine or MultiLine), as a dotted path."""
    if model in seen:
        return []
    seen.add(model)
    found: list[str] = []
    for name, info in model.model_fields.items():
        for kind, checked in _leaves(info.annotation, _checks_text(info.metadata)):
            if isinstance(kind, type) and issubclass(kind, BaseModel):
                found += _free_text_fields(kind, f"{path}.{name}", seen)
            elif kind is str and not checked:
                found.append(f"{path}.{name}")
    return found


def _leaves(annotation: Any, checked: bool) -> list[tuple[Any, bool]]:
    """The leaf types of an annotation, each with whether a text rule applies to it."""
    if get_origin(annotation) is Annotated:
        inner, *metadata = get_args(annotation)
        return _leaves(inner, checked or _checks_text(metadata))
    if get_origin(annotation) is Literal:
        return []
    args = get_args(annotation)
    if args:
        return [leaf for arg in args for leaf in _leaves(arg, checked)]
    return [(annotation, checked)]


def _api_routes(routes: list[Any]) -> list[APIRoute]:
    """The app's API routes, also those of included routers."""
    found: list[APIRoute] = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        elif getattr(route, "original_router", None) is not None:
            found += _api_routes(route.original_router.routes)
    return found


def test_every_free_text_field_of_a_request_body_refuses_control_characters(app: Any) -> None:
    """Issue 12: NUL and C0/C1 characters are refused with a 422 naming the field, never stored
    (on PostgreSQL a NUL in text is a 500). Routes added later must keep to it too."""
    unchecked: list[str] = []
    for route in _api_routes(app.routes):
        if route.body_field is not None:
            body = route.body_field.field_info.annotation
            for kind, _checked in _leaves(body, False):
                if isinstance(kind, type) and issubclass(kind, BaseModel):
                    unchecked += _free_text_fields(kind, kind.__name__, set())
    assert sorted(set(unchecked)) == []
