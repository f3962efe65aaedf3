"""Accounts and bearer tokens.

A token reads `imwu_<token id>_<secret>`: the id finds the row, the secret is compared with the
stored SHA-256 in constant time. The secret itself is never stored, logged or shown twice.
"""

import hashlib
import hmac
import secrets

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.audit.service import record
from app.auth.models import Account, ApiToken, Organization, Role
from app.auth.schemas import AccountCreate
from app.common.clock import utcnow
from app.problems import NotFound, ValidationFailed

TOKEN_PREFIX = "imwu_"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_token(session: Session, *, account: Account) -> str:
    """Create a token for the account and return it; it cannot be read again."""
    secret = secrets.token_urlsafe(32)
    token = ApiToken(account_id=account.id, secret_hash=_hash(secret))
    session.add(token)
    session.flush()
    return f"{TOKEN_PREFIX}{token.id}_{secret}"


def authenticate(session: Session, *, token: str) -> Account | None:
    """The account a live token belongs to, or None."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    token_id, _, secret = token.removeprefix(TOKEN_PREFIX).partition("_")
    if len(token_id) != 36 or not secret:
        return None
    row = session.get(ApiToken, token_id)
    expected = row.secret_hash if row is not None else _hash("no-such-token")
    matches = hmac.compare_digest(expected, _hash(secret))
    if row is None or not matches or row.revoked_at is not None:
        return None
    return row.account


def _organization(session: Session, *, name: str) -> Organization:
    found = session.scalar(select(Organization).where(Organization.name == name))
    if found is not None:
        return found
    organization = Organization(name=name)
    session.add(organization)
    session.flush()
    return organization


def create_account(
    session: Session, *, data: AccountCreate, actor_id: str | None = None
) -> tuple[Account, str]:
    """Create an account with its first token. Representatives must name an organization.
    Recorded in the account's own audit chain (`account:<id>`): no case, no shared head."""
    if data.role == Role.REPRESENTATIVE and not data.organization:
        raise ValidationFailed("A representative belongs to an organization")
    if data.role != Role.REPRESENTATIVE and data.organization:
        raise ValidationFailed("Only representatives belong to an organization")
    email = data.email.lower()
    if session.scalar(select(Account.id).where(Account.email == email)) is not None:
        raise ValidationFailed("An account with this email already exists")
    organization = _organization(session, name=data.organization) if data.organization else None
    account = Account(
        role=data.role,
        name=data.name,
        email=email,
        organization_id=organization.id if organization else None,
        organization=organization,
    )
    session.add(account)
    session.flush()
    record(
        session,
        actor_id=actor_id,
        action="account.created",
        subject_type="account",
        subject_id=account.id,
        details={"role": str(data.role)},
    )
    return account, issue_token(session, account=account)


def revoke(session: Session, *, token_or_account_id: str) -> int:
    """Revoke a token by its id, or every token of an account by the account's id."""
    result = session.execute(
        update(ApiToken)
        .where(
            (ApiToken.id == token_or_account_id) | (ApiToken.account_id == token_or_account_id),
            ApiToken.revoked_at.is_(None),
        )
        .values(revoked_at=utcnow())
    )
    count: int = result.rowcount  # type: ignore[attr-defined]
    unknown = session.get(ApiToken, token_or_account_id) is None
    if count == 0 and unknown and session.get(Account, token_or_account_id) is None:
        raise NotFound("No such token or account")
    return count


def account_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Account)) or 0
