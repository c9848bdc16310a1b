"""Response bodies of the transparency log (``docs/transparency.md``)."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from service.transparency.models import SignedTreeHead


class KeyPublic(BaseModel):
    alg: str = Field(description="Always `Ed25519`.")
    public_key: str = Field(description="Base64 of the 32 raw bytes of the public key.")
    key_id: str = Field(description="Hex SHA-256 of the 32 raw bytes.")
    origin: str = Field(description="The log's origin line in its C2SP checkpoints.")
    verifier_key: str = Field(
        description="The key as a C2SP signed-note verifier key, `<origin>+<key ID>+"
        "base64(0x01 ‖ key)`: what witnesses and `verify-statement` check checkpoints with."
    )


class SthPublic(BaseModel):
    """A signed tree head: ``signature`` is Ed25519 over the ASCII bytes
    ``royalty-ledger/sth/v1\\n{tree_size}\\n{timestamp}\\n{root_hash}\\n``."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "tree_size": 1042,
                    "timestamp": "2006-12-01T09:00:00Z",
                    "root_hash": "5b1c…",
                    "key_id": "a3f9…",
                    "signature": "base64…",
                }
            ]
        }
    )
    tree_size: int
    timestamp: str = Field(description="RFC 3339, UTC, seconds: `YYYY-MM-DDTHH:MM:SSZ`.")
    root_hash: str = Field(description="Hex MTH of the first `tree_size` leaves.")
    key_id: str
    signature: str


class ConsistencyPublic(BaseModel):
    first: int
    second: int
    proof: list[str] = Field(description="Hex hashes, RFC 9162 §2.1.4.")


class AuditPublic(BaseModel):
    ok: bool
    tree_size: int
    first_bad_leaf: int | None = Field(description="Leaf index = ledger sequence - 1.")
    signer_record_matches: bool | None = Field(
        default=None,
        description="The tree's root at the size the signer last signed is the one it "
        "signed (null: nothing recorded yet); false means the log was rewritten.",
    )


class InclusionPublic(BaseModel):
    leaf_index: int
    tree_size: int
    leaf_hash: str
    proof: list[str] = Field(description="Hex hashes, RFC 9162 §2.1.3.")


def stamp(moment: datetime) -> str:
    """The STH timestamp text (what is signed)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def sth_public(sth: SignedTreeHead) -> SthPublic:
    return SthPublic(
        tree_size=sth.tree_size,
        timestamp=stamp(sth.timestamp),
        root_hash=sth.root_hash,
        key_id=sth.key_id,
        signature=sth.signature,
    )


class WitnessIn(BaseModel):
    # As long as the columns that keep them (transparency_witness) at most.
    verifier_key: str = Field(
        max_length=300,
        description="The witness's cosignature/v1 verifier key, `<name>+<key ID>+"
        "base64(0x04 ‖ key)` (`royalty-ledger witness serve` prints it).",
    )
    url: str = Field(max_length=2000, description="Its tlog-witness submission prefix, http(s).")


class WitnessPublic(BaseModel):
    name: str
    verifier_key: str
    url: str
    cosigned_size: int = Field(description="The largest tree size it cosigned (0: none yet).")


class CosignRoundPublic(BaseModel):
    outcomes: dict[str, str] = Field(description="Per witness name: `ok` or why not.")
