"""The service CA and signing keys on disk, `imwu keys init|rotate`, operator PEM files, the
start-up rules (created in development, refused in production) and detached signatures."""

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from app.cli import main as cli
from app.config import Settings, get_settings
from app.signing import service
from app.signing.keys import CA_CERT, CA_KEY, KeyDirectory, KeysMissing, KeysSupplied

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def keys_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A keys directory of its own for this test (the session's keys stay untouched)."""
    directory = tmp_path / "keys"
    monkeypatch.setattr(get_settings(), "signing_keys_dir", directory)
    return directory


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, object]]:
    code = cli(list(args))
    out = capsys.readouterr().out.strip()
    return code, json.loads(out) if out else {}


class TestInit:
    def test_creates_the_ca_and_a_first_key_with_private_files_0600(
        self, keys_dir: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        code, out = _run_cli(capsys, "keys", "init")
        assert code == 0
        assert out["created"] is True
        key_id = str(out["key_id"])
        assert (keys_dir / "current").read_text().strip() == key_id
        assert _mode(keys_dir) == 0o700
        assert _mode(keys_dir / CA_KEY) == 0o600
        assert _mode(keys_dir / f"{key_id}.key.pem") == 0o600
        assert (keys_dir / CA_CERT).is_file()
        assert (keys_dir / f"{key_id}.cert.pem").is_file()

    def test_a_second_init_keeps_the_keys(
        self, keys_dir: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        _, first = _run_cli(capsys, "keys", "init")
        ca = (keys_dir / CA_CERT).read_bytes()
        code, second = _run_cli(capsys, "keys", "init")
        assert code == 0
        assert second == {"created": False, "key_id": first["key_id"]}
        assert (keys_dir / CA_CERT).read_bytes() == ca

    def test_private_keys_are_0600_even_under_a_permissive_umask(self, keys_dir: Path) -> None:
        old = os.umask(0)
        try:
            _, key_id = service.init_keys()
        finally:
            os.umask(old)
        assert _mode(keys_dir / CA_KEY) == 0o600
        assert _mode(keys_dir / f"{key_id}.key.pem") == 0o600

    def test_keys_are_random_not_derived_from_the_secret(self, tmp_path: Path) -> None:
        one, two = KeyDirectory(tmp_path / "a"), KeyDirectory(tmp_path / "b")
        one.init()
        two.init()
        assert one.current_key_id() != two.current_key_id()
        assert (tmp_path / "a" / CA_KEY).read_bytes() != (tmp_path / "b" / CA_KEY).read_bytes()


class TestCertificates:
    @pytest.mark.usefixtures("keys_dir")
    def test_the_ca_and_the_signing_certificate_carry_what_pdf_validators_need(self) -> None:
        service.init_keys()
        signer = service.current_signer()
        ca, leaf = signer.ca, signer.certificate
        constraints = ca.extensions.get_extension_for_class(x509.BasicConstraints)
        assert constraints.critical
        assert constraints.value.ca is True
        assert ca.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign
        usage = leaf.extensions.get_extension_for_class(x509.KeyUsage).value
        assert usage.digital_signature
        assert usage.content_commitment  # nonRepudiation
        assert not usage.key_cert_sign
        assert leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
        aki = leaf.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
        ski = ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        assert aki.key_identifier == ski.digest
        assert leaf.issuer == ca.subject
        leaf.verify_directly_issued_by(ca)
        assert leaf.public_key().curve.name == "secp256r1"  # type: ignore[union-attr]

    def test_rotate_retires_the_old_certificate_and_keeps_publishing_it(
        self, keys_dir: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        _, first = _run_cli(capsys, "keys", "init")
        code, rotated = _run_cli(capsys, "keys", "rotate")
        assert code == 0
        assert rotated["retired"] == first["key_id"]
        assert rotated["key_id"] != first["key_id"]
        assert service.current_signer().key_id == rotated["key_id"]
        published = service.certificates()
        assert [(c.key_id, c.current) for c in published.certificates] == [
            (rotated["key_id"], True),
            (first["key_id"], False),
        ]
        assert _mode(keys_dir / f"{first['key_id']}.key.pem") == 0o600
        assert _mode(keys_dir / f"{rotated['key_id']}.key.pem") == 0o600

    def test_rotate_without_keys_says_to_init(
        self, keys_dir: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        assert cli(["keys", "rotate"]) == 2
        assert "imwu keys init" in capsys.readouterr().err
        assert not (keys_dir / "current").exists()

    def test_the_cli_documents_both_commands(self) -> None:
        done = subprocess.run(
            [sys.executable, "-m", "app.cli", "keys", "--help"],
            cwd=ROOT, capture_output=True, text=True, check=True, timeout=60,
        )
        assert "init" in done.stdout
        assert "rotate" in done.stdout
        assert "retired but kept and still published" in " ".join(done.stdout.split())


@pytest.mark.usefixtures("keys_dir")
class TestDetachedSignatures:
    def test_round_trip_and_what_breaks_it(self) -> None:
        service.init_keys()
        key_id, signature = service.sign_detached(b"audit checkpoint 42")
        assert key_id == service.current_signer().key_id
        assert service.verify_detached(key_id, b"audit checkpoint 42", signature)
        assert not service.verify_detached(key_id, b"audit checkpoint 43", signature)
        assert not service.verify_detached("0" * 16, b"audit checkpoint 42", signature)
        for garbage in ("", "not base64!", "AAAA", "é" * 10, signature[:-4] + "AAAA"):
            assert not service.verify_detached(key_id, b"audit checkpoint 42", garbage)

    def test_a_signature_by_a_retired_key_still_verifies(self) -> None:
        service.init_keys()
        old_id, old_signature = service.sign_detached(b"before rotation")
        service.rotate_keys()
        new_id, new_signature = service.sign_detached(b"after rotation")
        assert new_id != old_id
        assert service.verify_detached(old_id, b"before rotation", old_signature)
        assert service.verify_detached(new_id, b"after rotation", new_signature)
        assert not service.verify_detached(new_id, b"before rotation", old_signature)


class TestStartUp:
    def test_development_creates_the_keys_on_first_start(
        self, keys_dir: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(get_settings(), "environment", "development")
        signer = service.ensure_keys()
        assert (keys_dir / "current").read_text().strip() == signer.key_id

    def test_production_refuses_to_start_without_keys(
        self, keys_dir: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(get_settings(), "environment", "production")
        with pytest.raises(KeysMissing, match="imwu keys init"):
            service.ensure_keys()
        assert not keys_dir.exists()

    def test_imwu_serve_in_production_without_keys_exits_with_the_reason(
        self, tmp_path: Path
    ) -> None:
        env = {
            **os.environ,
            "IMWU_ENVIRONMENT": "production",
            "IMWU_SECRET_KEY": "s" * 40,
            "IMWU_PUBLIC_BASE_URL": "https://imwu.example",
            "IMWU_DATABASE_URL": f"sqlite:///{tmp_path}/prod.sqlite3",
            "IMWU_STORAGE_URL": (tmp_path / "storage").as_uri(),
            "IMWU_SIGNING_KEYS_DIR": str(tmp_path / "keys"),
        }
        done = subprocess.run(
            [sys.executable, "-m", "app.cli", "serve", "--port", "1"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
        )
        assert done.returncode == 2
        assert "no signing key" in done.stderr
        assert "imwu keys init" in done.stderr
        assert not (tmp_path / "keys").exists()

    @pytest.mark.usefixtures("keys_dir")
    def test_production_starts_once_keys_are_initialised(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        service.init_keys()
        monkeypatch.setattr(get_settings(), "environment", "production")
        assert service.ensure_keys().key_id == service.current_signer().key_id


class TestOperatorFiles:
    @pytest.fixture
    def supplied(
        self, tmp_path: Path, keys_dir: Path, monkeypatch: pytest.MonkeyPatch
    ) -> dict[str, Path]:
        """PEM files made by an operator's own CA (here: another keys directory)."""
        del keys_dir  # the service's own directory, still isolated for this test
        own = KeyDirectory(tmp_path / "operator")
        own.init()
        key_id = own.current_key_id()
        files = {
            "key": own.root / f"{key_id}.key.pem",
            "cert": own.root / f"{key_id}.cert.pem",
            "ca": own.root / CA_CERT,
        }
        settings = get_settings()
        monkeypatch.setattr(settings, "signing_key_file", files["key"])
        monkeypatch.setattr(settings, "signing_cert_file", files["cert"])
        monkeypatch.setattr(settings, "signing_ca_file", files["ca"])
        return files

    def test_the_operators_key_signs_and_its_certificate_is_published_and_kept(
        self, supplied: dict[str, Path], keys_dir: Path
    ) -> None:
        signer = service.ensure_keys()
        certificate = x509.load_pem_x509_certificate(supplied["cert"].read_bytes())
        assert signer.certificate == certificate
        assert (keys_dir / f"{signer.key_id}.cert.pem").read_bytes() == certificate.public_bytes(
            serialization.Encoding.PEM
        )
        assert not list(keys_dir.glob("*.key.pem"))  # only the certificate is copied
        published = service.certificates()
        assert published.ca.certificate == x509.load_pem_x509_certificate(
            supplied["ca"].read_bytes()
        )
        assert [c.key_id for c in published.certificates] == [signer.key_id]
        key_id, signature = service.sign_detached(b"data")
        assert key_id == signer.key_id
        assert service.verify_detached(key_id, b"data", signature)

    def test_init_and_rotate_refuse_operator_keys(
        self, supplied: dict[str, Path], capsys: pytest.CaptureFixture[str]
    ) -> None:
        del supplied
        for action in ("init", "rotate"):
            assert cli(["keys", action]) == 2
            assert "IMWU_SIGNING_KEY_FILE" in capsys.readouterr().err
        with pytest.raises(KeysSupplied):
            service.rotate_keys()

    def test_a_key_that_does_not_match_its_certificate_is_refused(
        self, supplied: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        other = KeyDirectory(tmp_path / "other")
        other.init()
        monkeypatch.setattr(
            get_settings(), "signing_key_file", other.root / f"{other.current_key_id()}.key.pem"
        )
        del supplied
        with pytest.raises(ValueError, match="does not match"):
            service.current_signer()

    def test_the_three_files_go_together(self) -> None:
        with pytest.raises(ValueError, match="go together"):
            Settings(signing_key_file=Path("key.pem"))
