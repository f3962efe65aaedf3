from fastapi.testclient import TestClient


def test_exemption_codes_filter_by_status_and_query(
    client: TestClient, rep: dict[str, str]
) -> None:
    body = client.get(
        "/api/v1/reference/exemption-codes", params={"status": "superseded"}, headers=rep
    ).json()
    assert body["version"].startswith("2026-02-11+")
    assert {c["code"] for c in body["items"]} == {"T21", "T22", "T23", "T24", "C12"}
    found = client.get(
        "/api/v1/reference/exemption-codes", params={"q": "cusma prof"}, headers=rep
    ).json()
    assert [c["code"] for c in found["items"]] == ["T36"]


def test_code_detail_has_its_checklist(client: TestClient, rep: dict[str, str]) -> None:
    body = client.get("/api/v1/reference/exemption-codes/t36", headers=rep).json()
    assert body["record"]["code"] == "T36"
    kinds = {i["kind"]: i for i in body["checklist"]}
    assert kinds["passport_bio_page"]["required"] is True
    assert kinds["job_offer"]["required"] is True
    assert client.get("/api/v1/reference/exemption-codes/ZZZ", headers=rep).status_code == 404


def test_countries_carry_visa_and_poe_status(client: TestClient, rep: dict[str, str]) -> None:
    body = client.get("/api/v1/reference/countries", headers=rep).json()
    by_code = {c["iso2"]: c for c in body["items"] if c["iso2"]}
    assert by_code["MX"]["status"] == "conditional_eta"
    assert by_code["MX"]["poe_work_permit_eligible"] is False
    assert by_code["US"]["status"] == "visa_exempt_no_eta"
    assert body["version"]


def test_reference_needs_a_token(client: TestClient) -> None:
    assert client.get("/api/v1/reference/countries").status_code == 401
