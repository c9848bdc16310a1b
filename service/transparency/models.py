"""Tables of the transparency log: the Merkle tree's tiles and the signed tree heads.

The leaves themselves are not stored apart: leaf ``i`` is ledger transaction ``i + 1``
(``service.transparency.leaves`` derives its bytes from the ledger rows).
"""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from service.timeutil import UTCDateTime

TILE_HEIGHT = 8  # a tile holds 2**8 = 256 hashes of one tree level
TILE_WIDTH = 1 << TILE_HEIGHT


# Hashes of tree level ``8 * level`` with indices ``idx*256 …``: 32 bytes each, concatenated
# (fewer than 256 only in the last tile of a level, rewritten as the tree grows).
class MerkleTile(SQLModel, table=True):
    __tablename__ = "merkle_tile"
    level: int = Field(sa_column=sa.Column(sa.SmallInteger, primary_key=True, autoincrement=False))
    idx: int = Field(sa_column=sa.Column(sa.BigInteger, primary_key=True, autoincrement=False))
    hashes: bytes = Field(sa_column=sa.Column(sa.LargeBinary, nullable=False))


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
