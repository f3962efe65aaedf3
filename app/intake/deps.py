from typing import Annotated

from fastapi import Depends, Path

from app.auth.deps import CurrentAccount
from app.db import SessionDep
from app.intake.models import OpinionRequest
from app.intake.service import visible_request


def current_request(
    session: SessionDep,
    account: CurrentAccount,
    request_id: Annotated[str, Path(max_length=36)],
) -> OpinionRequest:
    return visible_request(session, account=account, request_id=request_id)


CurrentRequest = Annotated[OpinionRequest, Depends(current_request)]
