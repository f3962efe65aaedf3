"""Latency of `POST /requests/{id}/submit` (validation, then triage in the same transaction: the
rules, the job offer's text extracted at upload compared with the form, priority, due date,
stored findings and audit events) against a plain `GET /healthz` on the same server.

Each draft is complete first (the T11 scenario of the tests with every required document: a real
job offer PDF with text, a passport JPEG). One client then alternates a /healthz and a submit, so
both see the same server at the same moment.
"""

import json
import warnings
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench.harness import Http, Server, multipart, summary_ms
from tests.builders import make_jpeg, make_pdf

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # fastapi.testclient's deprecation notice, irrelevant here
    from tests.intake.scenarios import job_offer_pdf, t11_body

SUBMIT_BODY = {"declarant_name": "Pat Declarant", "declaration_accepted": True}


def _document(kind: str, body: dict[str, Any]) -> tuple[bytes, str]:
    if kind == "job_offer":
        return multipart({"kind": kind}, "offer.pdf", job_offer_pdf(body), "application/pdf")
    if kind == "passport_bio_page":
        return multipart({"kind": kind}, "passport.jpg", make_jpeg(640, 480), "image/jpeg")
    return multipart(
        {"kind": kind}, f"{kind}.pdf", make_pdf([f"{kind} document"]), "application/pdf"
    )


def _complete_draft(port: int, token: str) -> str:
    http = Http(port, token)
    body = t11_body()
    status, answer, _ = http.post_json("/api/v1/requests", body)
    if status != 201:
        raise RuntimeError(f"creating a draft answered {status}: {answer[:300]!r}")
    request_id = json.loads(answer)["id"]
    _, report, _ = http.request("POST", f"/api/v1/requests/{request_id}/validate")
    missing = [
        i["kind"] for i in json.loads(report)["checklist"] if i["required"] and not i["present"]
    ]
    for kind in missing:
        data, content_type = _document(kind, body)
        path = f"/api/v1/requests/{request_id}/documents"
        status, answer, _ = http.request("POST", path, data, {"Content-Type": content_type})
        if status != 201:
            raise RuntimeError(f"uploading {kind} answered {status}: {answer[:300]!r}")
    http.close()
    return str(request_id)


def run(server: Server, token: str, *, count: int) -> dict[str, Any]:
    with ThreadPoolExecutor(4) as pool:
        drafts = list(pool.map(lambda _: _complete_draft(server.port, token), range(count + 5)))
    http = Http(server.port, token)
    submits, healthz = [], []
    for number, request_id in enumerate(drafts):
        status, _, probe = http.get("/healthz")
        status_submit, answer, seconds = http.post_json(
            f"/api/v1/requests/{request_id}/submit", SUBMIT_BODY
        )
        if status != 200 or status_submit != 200:
            raise RuntimeError(f"submit answered {status_submit}: {answer[:500]!r}")
        if number >= 5:  # the first few warm the code paths
            submits.append(seconds)
            healthz.append(probe)
    http.close()
    results = {"submit_ms": summary_ms(submits), "healthz_ms": summary_ms(healthz)}
    results["p50_ratio"] = results["submit_ms"]["p50"] / results["healthz_ms"]["p50"]
    results["p95_ratio"] = results["submit_ms"]["p95"] / results["healthz_ms"]["p95"]
    return results


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    submit, healthz = results["submit_ms"], results["healthz_ms"]
    return [
        {
            "target": "submit with triage: p50 and p95 reported against GET /healthz",
            "measured": f"p50 {submit['p50']:.1f} ms ({results['p50_ratio']:.1f}x healthz "
            f"{healthz['p50']:.2f} ms), p95 {submit['p95']:.1f} ms "
            f"({results['p95_ratio']:.1f}x healthz {healthz['p95']:.2f} ms)",
            "met": None,
        }
    ]
