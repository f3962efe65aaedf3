"""`IMWU_S3_SSE`: every object the service writes asks S3 for server-side encryption (issue 14),
checked on moto's HTTP server through the same client code as production."""

import uuid

from fastapi.testclient import TestClient

from app.storage import get_store
from app.storage.s3 import S3Store
from tests.builders import make_pdf
from tests.intake.scenarios import create, t11_body, upload
from tests.storage_backends import BUCKET, MotoServer, use_storage


def test_uploaded_documents_are_stored_with_the_configured_encryption(
    client: TestClient, rep: dict[str, str], moto_server: MotoServer
) -> None:
    prefix = f"sse-{uuid.uuid4().hex[:12]}"
    with use_storage({**moto_server.env(prefix), "IMWU_S3_SSE": "AES256"}):
        request_id = create(client, rep, t11_body())["id"]
        document = upload(client, rep, request_id, "job_offer", make_pdf(["Offer"])).json()
        store = get_store()
        assert isinstance(store, S3Store)
        head = store.client.head_object(Bucket=BUCKET, Key=f"{prefix}/{document['id']}")
        store.wipe()
    assert head["ServerSideEncryption"] == "AES256"
