import subprocess
import sys

from fastapi.testclient import TestClient
from sqlalchemy import update

from app.audit.models import AuditEvent
from app.db import get_sessionmaker
from tests.intake.scenarios import create, t11_body


def _verify() -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "audit", "verify"],
        capture_output=True,
        text=True,
        check=False,
    )


def test_editing_an_event_breaks_the_chain(client: TestClient, rep: dict[str, str]) -> None:
    for _ in range(3):
        create(client, rep, t11_body())
    intact = _verify()
    assert intact.returncode == 0, intact.stderr
    with get_sessionmaker().begin() as session:
        session.execute(
            update(AuditEvent).where(AuditEvent.seq == 2).values(action="request.withdrawn")
        )
    broken = _verify()
    assert broken.returncode == 1
    assert "event 2" in broken.stderr
