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
    storage_dir: Path = Path("./var/documents")
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
    audit_checkpoint_seconds: float = Field(
        default=300, ge=0, description="How often `imwu serve` seals the audit chains (0: never)"
    )

    @model_validator(mode="after")
    def _refuse_unsafe_defaults(self) -> "Settings":
        if self.environment == "production" and self.secret_key == DEVELOPMENT_SECRET:
            raise ValueError("IMWU_SECRET_KEY must be set outside development")
        if self.environment == "production" and len(self.secret_key) < 32:
            raise ValueError("IMWU_SECRET_KEY must be at least 32 characters in production")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@cache
def get_settings() -> Settings:
    return Settings()
