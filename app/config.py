"""The one settings object. Every setting is read from the environment with the prefix `IMWU_`."""

from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_SECRET = "development-only-secret-change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="IMWU_", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = "sqlite:///./var/imwu.sqlite3"
    storage_url: str | None = Field(
        default=None,
        description="file:///path (default ./var/documents) or s3://bucket/prefix",
    )
    storage_dir: Path | None = Field(
        default=None, description="Before IMWU_STORAGE_URL: the same as file://<dir>"
    )
    s3_endpoint_url: str | None = Field(default=None, description="MinIO, Ceph RGW, ...")
    s3_region: str | None = None
    s3_sse: str | None = Field(default=None, description="AES256 or aws:kms")
    s3_sse_kms_key_id: str | None = None
    s3_part_bytes: int = Field(
        default=8 * 1024 * 1024,
        gt=0,
        description="Multipart upload part size; S3 refuses parts under 5 MiB but the last",
    )
    max_request_bytes: int = Field(default=4 * 1024 * 1024, gt=0)
    multipart_allowance_bytes: int = Field(
        default=64 * 1024,
        description="Room above max_request_bytes for multipart framing and form fields.",
    )
    max_json_bytes: int = Field(default=256 * 1024, gt=0)
    secret_key: str = DEVELOPMENT_SECRET
    cors_origins: list[str] = Field(default_factory=list)
    inspection_memory_bytes: int = 768 * 1024 * 1024
    inspection_cpu_seconds: int = 15
    receive_timeout_seconds: float = 30.0
    service_days: int = Field(default=10, ge=1, description="Service standard in business days")
    claim_hours: float = Field(default=8, gt=0, description="How long a claim lasts")
    urgent_business_days: int = Field(default=10, ge=0)
    public_base_url: str = Field(
        default="http://127.0.0.1:8000", description="Base of the verification URL in letters"
    )
    verify_rate_per_minute: int = Field(default=60, ge=1)
    metrics_token: str | None = Field(default=None, description="Bearer token for /metrics")
    retention_days: int = Field(default=365, ge=1, description="Keep decided cases' documents")
    draft_idle_days: int = Field(default=90, ge=1)
    log_level: str = "INFO"

    @model_validator(mode="after")
    def _refuse_unsafe_defaults(self) -> "Settings":
        if self.environment == "production" and self.secret_key == DEVELOPMENT_SECRET:
            raise ValueError("IMWU_SECRET_KEY must be set outside development")
        if self.environment == "production" and len(self.secret_key) < 32:
            raise ValueError("IMWU_SECRET_KEY must be at least 32 characters in production")
        if self.environment == "production" and "public_base_url" not in self.model_fields_set:
            raise ValueError("IMWU_PUBLIC_BASE_URL must be set in production (letters print it)")
        return self

    @property
    def resolved_storage_url(self) -> str:
        """IMWU_STORAGE_URL, else IMWU_STORAGE_DIR (older deployments), else ./var/documents."""
        if self.storage_url:
            return self.storage_url
        return (self.storage_dir or Path("./var/documents")).resolve().as_uri()

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@cache
def get_settings() -> Settings:
    return Settings()
