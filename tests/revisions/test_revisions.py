"""The submitted form is frozen: revision 1 at submit, n + 1 at each answer to an information
request, and between them the organization changes only what the reviewer asked for.

Each hole found when the service was tried as an attacker is a test here: after submit the
worker's identity could be rewritten and documents deleted while the case waited on an
information request."""

import hashlib
from typing import Any

from fastapi.testclient import TestClient

from tests.builders import make_jpeg, make_pdf
from tests.conftest import Accounts
from tests.intake.scenarios import t11_body, upload
from tests.queue.helpers import ask, asked_case, claim, decide, respond, submitted_case


def _request(client: TestClient, headers: dict[str, str], case_id: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/requests/{case_id}", headers=headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def _documents(client: TestClient, headers: dict[str, str], case_id: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = client.get(
        f"/api/v1/requests/{case_id}/documents", headers=headers
    ).json()["items"]
    return items


def _revisions(client: TestClient, headers: dict[str, str], case_id: str) -> list[dict[str, Any]]:
    response = client.get(f"/api/v1/requests/{case_id}/revisions", headers=headers)
    assert response.status_code == 200, response.text
    result: list[dict[str, Any]] = response.json()
    return result


def _patch(client: TestClient, rep: dict[str, str], case_id: str, body: dict[str, Any]) -> Any:
    return client.patch(f"/api/v1/requests/{case_id}", json=body, headers=rep)


class TestSubmitFreezesRevisionOne:
    def test_revision_1_holds_the_form_documents_with_sha256_version_and_findings(
        self, client: TestClient, rep: dict[str, str], reviewer: dict[str, str]
    ) -> None:
        body = t11_body()
        case = submitted_case(client, rep, body)
        assert case["revision"] == 1
        documents = _documents(client, rep, case["id"])
        [summary] = _revisions(client, reviewer, case["id"])
        assert summary["number"] == 1
        assert summary["changes"] is None
        assert summary["documents"] == len(documents)
        assert summary["reference_version"].startswith("2026-02-11+")
        full = client.get(f"/api/v1/requests/{case['id']}/revisions/1", headers=rep).json()
        assert full["content"]["worker"]["family_name"] == "Rivera"
        assert full["content"]["worker"]["passport"]["number"] == "X1234567"
        assert {(d["id"], d["kind"], d["sha256"]) for d in full["document_list"]} == {
            (d["id"], d["kind"], d["sha256"]) for d in documents
        }
        offer = next(d for d in documents if d["kind"] == "job_offer")
        downloaded = client.get(
            f"/api/v1/requests/{case['id']}/documents/{offer['id']}", headers=rep
        ).content
        assert offer["sha256"] == hashlib.sha256(downloaded).hexdigest()
        # T11 carries one reviewer note (R204(a) vs R204(c)), nothing else.
        assert [f["rule"] for f in full["findings"]] == ["t11_regulation_note"]
        triage = client.get(f"/api/v1/requests/{case['id']}/triage", headers=reviewer).json()
        assert triage["revision"] == 1
        assert full["triage_run"] == triage["run"]

    def test_revisions_are_for_the_organization_and_reviewers_only(
        self, client: TestClient, accounts: Accounts, rep: dict[str, str], reviewer: dict[str, str]
    ) -> None:
        case = submitted_case(client, rep, t11_body())
        other = accounts.make("representative", organization="Other Org")
        admin = accounts.make("admin")
        url = f"/api/v1/requests/{case['id']}/revisions"
        assert client.get(url, headers=other).status_code == 404
        assert client.get(f"{url}/1", headers=other).status_code == 404
        assert client.get(url, headers=admin).status_code == 403
        assert client.get(f"{url}/2", headers=reviewer).json()["code"] == "not_found"
        draft = client.post("/api/v1/requests", json=t11_body(), headers=rep).json()
        assert _revisions(client, rep, draft["id"]) == []


class TestNothingChangesAfterSubmit:
    def test_patch_is_refused_while_submitted_and_in_review(
        self, client: TestClient, rep: dict[str, str], reviewer: dict[str, str]
    ) -> None:
        case_id = submitted_case(client, rep, t11_body())["id"]
        for state in ("submitted", "in_review"):
            if state == "in_review":
                assert claim(client, reviewer, case_id).status_code == 200
            response = _patch(client, rep, case_id, {"worker": {"family_name": "Mallory"}})
            assert response.status_code == 409
            assert response.json()["code"] == "invalid_state"
        assert _request(client, rep, case_id)["worker"]["family_name"] == "Rivera"

    def test_documents_cannot_be_deleted_or_added_once_submitted(
        self, client: TestClient, rep: dict[str, str]
    ) -> None:
        case_id = submitted_case(client, rep, t11_body())["id"]
        before = _documents(client, rep, case_id)
        deleted = client.delete(
            f"/api/v1/requests/{case_id}/documents/{before[0]['id']}", headers=rep
        )
        assert deleted.status_code == 409
        assert deleted.json()["code"] == "invalid_state"
        added = upload(client, rep, case_id, "diploma", make_pdf(["Late diploma"]))
        assert added.status_code == 409
        assert added.json()["code"] == "invalid_state"
        assert _documents(client, rep, case_id) == before


