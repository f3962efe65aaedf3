import threading
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Accounts
from tests.intake.scenarios import attach_required, c20_body, create, submit, t11_body, t36_body


class TestCreate:
    def test_creates_a_draft_with_reference_version_and_budget(
        self, client: TestClient, rep: dict[str, str]
    ) -> None:
        response = client.post("/api/v1/requests", json=t11_body(), headers=rep)
        assert response.status_code == 201
        body = response.json()
        assert body["status"] == "draft"
        assert body["reference"].startswith("IMWU-20")
        assert len(body["reference"]) == len("IMWU-2026-000123")
        assert body["version"] == 1
        assert response.headers["ETag"] == '"1"'
        assert body["form_edition"] == "IMM 5686 (01-2018) E"
        assert body["documents_bytes_used"] == 0
        assert body["documents_bytes_remaining"] == 4_194_304
        assert body["worker"]["citizenship"] == "US"
        assert body["exemption"] == {"type": "lmia_exemption", "code": "T11"}

    def test_references_are_numbered_in_sequence(
        self, client: TestClient, rep: dict[str, str]
    ) -> None:
        first = create(client, rep, {})["reference"]
        second = create(client, rep, {})["reference"]
        assert int(second[-6:]) == int(first[-6:]) + 1

    def test_alpha3_countries_are_stored_as_alpha2(
        self, client: TestClient, rep: dict[str, str]
    ) -> None:
        body = create(
            client, rep, {"worker": {"citizenship": "fra", "passport": {"issuing_country": "DEU"}}}
        )
        assert body["worker"]["citizenship"] == "FR"
        assert body["worker"]["passport"]["issuing_country"] == "DE"

    def test_invalid_fields_are_named_without_echoing_values(
        self, client: TestClient, rep: dict[str, str]
    ) -> None:
        bad = {
            "worker": {
                "citizenship": "XX",
                "family_name": "Z" * 300,
                "date_of_birth": "0000-00-00",
            },
            "work": {"noc_code": "ABC12", "start_date": "2027-02-01", "end_date": "2027-01-01"},
            "employer": {"offer_number": "B1234567", "business_number": "12345", "email": "nope"},
        }
        response = client.post("/api/v1/requests", json=bad, headers=rep)
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["code"] == "validation_error"
        pointers = {e["pointer"] for e in problem["errors"]}
        assert {
            "/worker/citizenship",
            "/worker/family_name",
            "/worker/date_of_birth",
            "/work/noc_code",
            "/work/end_date",
            "/employer/offer_number",
            "/employer/business_number",
            "/employer/email",
        } <= pointers
        for secret in ("ZZZZZZ", "B1234567", "ABC12", "0000-00-00", "nope"):
            assert secret not in response.text

    def test_unknown_fields_are_refused(self, client: TestClient, rep: dict[str, str]) -> None:
        response = client.post("/api/v1/requests", json={"worker": {"shoe_size": 44}}, headers=rep)
        assert response.status_code == 422
        assert response.json()["errors"] == [
            {"pointer": "/worker/shoe_size", "message": "unknown field"}
        ]

    def test_reviewers_cannot_create(self, client: TestClient, reviewer: dict[str, str]) -> None:
        response = client.post("/api/v1/requests", json={}, headers=reviewer)
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"


