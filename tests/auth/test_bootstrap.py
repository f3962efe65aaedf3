"""The first admin's token goes to a 0600 file under the data directory, never to the output."""

import stat
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.auth.bootstrap import TOKEN_FILE_NAME, write_secret
from app.cli import _bootstrap_admin


class TestFirstStart:
    def test_the_token_is_in_a_private_file_and_never_printed(
        self, client: TestClient, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        _bootstrap_admin(tmp_path / "data")
        out = capsys.readouterr()
        token_file = tmp_path / "data" / TOKEN_FILE_NAME
        token = token_file.read_text().strip()
        assert token.startswith("imwu_")
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
        assert str(token_file) in out.out
        assert token not in out.out + out.err
        assert token.split("_", 2)[2] not in out.out + out.err
        me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert (me.status_code, me.json()["role"]) == (200, "admin")

    def test_nothing_is_written_once_an_account_exists(
        self, tmp_path: Path, admin: dict[str, str], capsys: pytest.CaptureFixture[str]
    ) -> None:
        del admin
        _bootstrap_admin(tmp_path)
        assert not (tmp_path / TOKEN_FILE_NAME).exists()
        assert capsys.readouterr().out == ""


class TestWriteSecret:
    def test_replaces_an_older_file_and_tightens_nothing_else(self, tmp_path: Path) -> None:
        target = tmp_path / "secret"
        target.write_text("old")
        target.chmod(0o644)
        assert write_secret(target, "new") == target.resolve()
        assert target.read_text() == "new\n"
        assert stat.S_IMODE(target.stat().st_mode) == 0o600
        assert [p.name for p in tmp_path.iterdir()] == ["secret"]
