import threading

import pytest
from fastapi.testclient import TestClient

from tests.builders import (
    make_elf,
    make_jpeg,
    make_pdf,
    make_png,
    make_windows_exe,
    make_zip_pdf_polyglot,
    pad_pdf_to,
)
from tests.intake.scenarios import create, t11_body, upload
from tests.storage_backends import stored_keys

LIMIT = 4_194_304
pytestmark = pytest.mark.usefixtures("backend")  # every test on the file store and on S3


def _stored_files() -> list[str]:
    return stored_keys()


def _budget(client: TestClient, rep: dict[str, str], request_id: str) -> tuple[int, int]:
    body = client.get(f"/api/v1/requests/{request_id}", headers=rep).json()
    return body["documents_bytes_used"], body["documents_bytes_remaining"]


class TestUpload:
    def test_pdf_is_stored_with_its_facts(self, client: TestClient, rep: dict[str, str]) -> None:
        request_id = create(client, rep, t11_body())["id"]
        pdf = make_pdf(["Offer of employment"], pages=2)
        response = upload(client, rep, request_id, "job_offer", pdf, filename="../../offer.pdf")
        assert response.status_code == 201, response.text
        document = response.json()
        assert document["media_type"] == "application/pdf"
        assert document["pages"] == 2
        assert document["size_bytes"] == len(pdf)
        assert document["display_name"] == "offer.pdf"
        assert _budget(client, rep, request_id) == (len(pdf), LIMIT - len(pdf))
        listing = client.get(f"/api/v1/requests/{request_id}/documents", headers=rep).json()
        assert [d["id"] for d in listing["items"]] == [document["id"]]

    def test_download_returns_the_bytes_as_an_attachment(
        self, client: TestClient, rep: dict[str, str]
    ) -> None:
        request_id = create(client, rep, t11_body())["id"]
        png = make_png(32, 32)
        document = upload(
            client,
            rep,
            request_id,
            "passport_bio_page",
            png,
            filename="pässport.png",
            content_type="image/png",
        ).json()
        response = client.get(
            f"/api/v1/requests/{request_id}/documents/{document['id']}", headers=rep
        )
        assert response.status_code == 200
        assert response.content == png
        assert response.headers["content-type"] == "image/png"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["content-disposition"].startswith("attachment;")
        assert "filename*=UTF-8''p%C3%A4ssport.png" in response.headers["content-disposition"]

    def test_same_file_twice_is_a_conflict(self, client: TestClient, rep: dict[str, str]) -> None:
        request_id = create(client, rep, t11_body())["id"]
        pdf = make_pdf(["CV"])
        assert upload(client, rep, request_id, "cv", pdf).status_code == 201
        again = upload(client, rep, request_id, "other_evidence", pdf)
        assert again.status_code == 409
        assert again.json()["code"] == "duplicate_document"
        assert _budget(client, rep, request_id)[0] == len(pdf)

    def test_delete_frees_the_budget_and_the_file(
        self, client: TestClient, rep: dict[str, str]
    ) -> None:
        request_id = create(client, rep, t11_body())["id"]
        document = upload(client, rep, request_id, "cv", make_pdf(["CV"])).json()
        assert len(_stored_files()) == 1
        response = client.delete(
            f"/api/v1/requests/{request_id}/documents/{document['id']}", headers=rep
        )
        assert response.status_code == 204
        assert _budget(client, rep, request_id) == (0, LIMIT)
        assert _stored_files() == []
        gone = client.get(f"/api/v1/requests/{request_id}/documents/{document['id']}", headers=rep)
        assert gone.status_code == 404


