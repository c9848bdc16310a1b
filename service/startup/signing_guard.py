"""Start-up's check of the operator's signing key against the tree heads already signed.

Every society's verifier pins the operator's public key. A new key appearing by accident
(a recreated container that generated one in its own layer, a wrong secret mounted)
would make every new tree head fail their verification, so the start refuses, in one
line, to

- create a key when the database holds tree heads (whoever signed them): the key that
  signed them must be restored, not replaced;
- sign with a key other than the one that signed the latest tree head, unless the
  operator names that new key in ``LEDGER_SIGNING_KEY_ROTATE_TO`` (a deliberate rotation:
  docs/api-keys.md). Naming the key id, not a yes/no switch, means a setting left behind
  after a rotation never lets a *third* key through.
"""

from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from service.config import Settings
from service.startup.bootstrap import NotReady
from service.transparency.models import SignedTreeHead
from service.transparency.signing import OperatorKey, settings_key

MIN_ID_PREFIX = 16  # hex digits of a key id an operator must give to name it


def latest_signer(session: Session) -> str | None:
    """The key id that signed the latest tree head; None before the first one."""
    return session.exec(
        select(SignedTreeHead.key_id).order_by(col(SignedTreeHead.id).desc()).limit(1)
    ).first()


def would_create(settings: Settings) -> bool:
    """Loading the key would generate a new one (nothing configured, no key file)."""
    return not settings.signing_key and not Path(settings.signing_key_file).exists()


def rotation_names(settings: Settings, key: OperatorKey) -> bool:
    wanted = (settings.signing_key_rotate_to or "").strip().lower()
    return len(wanted) >= MIN_ID_PREFIX and key.key_id.startswith(wanted)


def checked_signing_key(engine: Engine, settings: Settings) -> OperatorKey:
    """The key tree heads will be signed with, once it is safe to use; else NotReady."""
    with Session(engine) as session:
        signer = latest_signer(session)
    if signer is not None and would_create(settings):
        raise NotReady(
            f"refusing to create a new signing key: the database holds tree heads signed by "
            f"key {signer[:16]}…; restore that key to {settings.signing_key_file} or point "
            "LEDGER_SIGNING_KEY at it (docs/api-keys.md)"
        )
    try:
        key = settings_key(settings)
    except (ValueError, OSError) as exc:
        raise NotReady(f"LEDGER_SIGNING_KEY: {exc}") from exc
    if signer is not None and key.key_id != signer and not rotation_names(settings, key):
        raise NotReady(
            f"refusing to sign with key {key.key_id[:16]}…: the latest tree head was signed "
            f"by key {signer[:16]}…; restore that key, or rotate on purpose with "
            f"LEDGER_SIGNING_KEY_ROTATE_TO={key.key_id} (docs/api-keys.md)"
        )
    return key