class TestWhileAnInformationRequestIsOpen:
    """Hole: `info_requested` was an editable status: identity rewritten, documents deleted."""

    def test_identity_cannot_be_rewritten(
        self, client: TestClient, rep: dict[str, str], reviewer: dict[str, str]
    ) -> None:
        case_id, _ = asked_case(client, rep, reviewer, t11_body(), kinds=("diploma",))
        version = _request(client, rep, case_id)["version"]
        for patch in (
            {"worker": {"family_name": "Mallory", "passport": {"number": "Z9999999"}}},
            {"worker": {"date_of_birth": None}},
        ):
            response = _patch(client, rep, case_id, patch)
            assert response.status_code == 422, response.text
            problem = response.json()
            assert problem["code"] == "validation_error"
            pointers = {e["pointer"] for e in problem["errors"]}
            assert pointers <= {
                "/worker/family_name",
                "/worker/passport/number",
                "/worker/date_of_birth",
            }
            assert "Mallory" not in response.text
            assert "Z9999999" not in response.text
        after = _request(client, rep, case_id)
        assert after["version"] == version
        assert after["worker"]["family_name"] == "Rivera"
        assert after["worker"]["date_of_birth"] == "1984-03-02"

    def test_a_section_asked_for_opens_each_of_its_fields(
        self, client: TestClient, rep: dict[str, str], reviewer: dict[str, str]
    ) -> None:
        """A reviewer naming a section (`work.location`) asks for its fields, so the client can
        offer each one for editing."""
        case_id, info_id = asked_case(client, rep, reviewer, t11_body(), fields=("work.location",))
        [info] = client.get(f"/api/v1/requests/{case_id}/info-requests", headers=rep).json()
        assert info["id"] == info_id
        assert info["fields"] == [
            "/work/location/address",
            "/work/location/city",
            "/work/location/province",
        ]
        changed = _patch(client, rep, case_id, {"work": {"location": {"city": "Gatineau"}}})
        assert changed.status_code == 200, changed.text

    def test_documents_attached_before_cannot_be_deleted(
        self, client: TestClient, rep: dict[str, str], reviewer: dict[str, str]
    ) -> None:
        case_id, _ = asked_case(client, rep, reviewer, t11_body(), kinds=("passport_bio_page",))
        before = _documents(client, rep, case_id)
        for document in before:
            response = client.delete(
                f"/api/v1/requests/{case_id}/documents/{document['id']}", headers=rep
            )
            assert response.status_code == 409
            assert response.json()["code"] == "invalid_state"
        assert _documents(client, rep, case_id) == before
        used = _request(client, rep, case_id)["documents_bytes_used"]
        assert used == sum(d["size_bytes"] for d in before)

    def test_only_the_kinds_asked_for_can_be_added(
        self, client: TestClient, rep: dict[str, str], reviewer: dict[str, str]
    ) -> None:
        case_id, _ = asked_case(client, rep, reviewer, t11_body(), kinds=("diploma",))
        refused = upload(
            client,
            rep,
            case_id,
            "passport_bio_page",
            make_jpeg(320, 200),
            filename="passport.jpg",
            content_type="image/jpeg",
        )
        assert refused.status_code == 422
        assert refused.json()["code"] == "validation_error"
        assert refused.json()["errors"] == [
            {"pointer": "/kind", "message": "not asked for by the open information request"}
        ]
        assert upload(client, rep, case_id, "diploma", make_pdf(["Diploma"])).status_code == 201
        assert sorted(d["kind"] for d in _documents(client, rep, case_id)).count("diploma") == 1

    def test_a_document_added_in_answer_can_be_replaced_before_answering(
        self, client: TestClient, rep: dict[str, str], reviewer: dict[str, str]
    ) -> None:
        case_id, _ = asked_case(client, rep, reviewer, t11_body(), kinds=("diploma",))
        wrong = upload(client, rep, case_id, "diploma", make_pdf(["Wrong diploma"])).json()
        removed = client.delete(f"/api/v1/requests/{case_id}/documents/{wrong['id']}", headers=rep)
        assert removed.status_code == 204

    def test_only_the_fields_asked_for_can_change(
        self, client: TestClient, rep: dict[str, str], reviewer: dict[str, str]
    ) -> None:
        case_id, _ = asked_case(
            client, rep, reviewer, t11_body(), fields=("worker.passport.expiry_date",)
        )
        refused = _patch(
            client,
            rep,
            case_id,
            {
                "work": {"job_title": "Director"},
                "worker": {"passport": {"expiry_date": "2032-01-01"}},
            },
        )
        assert refused.status_code == 422
        assert refused.json()["errors"] == [
            {
                "pointer": "/work/job_title",
                "message": "not asked for by the open information request",
            }
        ]
        assert _request(client, rep, case_id)["worker"]["passport"]["expiry_date"] == "2031-05-01"
        # Sending unchanged values along is fine: only what changes counts.
        accepted = _patch(
            client,
            rep,
            case_id,
            {
                "work": {"job_title": "CBP pre-clearance officer"},
                "worker": {"passport": {"expiry_date": "2032-01-01"}},
            },
        )
        assert accepted.status_code == 200, accepted.text
        assert accepted.json()["worker"]["passport"]["expiry_date"] == "2032-01-01"

    def test_an_information_request_cannot_name_an_unknown_field_or_the_identity(
        self, client: TestClient, rep: dict[str, str], reviewer: dict[str, str]
    ) -> None:
        case_id = submitted_case(client, rep, t11_body())["id"]
        assert claim(client, reviewer, case_id).status_code == 200
        unknown = ask(
            client, reviewer, case_id, fields=("/worker/passport/expiry_date", "worker.shoe_size")
        )
        assert unknown.status_code == 422
        assert unknown.json()["errors"] == [
            {"pointer": "/fields/1", "message": "unknown form field 'worker.shoe_size'"}
        ]
        for identity in (
            "worker.family_name",
            "/worker/passport/number",
            "worker",
            "worker.passport",
        ):
            refused = ask(client, reviewer, case_id, fields=(identity,))
            assert refused.status_code == 422, identity
            assert refused.json()["errors"][0]["pointer"] == "/fields/0"
        nothing = ask(client, reviewer, case_id)
        assert nothing.status_code == 422
        assert nothing.json()["errors"][0]["pointer"] == "/items"
        assert _request(client, rep, case_id)["status"] == "in_review"


