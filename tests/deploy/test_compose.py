"""The deployment files parse and say what the service needs (compose cannot run here): every
service and its health check, the one-shot migration before the instances, the instances on
PostgreSQL and the bucket, required secrets, volumes, and settings the app really has."""

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.config import Settings
from app.storage import store_for
from app.storage.s3 import S3Store

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "deploy" / "compose.yaml"
REQUIRED = ("POSTGRES_PASSWORD", "IMWU_S3_ACCESS_KEY", "IMWU_S3_SECRET_KEY", "IMWU_SECRET_KEY",
            "IMWU_PUBLIC_BASE_URL")
STANDARD = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    parsed: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return parsed


def _substituted(value: str) -> str:
    """`${NAME:?message}` and `${NAME}` replaced as compose would, with a sample secret."""
    return re.sub(r"\$\{([A-Z_]+)(:\?[^}]*)?\}", lambda m: f"sample-{m.group(1).lower()}" * 3,
                  value)


class TestCompose:
    def test_has_the_database_the_bucket_the_migration_and_the_service(
        self, compose: dict[str, Any]
    ) -> None:
        services = compose["services"]
        assert set(services) == {"postgres", "minio", "bucket", "migrate", "app"}
        for name in ("postgres", "minio", "app"):
            assert services[name]["healthcheck"]["test"], name
        for name, service in services.items():
            image = service["image"]
            assert ":" in image, f"{name}: {image} has no tag"
            assert not image.endswith(":latest"), f"{name}: {image} is not pinned"

    def test_the_service_runs_two_workers_after_a_one_shot_migration(
        self, compose: dict[str, Any]
    ) -> None:
        app, migrate = compose["services"]["app"], compose["services"]["migrate"]
        assert app["command"][:2] == ["imwu", "serve"]
        assert app["command"][app["command"].index("--workers") + 1] == "2"
        assert app["depends_on"] == {"migrate": {"condition": "service_completed_successfully"}}
        # The one-shot job creates the signing keys once (kept afterwards), then migrates.
        assert migrate["command"] == ["sh", "-c", "imwu keys init && imwu migrate"]
        assert migrate["restart"] == "no"
        assert migrate["depends_on"]["postgres"] == {"condition": "service_healthy"}
        assert migrate["depends_on"]["bucket"] == {"condition": "service_completed_successfully"}
        assert compose["services"]["bucket"]["depends_on"]["minio"] == {
            "condition": "service_healthy"
        }
        assert "readyz" in " ".join(app["healthcheck"]["test"])

    def test_instances_keep_state_in_postgresql_and_bytes_in_the_bucket(
        self, compose: dict[str, Any]
    ) -> None:
        env = compose["services"]["app"]["environment"]
        assert env == compose["services"]["migrate"]["environment"]
        assert env["IMWU_ENVIRONMENT"] == "production"
        assert env["IMWU_DATABASE_URL"].startswith("postgresql+psycopg://imwu:")
        assert env["IMWU_DATABASE_URL"].endswith("@postgres:5432/imwu")
        assert env["IMWU_STORAGE_URL"] == "s3://imwu/documents"
        assert env["IMWU_S3_ENDPOINT_URL"] == "http://minio:9000"
        assert "mc mb --ignore-existing local/imwu" in compose["services"]["bucket"]["command"][0]
        assert "mc version enable local/imwu" in compose["services"]["bucket"]["command"][0]

    def test_secrets_are_required_never_defaulted(self, compose: dict[str, Any]) -> None:
        text = COMPOSE.read_text()
        for name in REQUIRED:
            assert f"${{{name}:?" in text, name
        env = compose["services"]["app"]["environment"]
        assert env["IMWU_PUBLIC_BASE_URL"].startswith("${IMWU_PUBLIC_BASE_URL:?")
        assert env["IMWU_SECRET_KEY"].startswith("${IMWU_SECRET_KEY:?")

    def test_every_setting_is_one_the_service_reads_and_they_start_it(
        self, compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        env = compose["services"]["app"]["environment"]
        known = {f"IMWU_{name.upper()}" for name in Settings.model_fields}
        assert set(env) - STANDARD <= known
        for name in list(known):
            monkeypatch.delenv(name, raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, _substituted(str(value)))
        settings = Settings()  # production: refuses unsafe defaults and a missing base URL
        assert settings.environment == "production"
        store = store_for(settings.resolved_storage_url, settings)
        assert isinstance(store, S3Store)
        assert (store.bucket, store.prefix) == ("imwu", "documents")

    def test_volumes_are_declared_and_mounted(self, compose: dict[str, Any]) -> None:
        assert set(compose["volumes"]) == {"postgres-data", "minio-data", "imwu-data"}
        services = compose["services"]
        assert "postgres-data:/var/lib/postgresql/data" in services["postgres"]["volumes"]
        assert "minio-data:/data" in services["minio"]["volumes"]
        assert "imwu-data:/data" in services["app"]["volumes"]


class TestDockerfile:
    text = (ROOT / "Dockerfile").read_text()

    def test_the_base_image_is_pinned_to_an_exact_release(self) -> None:
        base = re.search(r"^FROM (\S+)", self.text, re.MULTILINE)
        assert base is not None
        assert re.fullmatch(r"python:3\.11\.\d+-slim-\w+(@sha256:[0-9a-f]{64})?", base.group(1))

    def test_a_non_root_user_owns_the_declared_data_volume(self) -> None:
        assert 'VOLUME ["/data"]' in self.text
        assert "chown imwu:imwu /data" in self.text
        assert self.text.index("chown imwu:imwu /data") < self.text.index('VOLUME ["/data"]')
        users = re.findall(r"^USER (\S+)", self.text, re.MULTILINE)
        assert users == ["imwu"]

    def test_the_letter_font_is_installed(self) -> None:
        assert "fonts-dejavu-core" in self.text

    def test_production_needs_the_public_base_url(self) -> None:
        assert "IMWU_ENVIRONMENT=production" in self.text
        with pytest.raises(ValueError, match="IMWU_PUBLIC_BASE_URL"):
            Settings(environment="production", secret_key="x" * 40)
