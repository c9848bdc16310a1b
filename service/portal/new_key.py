"""A new API key's token, carried from the POST that minted it to the one GET after it.

Creating a key answers with a redirect (POST-redirect-GET, so a refresh cannot mint a
second key); the page after it shows the token once. The token travels in a cookie
signed with the portal's secret (itsdangerous, timestamped: two minutes), HttpOnly,
SameSite=Strict, sent only to the keys page, and deleted by that page as it shows it.
"""

from itsdangerous import BadSignature, TimestampSigner

from service.portal.sessions import signer

COOKIE = "rl_portal_new_key"
PATH = "/portal/admin/keys"
SECONDS = 120
_SALT = "royalty-ledger.portal.new-key"


def _signer(secret: str | None) -> TimestampSigner:
    # The sessions' secret (or the process's own when none is configured).
    return TimestampSigner(signer(secret).secret_keys[-1], salt=_SALT)


def sealed(token: str, *, secret: str | None) -> str:
    return _signer(secret).sign(token).decode()


def take(cookie: str | None, *, secret: str | None) -> str | None:
    """The token in ``cookie`` if it is ours and fresh; None otherwise."""
    if not cookie:
        return None
    try:
        return _signer(secret).unsign(cookie, max_age=SECONDS).decode()
    except BadSignature:
        return None