class TestBudget:
    def test_exactly_the_limit_is_accepted(self, client: TestClient, rep: dict[str, str]) -> None:
        request_id = create(client, rep, t11_body())["id"]
        pdf = pad_pdf_to(make_pdf(["Offer"]), LIMIT)
        assert len(pdf) == LIMIT
        response = upload(client, rep, request_id, "job_offer", pdf)
        assert response.status_code == 201, response.text
        assert _budget(client, rep, request_id) == (LIMIT, 0)

    def test_one_byte_more_is_refused_with_the_numbers_and_nothing_stored(
        self, client: TestClient, rep: dict[str, str]
    ) -> None:
        request_id = create(client, rep, t11_body())["id"]
        small = make_pdf(["Letter"])
        assert upload(client, rep, request_id, "employer_letter", small).status_code == 201
        too_big = pad_pdf_to(make_pdf(["Offer"]), LIMIT - len(small) + 1)
        response = upload(client, rep, request_id, "job_offer", too_big)
        assert response.status_code == 413
        problem = response.json()
        assert problem["code"] == "document_too_large"
        assert problem["bytes_used"] == len(small)
        assert problem["bytes_remaining"] == LIMIT - len(small)
        assert problem["file_bytes"] == len(too_big)
        assert _budget(client, rep, request_id) == (len(small), LIMIT - len(small))
        assert len(_stored_files()) == 1

    def test_a_body_far_over_the_limit_is_cut_off(
        self, client: TestClient, rep: dict[str, str]
    ) -> None:
        request_id = create(client, rep, t11_body())["id"]
        response = upload(client, rep, request_id, "job_offer", b"%PDF-1.7\n" + b"0" * (3 * LIMIT))
        assert response.status_code == 413
        assert response.json()["code"] == "document_too_large"
        assert _stored_files() == []

    def test_concurrent_uploads_cannot_jointly_exceed_the_budget(
        self, client: TestClient, rep: dict[str, str]
    ) -> None:
        request_id = create(client, rep, t11_body())["id"]
        files = [pad_pdf_to(make_pdf([f"part {i}"]), 2_500_000) for i in range(2)]
        statuses: list[int] = []

        def send(data: bytes) -> None:
            statuses.append(upload(client, rep, request_id, "other_evidence", data).status_code)

        threads = [threading.Thread(target=send, args=(f,)) for f in files]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(statuses) == [201, 413]
        assert _budget(client, rep, request_id) == (2_500_000, LIMIT - 2_500_000)
        assert len(_stored_files()) == 1


class TestContentChecks:
    def test_renamed_executables_are_refused(self, client: TestClient, rep: dict[str, str]) -> None:
        request_id = create(client, rep, t11_body())["id"]
        for data in (make_elf(), make_windows_exe()):
            response = upload(client, rep, request_id, "cv", data, filename="cv.pdf")
            assert response.status_code == 415
            assert response.json()["code"] == "unsupported_media_type"
        assert _stored_files() == []

    def test_zip_pdf_polyglot_is_refused(self, client: TestClient, rep: dict[str, str]) -> None:
        request_id = create(client, rep, t11_body())["id"]
        response = upload(client, rep, request_id, "cv", make_zip_pdf_polyglot(), filename="cv.pdf")
        assert response.status_code == 415
        assert response.json()["code"] == "unsupported_media_type"
        assert _budget(client, rep, request_id) == (0, LIMIT)

    def test_a_file_claiming_another_type_is_refused(
        self, client: TestClient, rep: dict[str, str]
    ) -> None:
        request_id = create(client, rep, t11_body())["id"]
        response = upload(
            client,
            rep,
            request_id,
            "cv",
            make_jpeg(50, 50),
            filename="cv.pdf",
            content_type="application/pdf",
        )
        assert response.status_code == 415

    def test_a_truncated_pdf_is_unreadable(self, client: TestClient, rep: dict[str, str]) -> None:
        request_id = create(client, rep, t11_body())["id"]
        pdf = make_pdf(["Offer"])
        response = upload(client, rep, request_id, "job_offer", pdf[: len(pdf) // 2])
        assert response.status_code == 422
        assert response.json()["code"] == "document_unreadable"

    def test_unknown_kind_is_a_validation_error(
        self, client: TestClient, rep: dict[str, str]
    ) -> None:
        request_id = create(client, rep, t11_body())["id"]
        response = upload(client, rep, request_id, "selfie", make_pdf(["x"]))
        assert response.status_code == 422
        assert response.json()["errors"][0]["pointer"] == "/kind"
