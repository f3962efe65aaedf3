from fastapi import APIRouter, status

from app.auth import service
from app.auth.deps import Admin, CurrentAccount
from app.auth.models import Account
from app.auth.schemas import AccountCreate, AccountCreated, AccountOut
from app.db import SessionDep
from app.problems import problem_responses

router = APIRouter(prefix="/api/v1", tags=["accounts"], responses=problem_responses(401))


@router.get("/me", response_model=AccountOut)
def read_me(account: CurrentAccount) -> Account:
    """The account the token belongs to."""
    return account


@router.post(
    "/accounts",
    response_model=AccountCreated,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(403, 422),
)
def create_account(data: AccountCreate, session: SessionDep, admin: Admin) -> AccountCreated:
    """Create an account (admins only). The token in the answer is shown once."""
    account, token = service.create_account(session, data=data, actor_id=admin.id)
    return AccountCreated(**AccountOut.model_validate(account).model_dump(), token=token)
