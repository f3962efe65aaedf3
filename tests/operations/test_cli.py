"""The `imwu` command as a newcomer meets it: help and defaults everywhere, a version, expected
errors in one line (naming the database) instead of a traceback, and a purge that can be tried."""

import argparse
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from app.cli import build_parser, main
from app.db import get_sessionmaker
from app.documents.models import Document
from app.intake.models import OpinionRequest
from tests.conftest import Accounts
from tests.intake.scenarios import t11_body
from tests.queue.helpers import claim, decide, submitted_case

ROOT = Path(__file__).resolve().parents[2]


def _parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    found = [parser]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                found += _parsers(child)
    return found


def _imwu(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("IMWU_")}
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        cwd=cwd,
        env={**clean, "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


class TestHelp:
    def test_every_command_and_option_is_explained(self) -> None:
        parsers = _parsers(build_parser())
        assert len(parsers) >= 11
        for parser in parsers:
            for action in parser._actions:
                if isinstance(action, argparse._SubParsersAction):
                    assert all(c.help for c in action._choices_actions), parser.prog
                else:
                    assert action.help, f"{parser.prog} {action.dest}"

    def test_help_shows_defaults(self, capsys: pytest.CaptureFixture[str]) -> None:
        with pytest.raises(SystemExit) as exited:
            main(["serve", "--help"])
        assert exited.value.code == 0
        out = capsys.readouterr().out
        assert "(default: 127.0.0.1)" in out
        assert "(default: 8000)" in out

    def test_version(self, capsys: pytest.CaptureFixture[str]) -> None:
        with pytest.raises(SystemExit) as exited:
            main(["--version"])
        assert exited.value.code == 0
        assert capsys.readouterr().out.startswith("imwu 0.")


class TestExpectedErrors:
    def test_no_database_here_is_one_line_naming_it(self, tmp_path: Path) -> None:
        done = _imwu(tmp_path, "accounts", "create", "--role", "reviewer", "--name", "Riley Park",
                     "--email", "riley@imwu.example")
        assert done.returncode == 2
        assert done.stderr == (
            f"error: no database at ./var/imwu.sqlite3 ({tmp_path}/var/imwu.sqlite3): "
            "run `imwu migrate` here or set IMWU_DATABASE_URL\n"
        )
        assert not (tmp_path / "var").exists(), "nothing is created by a failed command"

    def test_a_database_not_migrated(self, tmp_path: Path) -> None:
        (tmp_path / "old.sqlite3").touch()
        done = _imwu(tmp_path, "audit", "verify", IMWU_DATABASE_URL="sqlite:///old.sqlite3")
        assert done.returncode == 2
        assert "Traceback" not in done.stderr
        assert "is not migrated: run `imwu migrate`" in done.stderr

    def test_unsafe_production_settings(self, tmp_path: Path) -> None:
        done = _imwu(tmp_path, "migrate", IMWU_ENVIRONMENT="production",
                     IMWU_SECRET_KEY="x" * 40)
        assert done.returncode == 2
        assert done.stderr.startswith("error: IMWU_PUBLIC_BASE_URL must be the public address")
        assert "x" * 40 not in done.stderr

    def test_a_business_refusal(self, accounts: Accounts, capsys: pytest.CaptureFixture[str]) -> None:
        accounts.make("reviewer")
        code = main(["tokens", "revoke", "no-such-id"])
        assert code == 2
        assert capsys.readouterr().err == "error: No such token or account\n"


class TestPurgeDryRun:
    def test_reports_what_would_go_and_deletes_nothing(
        self, client: TestClient, accounts: Accounts, rep: dict[str, str],
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        case = submitted_case(client, rep, t11_body())
        reviewer = accounts.make("reviewer")
        version = claim(client, reviewer, case["id"]).json()["version"]
        assert decide(client, reviewer, case["id"], version=version).status_code == 201
        with get_sessionmaker().begin() as session:
            session.execute(update(OpinionRequest).where(OpinionRequest.id == case["id"])
                            .values(decided_at=datetime.now(UTC) - timedelta(days=400)))

        def documents() -> int:
            with get_sessionmaker()() as session:
                return int(session.scalar(select(func.count()).select_from(Document)) or 0)

        before = documents()
        events = len(client.get(f"/api/v1/requests/{case['id']}/events", headers=rep).json())
        assert main(["purge", "--dry-run"]) == 0
        report = json.loads(capsys.readouterr().out)
        assert report["dry_run"] is True
        assert (report["cases"], report["documents"]) == (1, before)
        assert documents() == before
        assert len(client.get(f"/api/v1/requests/{case['id']}/events", headers=rep).json()) == events
        read = client.get(f"/api/v1/requests/{case['id']}/documents/{_first_document(case['id'])}",
                          headers=rep)
        assert read.status_code == 200, "the files are still there"
        assert main(["purge"]) == 0
        assert json.loads(capsys.readouterr().out) == {**report, "dry_run": False}
        assert documents() == 0


def _first_document(request_id: str) -> str:
    with get_sessionmaker()() as session:
        return str(session.scalar(select(Document.id).where(Document.request_id == request_id)))
