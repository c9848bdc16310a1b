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
from datetime import datetime

from sqlmodel import Session, col, select

from service.auth import scopes as scoping
from service.auth.caller import Caller
from service.auth.exceptions import ApiKeyNotFound, KeyExpired, Unauthenticated
from service.auth.models import ApiKey
from service.auth.scopes import Scope
from service.errors import Invalid
from service.pagination import PageParams, paginate
from service.rights import Role
from service.timeutil import utcnow

TOKEN_PREFIX = "rl_"  # noqa: S105 (a prefix, not a secret)


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def authenticate(*, session: Session, token: str, admin_token: str | None) -> Caller | None:
    """The caller a token stands for (the bootstrap ``admin_token`` or a live key), else
    None; :func:`identify` says why a token is refused."""
    try:
        return identify(session=session, token=token, admin_token=admin_token, now=utcnow())
    except Unauthenticated:
        return None


def identify(*, session: Session, token: str, admin_token: str | None, now: datetime) -> Caller:
    """The caller a token stands for; raises :class:`Unauthenticated` (unknown or revoked)
    or :class:`KeyExpired`. Its use is noted by the caller (``auth.usage``)."""
    if admin_token and hmac.compare_digest(token.encode(), admin_token.encode()):
        return Caller(role=Role.admin, subject=None, key_id=None)
    key = session.exec(
        select(ApiKey).where(
            ApiKey.token_hash == hash_token(token), col(ApiKey.revoked_at).is_(None)
        )
    ).first()
    if key is None:
        raise Unauthenticated("The token is unknown or has been revoked.")
    if key.expires_at is not None and key.expires_at <= now:
        raise KeyExpired(
            f"API key {key.id} expired at {key.expires_at.isoformat()}; "
            "ask the operator for a new one.",
            key_id=key.id,
        )
    return Caller(
        role=Role(key.role), subject=key.subject, key_id=key.id, scopes=scoping.decode(key.scopes)
    )


def issue_api_key(
    *,
    session: Session,
    role: Role,
    subject: str | None,
    expires_at: datetime | None = None,
    scopes: Sequence[Scope] | None = None,
) -> tuple[ApiKey, str]:
    """A new key and its token (shown once; only the hash is stored). ``expires_at`` and
    ``scopes`` are checked by the caller (``parties.service.issue_api_key``)."""
    token = new_token()
    key = ApiKey(
        id=uuid.uuid4().hex,
        role=role.value,
        subject=subject,
        token_hash=hash_token(token),
        expires_at=expires_at,
        scopes=scoping.encode(scopes),
    )
    session.add(key)
    session.flush()
    return key, token


def is_live(*, session: Session, key_id: str, now: datetime) -> bool:
    """The key exists, has not been revoked and has not expired at ``now``."""
    key = session.get(ApiKey, key_id)
    if key is None or key.revoked_at is not None:
        return False
    return key.expires_at is None or key.expires_at > now


def check_limits(
    *, role: Role, expires_at: datetime | None, scopes: Sequence[Scope] | None, now: datetime
) -> None:
    """A key's expiry lies in the future and its scopes fit its role (else 422)."""
    problems: dict[str, str] = {}
    if expires_at is not None and expires_at <= now:
        problems["expires_at"] = "must lie in the future"
    misfits = scoping.misfits(scopes or (), role)
    if misfits:
        names = ", ".join(s.value for s in misfits)
        problems["scopes"] = f"a {role.value} key cannot hold {names}"
    if problems:
        raise Invalid(
            "; ".join(f"{field} {msg}" for field, msg in problems.items()),
            errors=[{"loc": ["body", field], "msg": msg} for field, msg in problems.items()],
        )


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
