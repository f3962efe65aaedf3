"""The live OpenAPI description, linted as a contract: valid OpenAPI (openapi-spec-validator),
readable unique operation ids, one schema per shape, files typed as files, every header and
binary answer declared, examples on the main bodies, and Swagger UI served from the package.

Whether real answers stay inside the description is checked on every answer of the access
matrix (tests/access/test_matrix.py) and of the generated client's flow (`conformance.py`)."""

import json
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from openapi_spec_validator import validate

from app.intake.examples import REQUEST_EXAMPLE
from app.letters.router import RevokeBody
from app.queue.schemas import ClaimNextBody, DecisionCreate, InfoRequestCreate, InfoResponse
from tests.contract.conformance import undeclared

ROOT = Path(__file__).resolve().parents[2]
METHODS = ("get", "put", "post", "delete", "patch")


@pytest.fixture(scope="module")
def schema(app: FastAPI) -> dict[str, Any]:
    with TestClient(app) as client:
        answer = client.get("/api/v1/openapi.json")
    assert answer.status_code == 200
    document: dict[str, Any] = answer.json()
    return document


def _operations(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        operation["operationId"]: operation
        for item in schema["paths"].values()
        for method, operation in item.items()
        if method in METHODS
    }


def _schema_route_names(app: FastAPI) -> list[str]:
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # FastAPI before lazy router inclusion: app.routes is already flat
        routes: list[Any] = list(app.routes)
    else:
        routes = list(iter_route_contexts(app.routes))
    return [
        r.name
        for r in routes
        if isinstance(getattr(r, "original_route", r), APIRoute) and r.include_in_schema
    ]


class TestDescription:
    def test_is_valid_openapi(self, schema: dict[str, Any]) -> None:
        validate(schema)

    def test_operation_ids_are_the_route_function_names(
        self, schema: dict[str, Any], app: FastAPI
    ) -> None:
        ids = [
            operation["operationId"]
            for item in schema["paths"].values()
            for method, operation in item.items()
            if method in METHODS
        ]
        assert len(ids) == len(set(ids)), "duplicate operation ids"
        assert [i for i in ids if not re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", i)] == []
        assert sorted(ids) == sorted(_schema_route_names(app))
        for expected in ("create_request", "upload_document", "submit_request", "decide_request",
                         "download_letter", "verify_letter", "claim_request", "create_account"):
            assert expected in ids

    def test_one_schema_per_shape(self, schema: dict[str, Any]) -> None:
        names = list(schema["components"]["schemas"])
        assert [n for n in names if n.endswith(("-Input", "-Output"))] == []
        titles = [s.get("title", n) for n, s in schema["components"]["schemas"].items()]
        assert len(titles) == len(set(titles)), "two schemas share a title"

    def test_uploads_are_binary_files(self, schema: dict[str, Any]) -> None:
        body = _operations(schema)["upload_document"]["requestBody"]["content"]
        form = body["multipart/form-data"]["schema"]
        ref = form["$ref"].rsplit("/", 1)[1]
        part = schema["components"]["schemas"][ref]["properties"]["file"]
        assert (part["type"], part["format"]) == ("string", "binary")

    @pytest.mark.parametrize(
        ("operation_id", "media_types"),
        [
            ("download_document", {"application/pdf", "image/jpeg", "image/png"}),
            ("download_letter", {"application/pdf"}),
            ("preview_decision", {"application/pdf"}),
        ],
    )
    def test_binary_answers_are_declared(
        self, schema: dict[str, Any], operation_id: str, media_types: set[str]
    ) -> None:
        content = _operations(schema)[operation_id]["responses"]["200"]["content"]
        assert set(content) == media_types
        for media in content.values():
            assert media["schema"] == {"type": "string", "format": "binary"}

    def test_headers_are_declared(self, schema: dict[str, Any]) -> None:
        operations = _operations(schema)

        def headers(operation_id: str, status: str) -> set[str]:
            return set(operations[operation_id]["responses"][status].get("headers", {}))

        assert {"ETag", "Location", "Idempotent-Replayed"} <= headers("create_request", "201")
        for operation_id in ("read_request", "update_request", "submit_request", "claim_request"):
            assert "ETag" in headers(operation_id, "200")
        assert "Content-Disposition" in headers("download_letter", "200")
        assert "Retry-After" in headers("verify_letter", "429")
        assert "Retry-After" in headers("upload_document", "507")
        assert "WWW-Authenticate" in headers("read_me", "401")
        for name, ref in operations["read_request"]["responses"]["200"]["headers"].items():
            assert ref == {"$ref": f"#/components/headers/{name}"}
            assert name in schema["components"]["headers"]

    def test_every_operation_declares_its_success(self, schema: dict[str, Any]) -> None:
        for operation_id, operation in _operations(schema).items():
            successes = {s: r for s, r in operation["responses"].items() if s.startswith("2")}
            assert successes, operation_id
            for status, response in successes.items():
                assert status == "204" or response.get("content"), (operation_id, status)

    def test_main_request_bodies_have_examples(self, schema: dict[str, Any]) -> None:
        operations = _operations(schema)
        components = schema["components"]["schemas"]
        for operation_id in ("create_request", "update_request"):
            media = operations[operation_id]["requestBody"]["content"]["application/json"]
            assert media["examples"], operation_id
        assert operations["create_request"]["requestBody"]["content"]["application/json"][
            "examples"
        ]["t11"]["value"] == REQUEST_EXAMPLE
        for name in ("SubmitBody", "AccountCreate", "InfoRequestCreate", "InfoResponse",
                     "DecisionCreate", "ClaimNextBody", "RevokeBody"):
            assert components[name]["examples"], name

    def test_model_examples_are_valid_bodies(self) -> None:
        for model in (DecisionCreate, InfoRequestCreate, InfoResponse, ClaimNextBody, RevokeBody):
            for example in model.model_json_schema()["examples"]:
                model.model_validate(example)

    def test_the_sample_request_is_the_described_example(self) -> None:
        sample = json.loads((ROOT / "docs" / "examples" / "request.json").read_text())
        assert sample == REQUEST_EXAMPLE


class TestConformance:
    def test_an_undeclared_status_or_header_is_reported(
        self, schema: dict[str, Any], client: TestClient
    ) -> None:
        """The checker the access matrix and the generated flow rely on can fail."""
        answer = client.get("/api/v1/me")
        assert undeclared(schema, answer) == []
        answer.status_code = 418
        assert undeclared(schema, answer) == ["GET /api/v1/me -> 418: status not declared"]
        answer.status_code = 401
        answer.headers["ETag"] = '"1"'
        assert undeclared(schema, answer) == ["GET /api/v1/me -> 401: header ETag not declared"]


class TestSwaggerUi:
    def test_docs_load_only_files_of_this_service(self, client: TestClient) -> None:
        page = client.get("/docs")
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert sources
        assert [s for s in sources if not s.startswith("/")] == []
        assert "<script>" not in page.text
        for source in sources:
            asset = client.get(source)
            assert asset.status_code == 200, source
            assert len(asset.content) > 0
        bundle = client.get("/docs/assets/swagger-ui-bundle.js")
        assert b"SwaggerUIBundle" in bundle.content
