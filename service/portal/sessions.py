"""Portal sign-in: an API key exchanged for a server-side session (no HTTP here).

The browser holds only a random session id, signed (HMAC, itsdangerous) so a forged or
truncated cookie is refused before any lookup; the table keeps the id's SHA-256, the
caller it stands for, its CSRF token and its expiry. A session lives no longer than its
key: revoking the key ends it at the next request; one opened with the admin token ends
when that token changes (``portal.binding``).
"""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from itsdangerous import BadSignature, Signer
from sqlmodel import Session, col, delete

from service.auth import service as keys
from service.auth.caller import Caller
from service.auth.service import authenticate
from service.portal import binding
from service.portal.models import PortalSession
from service.rights import Role

# Stores push sales by API; the portal is for the parties that read the books.
PORTAL_ROLES = frozenset({Role.society, Role.rights_holder, Role.admin})
_PROCESS_SECRET = secrets.token_urlsafe(32)


@dataclass(frozen=True, slots=True)
class SignedIn:
    caller: Caller
    csrf_token: str


def signer(secret: str | None) -> Signer:
    return Signer(secret or _PROCESS_SECRET, salt="royalty-ledger.portal.session")


def open_session(
    *,
    session: Session,
    token: str,
    admin_token: str | None,
    secret: str | None,
    now: datetime,
    hours: int,
) -> tuple[str, Caller] | None:
    """The signed cookie value of a new session for ``token``'s caller; None when the
    token is unknown, revoked, expired, scoped, or of a role the portal does not serve."""
    caller = authenticate(session=session, token=token, admin_token=admin_token)
    # A scoped key (auth.scopes) signs no one in: the portal acts with the whole role.
    if caller is None or caller.role not in PORTAL_ROLES or caller.scopes is not None:
        return None
    session_id = secrets.token_urlsafe(32)
    kind = binding.KEY if caller.key_id is not None else binding.ADMIN
    id_hash = binding.stored_id(kind, session_id, admin_token=admin_token)
    assert id_hash is not None  # an admin caller here means an admin token is configured
    session.add(
        PortalSession(
            id_hash=id_hash,
            key_id=caller.key_id,
            role=caller.role.value,
            subject=caller.subject,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            expires_at=now + timedelta(hours=hours),
        )
    )
    # Expired sessions are dropped on the way, so the table holds live ones only.
    session.exec(delete(PortalSession).where(col(PortalSession.expires_at) < now))
    session.flush()
    return signer(secret).sign(binding.cookie_value(kind, session_id)).decode(), caller


def _unsigned(cookie: str | None, secret: str | None) -> str | None:
    if not cookie:
        return None
    try:
        return str(signer(secret).unsign(cookie).decode())
    except BadSignature:
        return None


def _row(
    session: Session, cookie: str | None, secret: str | None, admin_token: str | None
) -> PortalSession | None:
    """The session a cookie names under the credentials configured now."""
    value = _unsigned(cookie, secret)
    if value is None:
        return None
    kind, session_id = binding.parse(value)
    id_hash = binding.stored_id(kind, session_id, admin_token=admin_token)
    row = session.get(PortalSession, id_hash) if id_hash is not None else None
    # A key session has its key; an admin-token session (key_id None) is only ever found
    # through its binding.
    if row is None or (kind == binding.KEY) != (row.key_id is not None):
        return None
    return row


def resolve(
    *,
    session: Session,
    cookie: str | None,
    secret: str | None,
    now: datetime,
    admin_token: str | None = None,
) -> SignedIn | None:
    """The caller behind a session cookie, while the session and its credential are live
    (the key not revoked; the admin token the one it was opened with)."""
    row = _row(session, cookie, secret, admin_token)
    if row is None or row.expires_at <= now:
        return None
    if row.key_id is not None and not keys.is_live(session=session, key_id=row.key_id, now=now):
        return None
    caller = Caller(role=Role(row.role), subject=row.subject, key_id=row.key_id)
    return SignedIn(caller=caller, csrf_token=row.csrf_token)


def close_session(
    *, session: Session, cookie: str | None, secret: str | None, admin_token: str | None = None
) -> None:
    row = _row(session, cookie, secret, admin_token)
    if row is not None:
        session.delete(row)
        session.flush()


def end_sessions_of_key(*, session: Session, key_id: str) -> None:
    """Revoking a key also deletes its sessions (``resolve`` refuses them anyway)."""
    session.exec(delete(PortalSession).where(col(PortalSession.key_id) == key_id))
    session.flush()
