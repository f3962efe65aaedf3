"""A client generated from the live OpenAPI description, with no hand-written HTTP, takes one case
from a draft to a verified letter over real HTTP: what an integrator would do.

The flow is one test whose steps are the methods of `Flow`, in order; a new step (a finding
resolution before the decision, say) is one more method and one more line in the test.
"""

import importlib
import io
import pkgutil
from datetime import timedelta
from types import ModuleType
from typing import Any

import httpx
import pytest
from pypdf import PdfReader

from app.common.clock import today
from tests.builders import make_jpeg, make_pdf
from tests.conftest import Accounts
from tests.contract.conformance import undeclared
from tests.contract.conftest import PACKAGE, Generated, LiveApi
from tests.intake.scenarios import job_offer_pdf, t11_body


class Api:
    """The generated operation modules by operation id: `api.create_request.sync_detailed(...)`."""

    def __init__(self, package: ModuleType) -> None:
        self.modules: dict[str, ModuleType] = {}
        api = importlib.import_module(f"{PACKAGE}.api")
        for tag in pkgutil.iter_modules(api.__path__):
            tag_package = importlib.import_module(f"{PACKAGE}.api.{tag.name}")
            for operation in pkgutil.iter_modules(tag_package.__path__):
                module = importlib.import_module(f"{PACKAGE}.api.{tag.name}.{operation.name}")
                self.modules[operation.name] = module
        del package

    def __getattr__(self, operation_id: str) -> ModuleType:
        return self.modules[operation_id]