class TestIdempotentCreate:
    def test_same_key_and_body_returns_the_same_request(
        self, client: TestClient, rep: dict[str, str]
    ) -> None:
        headers = {**rep, "Idempotency-Key": "create-1"}
        first = client.post("/api/v1/requests", json=t11_body(), headers=headers)
        second = client.post("/api/v1/requests", json=t11_body(), headers=headers)
        assert first.status_code == second.status_code == 201
        assert first.json()["id"] == second.json()["id"]
        assert second.headers["Idempotent-Replayed"] == "true"
        assert len(client.get("/api/v1/requests", headers=rep).json()["items"]) == 1

    def test_same_key_with_another_body_is_refused(
        self, client: TestClient, rep: dict[str, str]
    ) -> None:
        headers = {**rep, "Idempotency-Key": "create-2"}
        assert client.post("/api/v1/requests", json=t11_body(), headers=headers).status_code == 201
        response = client.post("/api/v1/requests", json=c20_body(), headers=headers)
        assert response.status_code == 422
        assert response.json()["code"] == "idempotency_conflict"

    def test_concurrent_retries_create_one_request(
        self, client: TestClient, rep: dict[str, str]
    ) -> None:
        headers = {**rep, "Idempotency-Key": "create-race"}
        ids: list[str] = []

        def post() -> None:
            ids.append(
                client.post("/api/v1/requests", json=t11_body(), headers=headers).json()["id"]
            )

        threads = [threading.Thread(target=post) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(set(ids)) == 1


class TestPatch:
    def test_merges_per_object_and_null_clears(
        self, client: TestClient, rep: dict[str, str]
    ) -> None:
        created = create(client, rep, t11_body())
        response = client.patch(
            f"/api/v1/requests/{created['id']}",
            json={
                "work": {
                    "job_title": "Port inspector",
                    "location": {"city": "Gatineau", "province": "QC"},
                },
                "employer": {"website": None},
            },
            headers={**rep, "If-Match": '"1"'},
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["version"] == 2
        assert response.headers["ETag"] == '"2"'
        assert body["work"]["job_title"] == "Port inspector"
        assert body["work"]["location"]["city"] == "Gatineau"
        assert body["work"]["location"]["address"] == created["work"]["location"]["address"]
        assert body["work"]["noc_code"] == created["work"]["noc_code"]
        assert body["employer"]["website"] is None

    def test_stale_if_match_is_refused(self, client: TestClient, rep: dict[str, str]) -> None:
        created = create(client, rep, t11_body())
        url = f"/api/v1/requests/{created['id']}"
        assert (
            client.patch(
                url, json={"work": {"job_title": "A"}}, headers={**rep, "If-Match": '"1"'}
            ).status_code
            == 200
        )
        stale = client.patch(
            url, json={"work": {"job_title": "B"}}, headers={**rep, "If-Match": '"1"'}
        )
        assert stale.status_code == 412
        assert stale.json()["code"] == "precondition_failed"
        assert client.get(url, headers=rep).json()["work"]["job_title"] == "A"

    def test_invalid_merge_is_refused_and_nothing_changes(
        self, client: TestClient, rep: dict[str, str]
    ) -> None:
        created = create(client, rep, t11_body())
        url = f"/api/v1/requests/{created['id']}"
        response = client.patch(url, json={"work": {"end_date": "2020-01-01"}}, headers=rep)
        assert response.status_code == 422
        assert response.json()["errors"][0]["pointer"] == "/work/end_date"
        assert client.get(url, headers=rep).json()["version"] == 1

    def test_submitted_request_cannot_be_edited(
        self, client: TestClient, rep: dict[str, str]
    ) -> None:
        body = t11_body()
        created = create(client, rep, body)
        attach_required(client, rep, created["id"], body)
        assert submit(client, rep, created["id"]).status_code == 200
        response = client.patch(
            f"/api/v1/requests/{created['id']}", json={"work": {"job_title": "X"}}, headers=rep
        )
        assert response.status_code == 409
        assert response.json()["code"] == "invalid_state"


class TestListAndVisibility:
    def test_lists_newest_first_with_cursor_and_status_filter(
        self, client: TestClient, rep: dict[str, str]
    ) -> None:
        ids = [create(client, rep, {})["id"] for _ in range(5)]
        first = client.get("/api/v1/requests", params={"limit": 2}, headers=rep).json()
        assert [r["id"] for r in first["items"]] == ids[::-1][:2]
        second = client.get(
            "/api/v1/requests", params={"limit": 2, "cursor": first["next_cursor"]}, headers=rep
        ).json()
        assert [r["id"] for r in second["items"]] == ids[::-1][2:4]
        client.post(f"/api/v1/requests/{ids[0]}/withdraw", headers=rep)
        withdrawn = client.get(
            "/api/v1/requests", params={"status": "withdrawn"}, headers=rep
        ).json()
        assert [r["id"] for r in withdrawn["items"]] == [ids[0]]

    def test_bad_cursor_is_a_validation_error(
        self, client: TestClient, rep: dict[str, str]
    ) -> None:
        response = client.get("/api/v1/requests", params={"cursor": "!!!"}, headers=rep)
        assert response.status_code == 422
        assert response.json()["code"] == "validation_error"

    def test_colleagues_share_and_other_organizations_get_404(
        self, client: TestClient, accounts: Accounts, rep: dict[str, str]
    ) -> None:
        colleague = accounts.make("representative", organization="Acme Law LLP")
        stranger = accounts.make("representative", organization="Other Corp")
        created = create(client, rep, t11_body())
        url = f"/api/v1/requests/{created['id']}"
        assert client.get(url, headers=colleague).status_code == 200
        for method, path in (
            ("GET", url),
            ("PATCH", url),
            ("POST", url + "/submit"),
            ("GET", url + "/documents"),
            ("POST", url + "/validate"),
        ):
            response = client.request(
                method,
                path,
                headers=stranger,
                json={"declarant_name": "x", "declaration_accepted": True},
            )
            assert response.status_code == 404, (method, path)
            assert response.json()["code"] == "not_found"
        assert client.get("/api/v1/requests", headers=stranger).json()["items"] == []


class TestWithdraw:
    def test_withdraws_and_then_refuses_again(
        self, client: TestClient, rep: dict[str, str]
    ) -> None:
        created = create(client, rep, {})
        url = f"/api/v1/requests/{created['id']}/withdraw"
        assert client.post(url, headers=rep).json()["status"] == "withdrawn"
        again = client.post(url, headers=rep)
        assert again.status_code == 409
        assert again.json()["code"] == "invalid_state"


def _submit_case(client: TestClient, rep: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    created = create(client, rep, body)
    attach_required(client, rep, created["id"], body)
    response = submit(client, rep, created["id"])
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


class TestSubmit:
    def test_t11_us_government_employee_is_submitted(
        self, client: TestClient, rep: dict[str, str]
    ) -> None:
        submitted = _submit_case(client, rep, t11_body())
        assert submitted["status"] == "submitted"
        assert submitted["submitted_at"] is not None
        assert submitted["declarant_name"] == "Pat Declarant"

    def test_c20_request_is_submitted(self, client: TestClient, rep: dict[str, str]) -> None:
        assert _submit_case(client, rep, c20_body())["status"] == "submitted"

    def test_t36_cusma_professional_is_submitted(
        self, client: TestClient, rep: dict[str, str]
    ) -> None:
        assert _submit_case(client, rep, t36_body())["status"] == "submitted"

    def test_submitting_twice_is_a_conflict(self, client: TestClient, rep: dict[str, str]) -> None:
        submitted = _submit_case(client, rep, t11_body())
        again = submit(client, rep, submitted["id"])
        assert again.status_code == 409
        assert again.json()["code"] == "invalid_state"

    def test_declaration_must_be_accepted(self, client: TestClient, rep: dict[str, str]) -> None:
        created = create(client, rep, t11_body())
        response = client.post(
            f"/api/v1/requests/{created['id']}/submit",
            json={"declarant_name": "Pat", "declaration_accepted": False},
            headers=rep,
        )
        assert response.status_code == 422
        assert response.json()["errors"] == [
            {"pointer": "/declaration_accepted", "message": "must be true"}
        ]

    def test_missing_documents_are_listed_and_request_stays_a_draft(
        self, client: TestClient, rep: dict[str, str]
    ) -> None:
        created = create(client, rep, t11_body())
        response = submit(client, rep, created["id"])
        assert response.status_code == 422
        problem = response.json()
        assert problem["code"] == "request_not_submittable"
        missing = {
            f["fields"][0]
            for f in problem["validation"]["findings"]
            if f["rule"] == "document_missing"
        }
        assert {
            "/documents/passport_bio_page",
            "/documents/job_offer",
            "/documents/cv",
            "/documents/employer_letter",
        } <= missing
        for finding in problem["validation"]["findings"]:
            assert finding["message"]["en"]
            assert finding["message"]["fr"]
        assert (
            client.get(f"/api/v1/requests/{created['id']}", headers=rep).json()["status"] == "draft"
        )
