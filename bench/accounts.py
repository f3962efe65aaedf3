"""`python -m bench.accounts ROLE COUNT [ORGANIZATION]`: accounts with tokens, in one process.

Runs in the app's environment (IMWU_DATABASE_URL) through the service's own `create_account`,
so the tokens authenticate exactly as real ones; prints `[{"id": ..., "token": ...}, ...]`.
"""

import json
import os
import sys

from app.auth.models import Role
from app.auth.schemas import AccountCreate
from app.auth.service import create_account
from app.db import get_sessionmaker


def main() -> None:
    role, count = Role(sys.argv[1]), int(sys.argv[2])
    organization = sys.argv[3] if len(sys.argv) > 3 else None
    made = []
    with get_sessionmaker().begin() as session:
        for number in range(count):
            email = f"{role.value}-{number}-{os.urandom(4).hex()}@bench.example.com"
            data = AccountCreate(
                role=role,
                name=f"Bench {role.value} {number}",
                email=email,
                organization=organization,
            )
            account, token = create_account(session, data=data)
            made.append({"id": account.id, "token": token})
    print(json.dumps(made))


if __name__ == "__main__":
    main()