def _token(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


class Flow:
    """One T11 case (a case triage finds nothing to review in), step by step."""

    def __init__(self, generated: Generated, live_api: LiveApi, accounts: Accounts) -> None:
        package = generated.package
        self.api = Api(package)
        self.models: Any = importlib.import_module(f"{PACKAGE}.models")
        self.types: Any = importlib.import_module(f"{PACKAGE}.types")
        client: Any = importlib.import_module(f"{PACKAGE}.client")
        url = live_api.base_url
        self.answers: list[httpx.Response] = []
        hooks = {"event_hooks": {"response": [self._record]}}
        self.rep = client.AuthenticatedClient(
            base_url=url,
            token=_token(accounts.make("representative", organization="Acme Inc")),
            httpx_args=hooks,
        )
        self.reviewer = client.AuthenticatedClient(
            base_url=url, token=_token(accounts.make("reviewer")), httpx_args=hooks
        )
        self.anyone = client.Client(base_url=url, httpx_args=hooks)
        self.body = t11_body()
        self.request_id = ""
        self.version = ""
        self.info_id = ""
        self.letter_pdf = b""

    def _record(self, answer: httpx.Response) -> None:
        answer.read()
        self.answers.append(answer)

    def close(self) -> None:
        for client in (self.rep, self.reviewer, self.anyone):
            client.get_httpx_client().close()

    def _ok(self, answer: Any, status: int) -> Any:
        assert answer.status_code == status, answer.content
        return answer.parsed

    def _upload(self, kind: str, name: str, data: bytes, media_type: str) -> None:
        document = self.models.BodyUploadDocument(
            kind=self.models.DocumentKind(kind),
            file=self.types.File(payload=io.BytesIO(data), file_name=name, mime_type=media_type),
        )
        answer = self.api.upload_document.sync_detailed(
            self.request_id, client=self.rep, body=document
        )
        uploaded = self._ok(answer, 201)
        assert (uploaded.kind.value, uploaded.size_bytes) == (kind, len(data))

    def create(self) -> None:
        content = self.models.RequestContent.from_dict(self.body)
        answer = self.api.create_request.sync_detailed(
            client=self.rep, body=content, idempotency_key="contract-flow"
        )
        created = self._ok(answer, 201)
        assert isinstance(created, self.models.RequestOut)
        assert created.status.value == "draft"
        assert created.worker.family_name == "Rivera"
        assert answer.headers["Location"] == f"/api/v1/requests/{created.id}"
        assert answer.headers["ETag"] == f'"{created.version}"'
        self.request_id, self.version = created.id, answer.headers["ETag"]

    def upload_required_documents(self) -> None:
        report = self._ok(
            self.api.validate_request.sync_detailed(self.request_id, client=self.rep), 200
        )
        missing = {item.kind for item in report.checklist if item.required and not item.present}
        assert missing == {"passport_bio_page", "cv", "job_offer", "employer_letter", "other_evidence"}
        files = {
            "passport_bio_page": ("passport.jpg", make_jpeg(640, 480), "image/jpeg"),
            "job_offer": ("offer.pdf", job_offer_pdf(self.body), "application/pdf"),
        }
        for kind in sorted(missing):
            name, data, media_type = files.get(
                kind, (f"{kind}.pdf", make_pdf([f"{kind} document"]), "application/pdf")
            )
            self._upload(kind, name, data, media_type)
        listed = self._ok(
            self.api.list_documents.sync_detailed(self.request_id, client=self.rep), 200
        )
        assert {d.kind.value for d in listed.items} == missing

    def validate(self) -> None:
        report = self._ok(
            self.api.validate_request.sync_detailed(self.request_id, client=self.rep), 200
        )
        assert report.submittable is True
        assert [f.rule for f in report.findings if f.outcome == "block"] == []

    def submit(self) -> None:
        read = self.api.read_request.sync_detailed(self.request_id, client=self.rep)
        self.version = read.headers["ETag"]
        answer = self.api.submit_request.sync_detailed(
            self.request_id,
            client=self.rep,
            body=self.models.SubmitBody(declarant_name="Robin Lee", declaration_accepted=True),
            if_match=self.version,
        )
        submitted = self._ok(answer, 200)
        assert submitted.status.value == "submitted"
        assert submitted.stream == "international_agreement"
        triage = self._ok(
            self.api.read_triage.sync_detailed(self.request_id, client=self.reviewer), 200
        )
        assert [f.rule for f in triage.findings if f.outcome == "review"] == []

    def claim(self) -> None:
        answer = self.api.claim_request.sync_detailed(self.request_id, client=self.reviewer)
        claimed = self._ok(answer, 200)
        assert claimed.status.value == "in_review"
        assert answer.headers["ETag"] == f'"{claimed.version}"'

    def ask_for_information(self) -> None:
        body = self.models.InfoRequestCreate(
            message="Please add the diploma",
            items=[self.models.InfoItem(kind=self.models.DocumentKind("diploma"))],
            due_date=today() + timedelta(days=14),
        )
        asked = self._ok(
            self.api.ask_for_information.sync_detailed(
                self.request_id, client=self.reviewer, body=body
            ),
            201,
        )
        assert asked.responded_at is None
        self.info_id = asked.id

    def answer(self) -> None:
        self._upload("diploma", "diploma.pdf", make_pdf(["Diploma of Alex Sam Rivera"]), "application/pdf")
        answered = self._ok(
            self.api.answer_info_request.sync_detailed(
                self.request_id,
                self.info_id,
                client=self.rep,
                body=self.models.InfoResponse(message="The diploma is attached"),
            ),
            200,
        )
        assert answered.response_message == "The diploma is attached"
        case = self._ok(
            self.api.read_request.sync_detailed(self.request_id, client=self.reviewer), 200
        )
        assert case.status.value == "in_review"

    def decide(self) -> None:
        version = self.api.read_request.sync_detailed(
            self.request_id, client=self.reviewer
        ).headers["ETag"]
        body = self.models.DecisionCreate(
            outcome=self.models.DecisionCreateOutcome("positive"),
            exemption_code="T11",
            letter_language=self.models.DecisionCreateLetterLanguage("en"),
        )
        decided = self._ok(
            self.api.decide_request.sync_detailed(
                self.request_id, client=self.reviewer, body=body, if_match=version
            ),
            201,
        )
        assert (decided.outcome, decided.exemption_code) == ("positive", "T11")

    def download_letter(self) -> None:
        answer = self.api.download_letter.sync_detailed(self.request_id, client=self.rep)
        letter = self._ok(answer, 200)
        self.letter_pdf = letter.payload.read()
        assert answer.headers["Content-Type"] == "application/pdf"
        assert "attachment" in answer.headers["Content-Disposition"]
        assert self.letter_pdf.startswith(b"%PDF-")
        assert len(PdfReader(io.BytesIO(self.letter_pdf)).pages) >= 1

    def verify(self) -> None:
        letters = self._ok(
            self.api.list_letters.sync_detailed(self.request_id, client=self.rep), 200
        )
        assert len(letters) == 1
        checked = self._ok(
            self.api.verify_letter.sync_detailed(letters[0].verification_code, client=self.anyone),
            200,
        )
        assert checked.status.value == "valid"
        assert checked.exemption_code == "T11"
        assert checked.worker.family_name == "Rivera"
        assert checked.pdf_sha256 == letters[0].pdf_sha256


class TestGeneratedClient:
    def test_generation_gives_no_warning(self, generated_client: Generated) -> None:
        assert "warning" not in generated_client.output.lower(), generated_client.output

    def test_a_case_goes_from_draft_to_verified_letter(
        self, generated_client: Generated, live_api: LiveApi, accounts: Accounts
    ) -> None:
        flow = Flow(generated_client, live_api, accounts)
        try:
            flow.create()
            flow.upload_required_documents()
            flow.validate()
            flow.submit()
            flow.claim()
            flow.ask_for_information()
            flow.answer()
            flow.decide()
            flow.download_letter()
            flow.verify()
        finally:
            flow.close()
        schema = live_api.schema()
        assert [p for answer in flow.answers for p in undeclared(schema, answer)] == []


@pytest.fixture(autouse=True)
def _verify_limit_is_not_shared() -> None:
    """The letters' rate limiter is per process; other tests' hits must not count here."""
    from app.letters.router import limiter

    limiter.reset()
