"""Tables of the transparency domain: the tree heads the operator signed.

The tree itself (its tiles) belongs to the ledger, which appends a leaf per transaction
(``service.ledger.log``); this domain signs its heads and serves proofs over it.
"""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from service.timeutil import UTCDateTime


# A tree head the operator signed (a size may be signed more than once, at different
# times); ``period`` marks the one a month close signed.
class SignedTreeHead(SQLModel, table=True):
    __tablename__ = "signed_tree_head"
    # SQLite numbers rows by itself only for INTEGER PRIMARY KEY (BIGINT stays null).
    id: int | None = Field(
        default=None,
        sa_column=sa.Column(sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
    )
    tree_size: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False, index=True))
    timestamp: datetime = Field(sa_type=UTCDateTime)
    root_hash: str = Field(max_length=64)
    key_id: str = Field(max_length=64)
    signature: str = Field(max_length=88)
    period: str | None = Field(default=None, max_length=7, unique=True)


# A witness's cosignature (C2SP cosignature/v1) of the checkpoint of a stored head: the
# signature line as the witness answered it, kept as received (its timestamp inside).
class CheckpointCosignature(SQLModel, table=True):
    __tablename__ = "checkpoint_cosignature"
    __table_args__ = (sa.UniqueConstraint("tree_size", "root_hash", "witness_vkey"),)
    id: int | None = Field(
        default=None,
        sa_column=sa.Column(sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
    )
    tree_size: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False, index=True))
    root_hash: str = Field(max_length=64)
    witness_vkey: str = Field(max_length=300)
    cosigned_at: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    line: str = Field(max_length=400)
    received_at: datetime = Field(sa_type=UTCDateTime)


# A witness the operator registered (POST /v1/transparency/witnesses), besides those of
# LEDGER_WITNESSES: its verifier key and its submission prefix.
class TransparencyWitness(SQLModel, table=True):
    __tablename__ = "transparency_witness"
    vkey: str = Field(primary_key=True, max_length=300)
    url: str = Field(max_length=2000)
    added_at: datetime = Field(sa_type=UTCDateTime)
