"""The one settings object. Every setting is read from the environment with the prefix `IMWU_`."""

import ipaddress
from functools import cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, PrivateAttr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_SECRET = "development-only-secret-change-me"
SQLITE_PREFIX = "sqlite:///"


def _is_loopback(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="IMWU_", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = "sqlite:///./var/imwu.sqlite3"
    data_dir: Path = Field(
        default=Path("./var"),
        description="Where the service keeps its own files (the first admin's token file).",
    )
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
    forwarded_allow_ips: str = Field(
        default="127.0.0.1",
        description="Comma-separated addresses or networks of the reverse proxies whose "
        "X-Forwarded-For names the client ('*' trusts any); others' is ignored.",
    )
    metrics_token: str | None = Field(default=None, description="Bearer token for /metrics")
    retention_days: int = Field(default=365, ge=1, description="Keep decided cases' documents")
    draft_idle_days: int = Field(default=90, ge=1)
    log_level: str = "INFO"
    signing_keys_dir: Path = Field(
        default=Path("./var/keys"),
        description="The service CA and the signing keys and certificates, current and retired",
    )
    signing_key_file: Path | None = Field(default=None, description="Operator's PEM private key")
    signing_cert_file: Path | None = Field(default=None, description="Its PEM certificate")
    signing_ca_file: Path | None = Field(default=None, description="The CA that issued it (PEM)")

    # Notifications (issue 13): email, webhooks and the delivery worker.
    smtp_url: str | None = Field(default=None, description="smtp://, smtps://; unset: no email")
    mail_from: str | None = Field(default=None, description="From address of notification email")
    webhook_allow_private: bool = False
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, description="Per delivery, in all")
    notify_worker_in_serve: bool = Field(default=True, description="Deliver from `imwu serve` too")
    notify_poll_seconds: float = Field(default=2.0, gt=0)
    notify_scan_seconds: float = Field(default=300.0, gt=0, description="due-soon/overdue scan")
    notify_lease_seconds: float = Field(default=120.0, gt=0, description="In-flight delivery lease")
    notify_max_attempts: int = Field(default=12, ge=1)
    notify_backoff_base_seconds: float = Field(default=30.0, ge=0)
    notify_backoff_max_seconds: float = Field(default=86400.0, ge=0)
    audit_checkpoint_seconds: float = Field(
        default=300, ge=0, description="How often `imwu serve` seals the audit chains (0: never)"
    )

    @model_validator(mode="after")
    def _refuse_unsafe_defaults(self) -> "Settings":
        if self.environment == "production" and self.secret_key == DEVELOPMENT_SECRET:
            raise ValueError("IMWU_SECRET_KEY must be set outside development")
        if self.environment == "production" and len(self.secret_key) < 32:
            raise ValueError("IMWU_SECRET_KEY must be at least 32 characters in production")
        supplied = (self.signing_key_file, self.signing_cert_file, self.signing_ca_file)
        if any(supplied) and not all(supplied):
            raise ValueError(
                "IMWU_SIGNING_KEY_FILE, IMWU_SIGNING_CERT_FILE and IMWU_SIGNING_CA_FILE go together"
            )
        if self.environment == "production" and _is_loopback(self.public_base_url):
            raise ValueError(
                "IMWU_PUBLIC_BASE_URL must be the public address in production: letters would "
                f"send officers to {self.public_base_url}"
            )
        return self

    @model_validator(mode="after")
    def _resolve_paths(self) -> "Settings":
        """Relative paths are resolved once, against the directory the process started in, so
        every part of the service (and every error message) names the same files."""
        if self.database_url.startswith(SQLITE_PREFIX):
            given, _, query = self.database_url.removeprefix(SQLITE_PREFIX).partition("?")
            if given and given != ":memory:" and not given.startswith("/"):
                self._database_path_given = given
                resolved = SQLITE_PREFIX + str(Path(given).resolve())
                self.database_url = resolved + (f"?{query}" if query else "")
        if self.storage_dir is not None:
            self.storage_dir = self.storage_dir.resolve()
        self.data_dir = self.data_dir.resolve()
        self.signing_keys_dir = self.signing_keys_dir.resolve()
        return self

    _database_path_given: str | None = PrivateAttr(default=None)

    @property
    def database_label(self) -> str:
        """The database as the operator configured it, for messages: the SQLite path as given
        (`./var/imwu.sqlite3`) with its absolute form, or the URL without its password."""
        path = self.sqlite_path
        if path is not None:
            given = self._database_path_given
            return f"{given} ({path})" if given else str(path)
        parts = urlsplit(self.database_url)
        if parts.password:
            netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
            return parts._replace(netloc=netloc).geturl()
        return self.database_url

    @property
    def sqlite_path(self) -> Path | None:
        """The SQLite database file, or None for another database."""
        if not self.database_url.startswith(SQLITE_PREFIX):
            return None
        path = self.database_url.removeprefix(SQLITE_PREFIX).partition("?")[0]
        return Path(path) if path and path != ":memory:" else None

    @property
    def signing_files(self) -> tuple[Path, Path, Path] | None:
        """The operator's (key, certificate, CA) PEM files, when supplied."""
        if self.signing_key_file and self.signing_cert_file and self.signing_ca_file:
            return self.signing_key_file, self.signing_cert_file, self.signing_ca_file
        return None

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
