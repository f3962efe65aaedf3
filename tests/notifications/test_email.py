"""Email to the people filing, through a real SMTP server (aiosmtpd) in the test process."""

import ssl
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.common.clock import today
from app.config import Settings
from app.db import get_sessionmaker
from app.notifications.email import parse_smtp_url, render
from app.notifications.models import NotificationDelivery
from tests.conftest import Accounts
from tests.intake.scenarios import t11_body
from tests.notifications.conftest import Mailbox, Smtp, drain, free_port
from tests.queue.helpers import submitted_case


def ask_for_information(
    client: TestClient, accounts: Accounts, rep: dict[str, str], body: dict[str, Any]
) -> dict[str, Any]:
    reviewer = accounts.make("reviewer")
    case = submitted_case(client, rep, body)
    assert client.post("/api/v1/queue/claim", json={}, headers=reviewer).status_code == 200
    asked = client.post(
        f"/api/v1/requests/{case['id']}/info-requests",
        json={
            "message": "Send the diploma",
            "items": [{"kind": "diploma"}],
            "due_date": (today() + timedelta(days=30)).isoformat(),
        },
        headers=reviewer,
    )
    assert asked.status_code == 201, asked.text
    return case


def parts(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None
    assert html is not None
    return text.get_content(), html.get_content()


class TestInformationRequestEmail:
    def test_english_request_mails_the_filer_in_english_with_text_and_html(
        self,
        client: TestClient,
        accounts: Accounts,
        rep: dict[str, str],
        smtp: Smtp,
        notify: Settings,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        monkeypatch.setattr(notify, "smtp_url", smtp.url)
        case = ask_for_information(client, accounts, rep, t11_body())
        drain(notify)
        assert len(smtp.mailbox.messages) == 1
        message = smtp.mailbox.messages[0]
        filer = client.get("/api/v1/me", headers=rep).json()["email"]
        assert message["To"] == filer
        assert message["From"] == "imwu-intake@notify.example"
        assert message["Subject"] == f"Information requested for {case['reference']}"
        assert message["Content-Language"] == "en"
        assert message["Auto-Submitted"] == "auto-generated"
        assert message["Message-ID"].endswith("@notify.example>")
        assert message.get_content_type() == "multipart/alternative"
        text, html = parts(message)
        link = f"/#/requests/{case['id']}"
        assert case["reference"] in text
        assert link in text
        assert "Please answer by" in text
        assert '<html lang="en">' in html
        assert f'href="http://127.0.0.1:8000{link}"' in html
        for personal in ("Rivera", "Alex", "X1234567", "1984-03-02", "Customs"):
            assert personal not in message.as_string()

    def test_french_request_with_copies_mails_the_representative_and_the_employer_in_french(
        self,
        client: TestClient,
        accounts: Accounts,
        rep: dict[str, str],
        smtp: Smtp,
        notify: Settings,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        monkeypatch.setattr(notify, "smtp_url", smtp.url)
        body = t11_body()
        body["language"] = "fr"
        body["employer"]["copy_notifications"] = True
        body["representative"] = {
            "name": "Robin Lee",
            "type": "lawyer",
            "email": "robin@law.example",
        }
        case = ask_for_information(client, accounts, rep, body)
        drain(notify)
        assert sorted(m["To"] for m in smtp.mailbox.messages) == [
            "hr@cbp.example",
            "robin@law.example",
        ]
        for message in smtp.mailbox.messages:
            assert message["Subject"] == f"Renseignements demandés pour {case['reference']}"
            assert message["Content-Language"] == "fr"
            text, html = parts(message)
            assert "Veuillez répondre d'ici le" in text
            assert '<html lang="fr">' in html
            assert "Ouvrir la demande" in html
            assert "Robin" not in message.as_string()

    def test_a_refused_connection_is_retried_later_and_then_delivered(
        self,
        client: TestClient,
        accounts: Accounts,
        rep: dict[str, str],
        smtp: Smtp,
        notify: Settings,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        monkeypatch.setattr(notify, "smtp_url", smtp.url)
        smtp.stop()
        ask_for_information(client, accounts, rep, t11_body())
        monkeypatch.setattr(notify, "notify_backoff_base_seconds", 3600.0)
        assert drain(notify) == 1
        with get_sessionmaker()() as session:
            delivery = session.scalars(select(NotificationDelivery)).one()
        assert delivery.status == "pending"
        assert delivery.attempts == 1
        assert "ConnectionRefusedError" in (delivery.last_error or "")
        assert delivery.next_attempt_at > datetime.now(UTC) + timedelta(seconds=60)
        assert drain(notify) == 0  # not before its time
        monkeypatch.setattr(notify, "notify_backoff_base_seconds", 0.0)
        with get_sessionmaker().begin() as session:
            session.get_one(NotificationDelivery, delivery.id).next_attempt_at = datetime.now(UTC)
        smtp.start()
        assert drain(notify) == 1
        assert len(smtp.mailbox.messages) == 1
        with get_sessionmaker()() as session:
            done = session.get_one(NotificationDelivery, delivery.id)
        assert (done.status, done.attempts) == ("delivered", 2)

    @pytest.mark.usefixtures("notify")
    def test_without_smtp_no_email_is_queued(
        self, client: TestClient, accounts: Accounts, rep: dict[str, str]
    ) -> None:
        ask_for_information(client, accounts, rep, t11_body())
        with get_sessionmaker()() as session:
            assert session.scalars(select(NotificationDelivery)).all() == []


def _self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def test_starttls_with_login_delivers_over_an_encrypted_session(
    client: TestClient,
    accounts: Accounts,
    rep: dict[str, str],
    notify: Settings,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    cert, key = _self_signed(tmp_path)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    logins: list[str] = []

    def authenticate(_server: Any, _session: Any, _envelope: Any, mechanism: str, auth: Any) -> Any:
        from aiosmtpd.smtp import AuthResult

        logins.append(f"{mechanism}:{auth.login.decode()}")
        return AuthResult(success=auth.password == b"s3cret")

    server = Smtp(port=free_port(), mailbox=Mailbox())
    server.start(
        hostname="localhost",
        tls_context=server_tls,
        require_starttls=True,
        authenticator=authenticate,
        auth_require_tls=True,
    )
    try:
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # trust the test server's certificate
        monkeypatch.setattr(
            notify, "smtp_url", f"smtp://mailer:s3cret@localhost:{server.port}?starttls=true"
        )
        ask_for_information(client, accounts, rep, t11_body())
        drain(notify)
    finally:
        server.stop()
    assert [entry.partition(":")[2] for entry in logins] == ["mailer"]
    assert len(server.mailbox.messages) == 1


class TestTemplates:
    @pytest.mark.parametrize(
        "event",
        [
            "info_request.opened",
            "info_request.due_soon",
            "info_request.overdue",
            "request.decided",
            "letter.revoked",
        ],
    )
    @pytest.mark.parametrize("language", ["en", "fr"])
    def test_every_template_renders_and_escapes_html(self, event: str, language: str) -> None:
        subject, text, html = render(
            event,
            language,
            {
                "reference": "IMWU-2026-<b>1",
                "link": "https://x.example/?a=1&b=2",
                "due_date": "2027-01-15",
            },
        )
        assert "IMWU-2026-<b>1" in subject
        assert "IMWU-2026-<b>1" in text
        assert "IMWU-2026-&lt;b&gt;1" in html
        assert "<b>1" not in html
        assert 'href="https://x.example/?a=1&amp;b=2"' in html
        assert "https://x.example/?a=1&b=2" in text


class TestSmtpUrl:
    def test_forms(self) -> None:
        plain = parse_smtp_url("smtp://relay.example:2525")
        assert (plain.host, plain.port, plain.implicit_tls, plain.starttls) == (
            "relay.example",
            2525,
            False,
            False,
        )
        implicit = parse_smtp_url("smtps://user%40x:p%3Ass@mail.example:465")
        assert (implicit.implicit_tls, implicit.username, implicit.password) == (
            True,
            "user@x",
            "p:ss",
        )
        assert parse_smtp_url("smtp://u:p@mail.example:587?starttls=true").starttls is True

    def test_other_schemes_are_refused(self) -> None:
        with pytest.raises(ValueError, match="IMWU_SMTP_URL"):
            parse_smtp_url("http://mail.example")
