import subprocess
import sys

from fastapi.testclient import TestClient

from tests.intake.scenarios import create, t11_body


def imwu(*args: str) -> subprocess.CompletedProcess[str]:
    """The `imwu` command as an operator runs it (same database through the environment)."""
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args], capture_output=True, text=True, check=False
    )


def edited_cases(client: TestClient, rep: dict[str, str], count: int) -> list[str]:
    """Cases with three events each (created, edited twice)."""
    ids = []
    for _ in range(count):
        case = create(client, rep, t11_body())
        for job_title in ("Officer", "Senior officer"):
            edited = client.patch(
                f"/api/v1/requests/{case['id']}",
                json={"work": {"job_title": job_title}},
                headers=rep,
            )
            assert edited.status_code == 200, edited.text
        ids.append(case["id"])
    return ids
