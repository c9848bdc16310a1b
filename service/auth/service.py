"""Bearer API keys: issuing, hashing, revoking and authenticating (no HTTP here).

Tokens are random (256 bits), so a plain SHA-256 is the right storage hash: it is
irreversible for such inputs and lets the lookup be one indexed equality query.

Whether a key's subject exists is the parties' rule (``parties.service.issue_api_key``
checks it, then calls :func:`issue_api_key`), so this package never imports parties.
"""

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Sequence

from sqlmodel import Session, col, select

from service.auth.caller import Caller
from service.auth.exceptions import ApiKeyNotFound
from service.auth.models import ApiKey
from service.pagination import PageParams, paginate
from service.rights import Role
from service.timeutil import utcnow

TOKEN_PREFIX = "rl_"  # noqa: S105 (a prefix, not a secret)


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def authenticate(*, session: Session, token: str, admin_token: str | None) -> Caller | None:
    """The caller a token stands for: the bootstrap ``admin_token`` or a live key."""
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


def issue_api_key(*, session: Session, role: Role, subject: str | None) -> tuple[ApiKey, str]:
    """A new key and its token (shown once; only the hash is stored)."""
    token = new_token()
    key = ApiKey(
        id=uuid.uuid4().hex, role=role.value, subject=subject, token_hash=hash_token(token)
    )
    session.add(key)
    session.flush()
    return key, token


def is_live(*, session: Session, key_id: str) -> bool:
    """The key exists and has not been revoked."""
    key = session.get(ApiKey, key_id)
    return key is not None and key.revoked_at is None


def revoke_api_key(*, session: Session, key_id: str) -> None:
    key = session.get(ApiKey, key_id)
    if key is None:
        raise ApiKeyNotFound(f"No API key {key_id}.")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        session.add(key)
        session.flush()


def list_api_keys(*, session: Session, page: PageParams) -> tuple[Sequence[ApiKey], str | None]:
    return paginate(session, select(ApiKey), key=ApiKey.id, params=page)