class TestAnsweringMakesTheNextRevision:
    def test_answer_freezes_revision_2_triages_it_and_audits_what_changed(
        self, client: TestClient, rep: dict[str, str], reviewer: dict[str, str]
    ) -> None:
        case_id, info_id = asked_case(
            client,
            rep,
            reviewer,
            t11_body(),
            kinds=("diploma",),
            fields=("/worker/passport/expiry_date",),
        )
        info = client.get(f"/api/v1/requests/{case_id}/info-requests", headers=rep).json()[0]
        assert info["items"] == [{"kind": "diploma"}]
        assert info["fields"] == ["/worker/passport/expiry_date"]
        diploma = upload(client, rep, case_id, "diploma", make_pdf(["Diploma"])).json()
        patched = _patch(
            client, rep, case_id, {"worker": {"passport": {"expiry_date": "2033-02-03"}}}
        )
        assert patched.status_code == 200
        assert respond(client, rep, case_id, info_id).status_code == 200

        after = _request(client, reviewer, case_id)
        assert after["status"] == "in_review"
        assert after["revision"] == 2
        revisions = _revisions(client, reviewer, case_id)
        assert [r["number"] for r in revisions] == [1, 2]
        assert revisions[1]["info_request_id"] == info_id
        assert revisions[1]["changes"] == {
            "since": 1,
            "fields": ["/worker/passport/expiry_date"],
            "documents_added": [{"id": diploma["id"], "kind": "diploma"}],
        }
        first = client.get(f"/api/v1/requests/{case_id}/revisions/1", headers=reviewer).json()
        second = client.get(f"/api/v1/requests/{case_id}/revisions/2", headers=reviewer).json()
        assert first["content"]["worker"]["passport"]["expiry_date"] == "2031-05-01"
        assert second["content"]["worker"]["passport"]["expiry_date"] == "2033-02-03"
        assert diploma["id"] not in {d["id"] for d in first["document_list"]}
        assert {
            "id": diploma["id"],
            "kind": "diploma",
            "sha256": diploma["sha256"],
            "size_bytes": diploma["size_bytes"],
            "media_type": "application/pdf",
        } in second["document_list"]
        triage = client.get(f"/api/v1/requests/{case_id}/triage", headers=reviewer).json()
        assert (triage["run"], triage["revision"]) == (second["triage_run"], 2)

        events = client.get(f"/api/v1/requests/{case_id}/events", headers=reviewer).json()
        revised = [e for e in events if e["action"] == "request.revised"]
        assert [e["details"]["revision"] for e in revised] == [1, 2]
        assert revised[1]["details"]["fields"] == ["/worker/passport/expiry_date"]
        assert revised[1]["details"]["documents_added"] == [diploma["id"]]
        assert "2033-02-03" not in str(events)
        assert "2031-05-01" not in str(events)

    def test_after_the_answer_the_case_is_frozen_again(
        self, client: TestClient, rep: dict[str, str], reviewer: dict[str, str]
    ) -> None:
        case_id, info_id = asked_case(client, rep, reviewer, t11_body(), fields=("work.duties",))
        assert respond(client, rep, case_id, info_id).status_code == 200
        assert _patch(client, rep, case_id, {"work": {"duties": "Other"}}).status_code == 409
        again = respond(client, rep, case_id, info_id)
        assert again.status_code == 409
        assert [r["number"] for r in _revisions(client, rep, case_id)] == [1, 2]


