"""Small tests that keep the written conventions true (README, Conventions)."""

import ast
import re
from pathlib import Path

from fastapi.testclient import TestClient

from app import problems

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
