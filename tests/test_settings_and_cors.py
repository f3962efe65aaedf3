from pathlib import Path

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
        public = "https://imwu.example.gc.ca"
        production = Settings(environment="production", secret_key="x" * 40, public_base_url=public)
        assert production.secret_key == "x" * 40

    @pytest.mark.parametrize(
        "url",
        ["http://127.0.0.1:8000", "http://localhost:8000", "https://[::1]", "http://127.9.9.9"],
    )
    def test_production_refuses_a_loopback_public_url(self, url: str) -> None:
        """Letters would point officers to the machine they stand at."""
        with pytest.raises(ValidationError, match="IMWU_PUBLIC_BASE_URL"):
            Settings(environment="production", secret_key="x" * 40, public_base_url=url)
        assert Settings(environment="development", public_base_url=url).public_base_url == url

    def test_relative_paths_are_resolved_once(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        monkeypatch.chdir(tmp_path)
        settings = Settings(database_url="sqlite:///./var/imwu.sqlite3", storage_dir=Path("docs"))
        assert settings.database_url == f"sqlite:///{tmp_path}/var/imwu.sqlite3"
        assert settings.sqlite_path == tmp_path / "var" / "imwu.sqlite3"
        assert settings.database_label == f"./var/imwu.sqlite3 ({tmp_path}/var/imwu.sqlite3)"
        assert settings.storage_dir == tmp_path / "docs"

    def test_a_database_password_never_shows_in_messages(self) -> None:
        settings = Settings(database_url="postgresql+psycopg://imwu:s3cret@db.internal/imwu")
        assert settings.database_label == "postgresql+psycopg://imwu:***@db.internal/imwu"

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


class TestVerifyRateLimitBehindAProxy:
    """The client address is X-Forwarded-For's only when the peer is a trusted proxy."""

    @staticmethod
    def _statuses(client: TestClient, forwarded_for: str, count: int) -> list[int]:
        return [
            client.get(
                "/api/v1/letters/verify/ABCD-EFGH-JKLM",
                headers={"X-Forwarded-For": forwarded_for},
            ).status_code
            for _ in range(count)
        ]

    def test_each_client_behind_a_trusted_proxy_has_its_own_limit(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(get_settings(), "verify_rate_per_minute", 2)
        monkeypatch.setattr(get_settings(), "forwarded_allow_ips", "testclient")
        limiter.reset()
        try:
            with TestClient(create_app()) as client:
                first = self._statuses(client, "203.0.113.7", 3)
                second = self._statuses(client, "203.0.113.8", 2)
        finally:
            limiter.reset()
        assert first == [404, 404, 429]
        assert second == [404, 404]

    def test_an_untrusted_peer_cannot_pick_its_address(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(get_settings(), "verify_rate_per_minute", 2)
        monkeypatch.setattr(get_settings(), "forwarded_allow_ips", "127.0.0.1")
        limiter.reset()
        try:
            with TestClient(create_app()) as client:
                statuses = [
                    self._statuses(client, f"203.0.113.{n}", 1)[0] for n in range(1, 4)
                ]
        finally:
            limiter.reset()
        assert statuses == [404, 404, 429]


class TestRateLimiterMemory:
    def test_a_flood_of_new_clients_forgets_one_at_a_time(self) -> None:
        """Bounded memory without lifting everyone's limit: the least recently seen goes."""
        from app.common.rate_limit import RateLimiter
        from app.problems import RateLimited

        small = RateLimiter(per_minute=lambda: 1, max_clients=2)
        small.hit("a")
        small.hit("b")
        small.hit("c")  # "a" is forgotten; "b" is still counted
        assert list(small.hits) == ["b", "c"]
        with pytest.raises(RateLimited):
            small.hit("b")
        with pytest.raises(RateLimited):
            small.hit("c")
