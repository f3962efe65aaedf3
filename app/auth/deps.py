"""Who is calling: the bearer token's account, and role guards as `Annotated` aliases."""

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.auth.models import Account, Role
from app.auth.service import authenticate
from app.db import SessionDep
from app.problems import Forbidden, Unauthorized

bearer = HTTPBearer(auto_error=False, description="API token from `imwu accounts create`")


def current_account(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Account:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("A bearer token is required")
    account = authenticate(session, token=credentials.credentials)
    if account is None:
        raise Unauthorized("The token is unknown or revoked")
    return account


CurrentAccount = Annotated[Account, Depends(current_account)]


def require(*roles: Role) -> Callable[[Account], Account]:
    def guard(account: CurrentAccount) -> Account:
        if account.role not in roles:
            raise Forbidden("Your role may not do this")
        return account

    return guard


Representative = Annotated[Account, Depends(require(Role.REPRESENTATIVE))]
Staff = Annotated[Account, Depends(require(Role.REVIEWER, Role.SUPERVISOR))]
Supervisor = Annotated[Account, Depends(require(Role.SUPERVISOR))]
Admin = Annotated[Account, Depends(require(Role.ADMIN))]
AnyRole = CurrentAccount
