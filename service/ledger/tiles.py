"""The Merkle tree stored as tiles (as transparency logs do: C2SP tlog-tiles, Trillian).

Tile ``(level, idx)`` holds the hashes of tree level ``8 * level`` with indices
``idx * 256 …`` (32 bytes each). Any complete subtree hash is then one tile row and at most
127 SHA-256 calls away: a proof for 10**7 leaves reads a handful of rows and never
rebuilds the tree. Appending rewrites only the last tile of each level (one upsert per
batch); a tile that fills up yields one hash for the level above.
"""

from collections.abc import Callable, Sequence

import sqlalchemy as sa
from sqlmodel import Session

from service.ledger.models import TILE_HEIGHT, TILE_WIDTH, MerkleTile
from service.proofs.merkle import NodeReader, node_hash
from service.sql import table_of

TILES = table_of(MerkleTile)
_HASH = 32
_UPSERT = sa.text(
    "INSERT INTO merkle_tile (level, idx, hashes) VALUES (:level, :idx, :hashes) "
    "ON CONFLICT (level, idx) DO UPDATE SET hashes = excluded.hashes"
)


def _fold(hashes: bytes, count: int) -> bytes:
    """The root of ``count`` (a power of two) adjacent complete subtrees."""
    nodes = [hashes[i : i + _HASH] for i in range(0, count * _HASH, _HASH)]
    while len(nodes) > 1:
        nodes = [node_hash(nodes[i], nodes[i + 1]) for i in range(0, len(nodes), 2)]
    return nodes[0]


class TileReader:
    """``node(level, index)`` over the stored tiles, each tile read once per reader."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._tiles: dict[tuple[int, int], bytes] = {}

    def tile(self, level: int, idx: int) -> bytes:
        key = (level, idx)
        if key not in self._tiles:
            row = self._session.execute(
                sa.select(TILES.c.hashes).where(TILES.c.level == level, TILES.c.idx == idx)
            ).first()
            self._tiles[key] = b"" if row is None else bytes(row[0])
        return self._tiles[key]

    def prefetch(self, keys: Sequence[tuple[int, int]]) -> None:
        """Read these tiles in one query (absent ones read as empty)."""
        wanted = [k for k in keys if k not in self._tiles]
        if not wanted:
            return
        self._tiles.update(dict.fromkeys(wanted, b""))
        found = self._session.execute(
            sa.select(TILES.c.level, TILES.c.idx, TILES.c.hashes).where(
                sa.or_(*(sa.and_(TILES.c.level == lv, TILES.c.idx == i) for lv, i in wanted))
            )
        )
        for level, idx, hashes in found:
            self._tiles[(level, idx)] = bytes(hashes)

    def node(self, level: int, index: int) -> bytes:
        tile_level, height = divmod(level, TILE_HEIGHT)
        first = index << height  # its leftmost descendant on the tile's level
        offset = (first % TILE_WIDTH) * _HASH
        hashes = self.tile(tile_level, first // TILE_WIDTH)[offset : offset + (_HASH << height)]
        if len(hashes) != _HASH << height:
            raise LookupError(f"node ({level}, {index}) is not in the stored tree")
        return _fold(hashes, 1 << height)


def tile_of(level: int, index: int) -> tuple[int, int]:
    """The tile holding what ``node(level, index)`` is folded from."""
    tile_level, height = divmod(level, TILE_HEIGHT)
    return tile_level, (index << height) // TILE_WIDTH


def read_for(session: Session, compute: Callable[[NodeReader], object]) -> TileReader:
    """A reader holding every tile ``compute`` will ask for, read in one query: ``compute``
    is run once on placeholder hashes to learn which (a proof's shape depends only on
    its indices, never on the hashes)."""
    wanted: set[tuple[int, int]] = set()

    def record(level: int, index: int) -> bytes:
        wanted.add(tile_of(level, index))
        return bytes(_HASH)

    compute(record)
    reader = TileReader(session)
    reader.prefetch(sorted(wanted))
    return reader


def stored_size(session: Session) -> int:
    """How many leaves the stored tree has."""
    row = session.execute(
        sa.select(TILES.c.idx, sa.func.length(TILES.c.hashes))
        .where(TILES.c.level == 0)
        .order_by(TILES.c.idx.desc())
        .limit(1)
    ).first()
    return 0 if row is None else int(row[0]) * TILE_WIDTH + int(row[1]) // _HASH


def append(session: Session, size: int, leaves: Sequence[bytes]) -> None:
    """Add leaf hashes ``leaves`` to a stored tree of ``size`` leaves (the caller holds the
    ledger's chain lock, so nobody else appends meanwhile)."""
    reader = TileReader(session)
    # The last, partial tile of each level, in one query whatever the batch (a batch's cost
    # in statements must not depend on how many tiles it fills).
    partial, start = [(0, size // TILE_WIDTH)], size
    for level in range(8):  # 8 tile levels = 2**64 leaves
        if start % TILE_WIDTH and level:
            partial.append((level, start // TILE_WIDTH))
        start //= TILE_WIDTH
    reader.prefetch(partial)
    written: dict[tuple[int, int], bytes] = {}
    nodes, start, level = b"".join(leaves), size, 0
    while nodes:
        first_tile = start // TILE_WIDTH
        kept = reader.tile(level, first_tile) if start % TILE_WIDTH else b""
        if len(kept) != (start % TILE_WIDTH) * _HASH:
            raise LookupError(f"tile ({level}, {first_tile}) does not end at leaf {start}")
        run = kept + nodes
        completed = []
        for i in range(0, len(run), TILE_WIDTH * _HASH):
            chunk = run[i : i + TILE_WIDTH * _HASH]
            written[(level, first_tile + i // (TILE_WIDTH * _HASH))] = chunk
            if len(chunk) == TILE_WIDTH * _HASH:
                completed.append(_fold(chunk, TILE_WIDTH))
        nodes, start, level = b"".join(completed), first_tile, level + 1
    if written:
        session.execute(
            _UPSERT,
            [{"level": lv, "idx": idx, "hashes": data} for (lv, idx), data in written.items()],
        )