class TestIdentityNeverChanges:
    """Done means: the identity of a submitted case cannot change by any route, and the letter
    certifies the identity that was submitted."""

    def test_the_attack_found_in_issue_9_fails(
        self, client: TestClient, rep: dict[str, str], reviewer: dict[str, str]
    ) -> None:
        """Rewrite the identity and drop a document while the case waits on an information
        request, answer, and have the holder issue a letter: the letter must certify the
        identity submitted, with every document submitted still there."""
        case_id, info_id = asked_case(client, rep, reviewer, t11_body(), kinds=("diploma",))
        submitted_documents = _documents(client, rep, case_id)
        rewrite = {"worker": {"family_name": "Mallory", "passport": {"number": "Z9999999"}}}
        assert _patch(client, rep, case_id, rewrite).status_code == 422
        offer = next(d for d in submitted_documents if d["kind"] == "job_offer")
        dropped = client.delete(f"/api/v1/requests/{case_id}/documents/{offer['id']}", headers=rep)
        assert dropped.status_code == 409
        assert upload(client, rep, case_id, "diploma", make_pdf(["Diploma"])).status_code == 201
        assert respond(client, rep, case_id, info_id).status_code == 200
        version = _request(client, reviewer, case_id)["version"]
        assert decide(client, reviewer, case_id, version=version).status_code == 201
        [letter] = client.get(f"/api/v1/requests/{case_id}/letters", headers=rep).json()
        assert letter["facts"]["worker_family_name"] == "Rivera"
        assert letter["facts"]["passport_number"] == "X1234567"
        kept = {d["id"] for d in _documents(client, rep, case_id)}
        assert {d["id"] for d in submitted_documents} <= kept

    def test_no_route_changes_the_identity_and_the_letter_certifies_the_submitted_one(
        self, client: TestClient, rep: dict[str, str], reviewer: dict[str, str]
    ) -> None:
        body = t11_body()
        case_id = submitted_case(client, rep, body)["id"]
        rewrite = {"worker": {"family_name": "Mallory", "date_of_birth": None}}
        assert _patch(client, rep, case_id, rewrite).status_code == 409
        assert claim(client, reviewer, case_id).status_code == 200
        assert _patch(client, rep, case_id, rewrite).status_code == 409
        assert ask(client, reviewer, case_id, fields=("worker.family_name",)).status_code == 422
        asked = ask(
            client, reviewer, case_id, kinds=("passport_bio_page",), fields=("work.duties",)
        )
        assert asked.status_code == 201
        assert _patch(client, rep, case_id, rewrite).status_code == 422
        new_passport = upload(
            client,
            rep,
            case_id,
            "passport_bio_page",
            make_jpeg(500, 300),
            filename="p.jpg",
            content_type="image/jpeg",
        )
        assert new_passport.status_code == 201
        assert respond(client, rep, case_id, asked.json()["id"]).status_code == 200
        version = _request(client, reviewer, case_id)["version"]
        assert decide(client, reviewer, case_id, version=version).status_code == 201
        assert _patch(client, rep, case_id, rewrite).status_code == 409
        for number in (1, 2):
            frozen = client.get(
                f"/api/v1/requests/{case_id}/revisions/{number}", headers=rep
            ).json()
            assert frozen["content"]["worker"] == _request(client, rep, case_id)["worker"]
        [letter] = client.get(f"/api/v1/requests/{case_id}/letters", headers=rep).json()
        assert letter["facts"]["worker_family_name"] == "Rivera"
        assert letter["facts"]["worker_date_of_birth"] == "1984-03-02"
        assert letter["facts"]["passport_number"] == "X1234567"
