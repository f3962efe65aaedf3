import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from app.config import DEVELOPMENT_SECRET, Settings, get_settings
from app.letters.router import limiter
from app.main import create_app


class TestSettings:
    def test_the_default_secret_is_refused_in_production(self) -> None:
        with pytest.raises(ValidationError, match="IMWU_SECRET_KEY"):
            Settings(environment="production", secret_key=DEVELOPMENT_SECRET)
        with pytest.raises(ValidationError, match="32 characters"):
            Settings(environment="production", secret_key="short")
        production = Settings(
            environment="production", secret_key="x" * 40, public_base_url="https://imwu.example"
        )
        assert production.secret_key == "x" * 40

    def test_the_public_base_url_must_be_set_in_production(self) -> None:
        """Letters print and QR-code it: the development default would send officers nowhere."""
        with pytest.raises(ValidationError, match="IMWU_PUBLIC_BASE_URL"):
            Settings(environment="production", secret_key="x" * 40)

    def test_environment_variables_use_the_imwu_prefix(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("IMWU_MAX_REQUEST_BYTES", "1000")
        monkeypatch.setenv("IMWU_CORS_ORIGINS", '["https://app.example"]')
        settings = Settings()
        assert settings.max_request_bytes == 1000
        assert settings.cors_origins == ["https://app.example"]


def test_cors_answers_only_the_configured_origins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings(), "cors_origins", ["https://app.example"])
    with TestClient(create_app()) as client:
        allowed = client.options("/api/v1/me", headers={
            "Origin": "https://app.example", "Access-Control-Request-Method": "GET"})
        other = client.options("/api/v1/me", headers={
            "Origin": "https://evil.example", "Access-Control-Request-Method": "GET"})
    assert allowed.headers["access-control-allow-origin"] == "https://app.example"
    assert "access-control-allow-origin" not in other.headers


def test_letter_verification_is_rate_limited(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings(), "verify_rate_per_minute", 3)
    limiter.reset()
    try:
        statuses = [client.get("/api/v1/letters/verify/ABCD-EFGH-JKLM").status_code for _ in range(4)]
    finally:
        limiter.reset()
    assert statuses == [404, 404, 404, 429]
    assert client.get("/api/v1/letters/verify/ABCD-EFGH-JKLM").status_code == 404
