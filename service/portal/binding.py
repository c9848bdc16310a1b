"""A portal session is bound to the credential it was opened with (issue #24, break 4).

A session opened with an API key lives no longer than the key (``sessions.resolve``
checks it is not revoked). One opened with the bootstrap admin token had nothing to
check: after ``LEDGER_ADMIN_TOKEN`` changed, its cookie still opened the admin pages. Its
stored id is therefore the SHA-256 of the session id *and* a fingerprint of the admin
token it was opened with: once the token changes (or is unset), the cookie names no
session. The cookie says which kind of session it is (``admin.`` or ``key.``, inside the
signed value), so a key session's cookie can never be read as an admin one, and a cookie
from before this binding (no kind) is read as a key session: an unbound admin session
from before is refused.
"""

import hashlib

ADMIN = "admin"
KEY = "key"


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def cookie_value(kind: str, session_id: str) -> str:
    """What the signed cookie carries."""
    return f"{kind}.{session_id}"


def parse(value: str) -> tuple[str, str]:
    """(kind, session id) of a cookie's value."""
    kind, dot, session_id = value.partition(".")
    if dot and kind in (ADMIN, KEY):
        return kind, session_id
    return KEY, value


def stored_id(kind: str, session_id: str, *, admin_token: str | None) -> str | None:
    """The session's key in ``portal_session``; None for an admin session while no admin
    token is configured (it can name no session)."""
    if kind != ADMIN:
        return _sha256(session_id)
    if not admin_token:
        return None
    return _sha256(f"{session_id}\n{_sha256(admin_token)}")
