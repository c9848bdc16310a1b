"""The operator's Ed25519 key: it signs tree heads and is never served.

``LEDGER_SIGNING_KEY`` is a file path or the base64 of the 32-byte private seed. Unset,
the key lives in ``LEDGER_SIGNING_KEY_FILE`` (default ``royalty-ledger-signing.key``),
generated on first use and written with mode 0600 so `make run` needs no setup.
"""

import base64
import binascii
import os
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from service.config import Settings
from service.proofs import notes
from service.proofs.verifier import key_id

_RAW = serialization.Encoding.Raw
_SEED_BYTES = 32


class BadSigningKey(ValueError):
    """The configured signing key cannot be read."""


@dataclass(frozen=True, slots=True)
class OperatorKey:
    private: Ed25519PrivateKey
    public: bytes  # the 32 raw bytes
    key_id: str  # hex SHA-256 of ``public``
    # The signer's own record (``record.py``; None: unchecked, only for tools that never
    # sign tree heads) and the log's origin line in checkpoints.
    record: Path | None = None
    origin: str = "localhost/royalty-ledger"

    def sign(self, message: bytes) -> str:
        return base64.b64encode(self.private.sign(message)).decode()

    @property
    def note_verifier(self) -> notes.Verifier:
        """The key as a signed-note verifier: its name is the log's origin."""
        return notes.Verifier(self.origin, notes.ED25519, self.public)

    def sign_note(self, text: str) -> str:
        """The checkpoint signature line (type 0x01) over the note ``text``."""
        return notes.sign(text, self.origin, self.private)


def _from_seed(seed: bytes) -> OperatorKey:
    if len(seed) != _SEED_BYTES:
        raise BadSigningKey(f"an Ed25519 seed has 32 bytes, not {len(seed)}")
    private = Ed25519PrivateKey.from_private_bytes(seed)
    public = private.public_key().public_bytes(_RAW, serialization.PublicFormat.Raw)
    return OperatorKey(private, public, key_id(public))


def _decode(text: bytes) -> OperatorKey:
    if text.lstrip().startswith(b"-----BEGIN"):
        loaded = serialization.load_pem_private_key(text, password=None)
        if not isinstance(loaded, Ed25519PrivateKey):
            raise BadSigningKey("the PEM key is not an Ed25519 key")
        return _from_seed(
            loaded.private_bytes(
                _RAW, serialization.PrivateFormat.Raw, serialization.NoEncryption()
            )
        )
    try:
        return _from_seed(base64.b64decode(text.strip(), validate=True))
    except binascii.Error as exc:
        raise BadSigningKey("the signing key is neither PEM nor base64") from exc


def _generate(path: Path) -> OperatorKey:
    seed = os.urandom(_SEED_BYTES)
    # O_EXCL: two processes starting at once must not overwrite each other's key.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(base64.b64encode(seed) + b"\n")
    return _from_seed(seed)


@lru_cache(maxsize=4)
def operator_key(configured: str | None, default_file: str) -> OperatorKey:
    """The key ``LEDGER_SIGNING_KEY`` names (a path or base64), else the one in
    ``default_file``, created there on first use."""
    if configured:
        path = Path(configured)
        if path.is_file():
            return _decode(path.read_bytes())
        try:
            return _decode(configured.encode())
        except BadSigningKey:
            if "/" in configured:  # meant as a path (a secret or volume not mounted?)
                raise BadSigningKey(f"no key file {configured}") from None
            raise
    path = Path(default_file)
    try:
        return _decode(path.read_bytes())
    except FileNotFoundError:
        try:
            return _generate(path)
        except FileExistsError:  # another process created it meanwhile
            return _decode(path.read_bytes())


def record_file(settings: Settings) -> Path:
    """Where the signer keeps its record: ``signer_record_file``, else beside the key."""
    if settings.signer_record_file:
        return Path(settings.signer_record_file)
    key = settings.signing_key
    beside = Path(key) if key and Path(key).is_file() else Path(settings.signing_key_file)
    return beside.with_name(beside.name + ".signed.json")


def log_origin(settings: Settings) -> str:
    """The checkpoint origin: ``log_origin``, else public_url's host and path."""
    if settings.log_origin:
        return settings.log_origin
    if settings.public_url:
        _, _, rest = settings.public_url.partition("://")
        if rest.strip("/"):
            return rest.strip("/")
    return "localhost/royalty-ledger"


def settings_key(settings: Settings) -> OperatorKey:
    """The key the settings name (``signing_key``, else ``signing_key_file``), with the
    signer's record and the log's origin."""
    key = operator_key(settings.signing_key, settings.signing_key_file)
    return replace(key, record=record_file(settings), origin=log_origin(settings))
