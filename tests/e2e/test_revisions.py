"""Revisions and resolved findings in the browser, against a real `imwu serve`:

a reviewer asks for a document; the employer sees only that document kind as something to add
(no form field, no way to remove what was submitted), uploads it and answers; the reviewer sees
what changed in revision 2, finds the decision disabled with its reason (an unresolved review
finding), resolves the finding, decides; the employer downloads the letter. In English and
French. Pages are checked with axe-core; no picture is written over the committed screenshots.
"""

import io
import re
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from tests.builders import make_jpeg, make_pdf
from tests.e2e.conftest import Server
from tests.e2e.pages import check_accessibility, set_language, sign_in, upload
from tests.intake.scenarios import job_offer_pdf, t11_body


@pytest.fixture(scope="module")
def people(server: Server) -> dict[str, str]:
    return {
        "rep": server.create_account(
            "representative", "Noor Haddad", "noor@maple.example", "Maple Ltd"
        ),
        "reviewer": server.create_account("reviewer", "Alex Roy", "alex@imwu.example"),
    }


def _submitted_case(server: Server, rep: str, lang: str) -> str:
    """A T11 case whose worker declares a criminal history (a `review` finding), filed and
    submitted through the API."""
    body = t11_body()
    body["language"] = lang
    body["worker"]["charged_or_convicted"] = True
    created = server.call("POST", "requests", rep, json=body)
    assert created.status_code == 201, created.text
    case_id: str = created.json()["id"]
    files = {
        "passport_bio_page": ("passport.jpg", make_jpeg(640, 480), "image/jpeg"),
        "cv": ("cv.pdf", make_pdf([f"CV ({lang})"]), "application/pdf"),
        "job_offer": ("offer.pdf", job_offer_pdf(body), "application/pdf"),
        "employer_letter": ("letter.pdf", make_pdf([f"Letter ({lang})"]), "application/pdf"),
        "other_evidence": ("agreement.pdf", make_pdf([f"Agreement ({lang})"]), "application/pdf"),
    }
    for kind, file in files.items():
        sent = server.call(
            "POST", f"requests/{case_id}/documents", rep, data={"kind": kind}, files={"file": file}
        )
        assert sent.status_code == 201, sent.text
    submitted = server.call(
        "POST",
        f"requests/{case_id}/submit",
        rep,
        json={"declarant_name": "Noor Haddad", "declaration_accepted": True},
    )
    assert submitted.status_code == 200, submitted.text
    return case_id


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_ask_answer_see_the_change_resolve_decide_and_download(
    server: Server, people: dict[str, str], new_page: Any, tmp_path: Path, lang: str
) -> None:
    case_id = _submitted_case(server, people["rep"], lang)
    diploma = tmp_path / "diploma.pdf"
    diploma.write_bytes(make_pdf([f"Diploma ({lang})"]))

    # The reviewer claims the case and asks for the diploma.
    reviewer = new_page(lang)
    sign_in(reviewer, server.base_url, people["reviewer"], lang)
    reviewer.goto(f"{server.base_url}/#/cases/{case_id}")
    reviewer.click("#claim-case")
    reviewer.wait_for_selector("#ask-message")
    reviewer.fill("#ask-message", "Diploma, please." if lang == "en" else "Le diplôme, svp.")
    reviewer.check("#ask-kind-diploma")
    reviewer.click("#ask-submit")
    reviewer.wait_for_selector(".status-info_requested")

    # The employer may add a diploma, and nothing else: no field, no removal of what was sent.
    employer = new_page(lang)
    sign_in(employer, server.base_url, people["rep"], lang)
    employer.goto(f"{server.base_url}/#/requests/{case_id}")
    employer.wait_for_selector("#info-title")
    kinds = employer.eval_on_selector_all(
        "li.checklist-item", "items => items.map(i => i.dataset.kind)"
    )
    assert kinds == ["diploma"]
    assert employer.locator("[data-pointer]").count() == 0  # no form field to change
    assert employer.locator(".documents table button").count() == 0  # nothing to remove
    check_accessibility(employer, f"revisions-answer-{lang}")
    upload(employer, "diploma", diploma)
    employer.click("#respond")
    employer.wait_for_selector(".status-in_review")

    # The reviewer sees what changed, and why the decision is not possible yet.
    reviewer.reload()
    reviewer.wait_for_selector("#revision-changes")
    changes = reviewer.inner_text("#revision-changes")
    assert "diploma.pdf" in changes
    assert ("Diploma" if lang == "en" else "Diplôme") in changes
    assert reviewer.locator("#revision-list > li").count() == 2
    reviewer.wait_for_selector("#blocker-list li[data-code=finding_unresolved]")
    assert reviewer.is_disabled("#decide")
    check_accessibility(reviewer, f"revisions-blocked-{lang}")

    # Resolving the review finding makes the decision possible.
    finding = reviewer.locator("#triage-findings li[data-rule=criminal_history_declared]")
    finding.locator("input[value=accepted]").check()
    finding.locator("button[type=submit]").click()
    reviewer.wait_for_selector("#triage-findings .resolution")
    reviewer.wait_for_selector("#decide:not([disabled])")
    assert reviewer.locator("#decision-blockers li").count() == 0
    reviewer.click("#decide")
    reviewer.wait_for_selector(".status-decided")
    reviewer.wait_for_selector("#letter-frame")
    decision = server.call("GET", f"requests/{case_id}/decision", people["reviewer"]).json()
    assert decision["revision"] == 2
    assert [r["rule"] for r in decision["resolutions"]] == ["criminal_history_declared"]

    # The employer downloads the letter.
    employer.reload()
    set_language(employer, lang)
    employer.wait_for_selector("#download-letter")
    with employer.expect_download() as download:
        employer.click("#download-letter")
    letter = Path(download.value.path()).read_bytes()
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(letter)).pages)
    assert "Rivera" in text
    assert re.search(r"1984-03-02", text)
