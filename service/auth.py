"""Bearer API keys: who is calling, and may they use this endpoint.

Tokens are random (256 bits), so a plain SHA-256 is the right storage hash: it is
irreversible for such inputs and lets the lookup be one indexed equality query.
"""

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session, col, select

from service.config import get_settings
from service.db import SessionDep
from service.parties.models import ApiKey
from service.problems import DomainError
from service.rights import Role

TOKEN_PREFIX = "rl_"  # noqa: S105 (a prefix, not a secret)
_bearer = HTTPBearer(auto_error=False, description="An API key issued by POST /v1/api-keys.")


class Unauthenticated(DomainError):
    status = 401
    code = "unauthenticated"
    title = "Authentication required"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"
    title = "Not allowed for this role"


@dataclass(frozen=True, slots=True)
class Caller:
    role: Role
    subject: str | None
    key_id: str | None

    @property
    def is_admin(self) -> bool:
        return self.role is Role.admin


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def authenticate(*, session: Session, token: str) -> Caller | None:
    admin_token = get_settings().admin_token
    if admin_token and hmac.compare_digest(token.encode(), admin_token.encode()):
        return Caller(role=Role.admin, subject=None, key_id=None)
    key = session.exec(
        select(ApiKey).where(
            ApiKey.token_hash == hash_token(token), col(ApiKey.revoked_at).is_(None)
        )
    ).first()
    if key is None:
        return None
    return Caller(role=Role(key.role), subject=key.subject, key_id=key.id)


def current_caller(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthenticated("Send `Authorization: Bearer <token>`.")
    caller = authenticate(session=session, token=credentials.credentials)
    if caller is None:
        raise Unauthenticated("The token is unknown or has been revoked.")
    return caller


def require_role(*roles: Role) -> Callable[..., Caller]:
    allowed = frozenset(roles) | {Role.admin}

    def dependency(caller: Annotated[Caller, Depends(current_caller)]) -> Caller:
        if caller.role not in allowed:
            names = ", ".join(sorted(r.value for r in allowed))
            raise Forbidden(f"This endpoint is for: {names}; you are {caller.role.value}.")
        return caller

    return dependency


AnyCaller = Annotated[Caller, Depends(current_caller)]
AdminCaller = Annotated[Caller, Depends(require_role(Role.admin))]
StoreCaller = Annotated[Caller, Depends(require_role(Role.store))]
SocietyCaller = Annotated[Caller, Depends(require_role(Role.society))]
HolderCaller = Annotated[Caller, Depends(require_role(Role.rights_holder))]
