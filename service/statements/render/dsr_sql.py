"""DSR blocks formatted by PostgreSQL: one query yields every block of one statement (a GET)
or of a whole month's statements (the close, which hashes them), SU01 lines already text.

Byte for byte what ``dsr_document.su01_line`` writes from the same rows (tests compare the
two paths): blocks are runs of one ISRC in ``row_no`` order (``itertools.groupby``), the
SummaryRecordId is ``SR<n>`` in (territory, right type, currency, late) order with a
missing territory read as ``WORLD`` (a statement of layout 1 has no late row: its rows
were written before ``late`` was), and the unit price is the half-even micro-unit quotient of
Python's floor ``divmod``, written without trailing zeros.
"""

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from service.catalog.repository import recording_table_name

STREAM_ROWS = 500  # blocks fetched per round trip from the server-side cursor

# {filter} is one of the two fixed predicates below; every value is a bound parameter.
_BLOCKS = """
WITH scope AS (
  SELECT u.* FROM statement_usage u WHERE {filter}
), marked AS (
  SELECT s.*, CASE WHEN s.isrc IS NOT DISTINCT FROM
    lag(s.isrc) OVER (PARTITION BY s.statement_id ORDER BY s.row_no) THEN 0 ELSE 1 END AS starts
  FROM scope s
), numbered AS (
  SELECT m.*, sum(m.starts) OVER (PARTITION BY m.statement_id ORDER BY m.row_no) AS block
  FROM marked m
), groups AS (
  SELECT statement_id, territory, right_type, currency, late, row_number() OVER (
    PARTITION BY statement_id ORDER BY territory, right_type, currency, late) AS n
  FROM scope GROUP BY statement_id, territory, right_type, currency, late
), ids AS (
  SELECT statement_id, coalesce(territory, 'WORLD') AS territory, right_type, currency,
    late, max(n) AS n
  FROM groups GROUP BY statement_id, coalesce(territory, 'WORLD'), right_type, currency, late
), priced AS (
  SELECT b.statement_id, b.row_no, b.block, b.isrc, i.n AS sid, b.sale_pk, b.right_type,
    b.usages, b.returns, x.g, x.d, floor(x.g::numeric / x.d)::bigint AS q
  FROM numbered b
  JOIN ids i ON i.statement_id = b.statement_id
    AND i.territory = coalesce(b.territory, 'WORLD')
    AND i.right_type = b.right_type AND i.currency = b.currency AND i.late = b.late
  CROSS JOIN LATERAL (SELECT
    CASE WHEN b.usages <> 0 THEN b.gross_sold WHEN b.returns <> 0 THEN b.gross_returned
      ELSE 0 END AS g,
    CASE WHEN b.usages <> 0 THEN b.usages WHEN b.returns <> 0 THEN b.returns
      ELSE 1 END AS d) x
), blocks AS (
  SELECT p.statement_id, p.block, min(p.isrc) AS isrc, count(*) AS lines,
    string_agg('SU01' || E'\\t' || p.block || E'\\tSR' || p.sid || E'\\t'
      || CASE WHEN p.sale_pk IS NOT NULL THEN p.sale_pk || '-' || p.right_type
         ELSE 'U' || p.row_no END
      || E'\\t\\tR' || p.block || E'\\ttrue\\tfalse\\t' || p.usages || E'\\t' || p.returns
      || E'\\t' || trim_scale((p.q + CASE WHEN 2 * (p.g - p.q * p.d) > p.d
           OR (2 * (p.g - p.q * p.d) = p.d AND p.q % 2 <> 0) THEN 1 ELSE 0 END)
         * 0.000001)::text
      || E'\\t\\n', '' ORDER BY p.row_no) AS text
  FROM priced p GROUP BY p.statement_id, p.block
)
SELECT k.statement_id, k.block, k.isrc, k.lines, k.text, r.title, r.artist, r.duration_s,
  r.iswc AS work_iswc
FROM blocks k LEFT JOIN {recording} r ON r.isrc = k.isrc
ORDER BY k.statement_id, k.block
"""
# The recordings (titles, artists) are the catalogue's table, named by its owner.
_ONE = sa.text(
    _BLOCKS.format(filter="u.statement_id = :statement_id", recording=recording_table_name())
)
_MONTH = sa.text(
    _BLOCKS.format(
        filter="u.statement_id IN (SELECT id FROM statement WHERE period = :period)",
        recording=recording_table_name(),
    )
)


def _stream(session: Session, query: sa.TextClause, params: dict[str, str]) -> Iterator[Any]:
    # JIT compiles this query for ~2 s at 10^6 rows and saves nothing on it (measured);
    # SET LOCAL lasts for this transaction only and writes nothing (replicas accept it).
    session.execute(sa.text("SET LOCAL jit = off"))
    # A server-side cursor: a 10^6-line statement never sits whole in the process.
    result = session.execute(query, params, execution_options={"stream_results": True})
    for rows in result.partitions(STREAM_ROWS):
        yield from rows


def statement_blocks(session: Session, statement_id: str) -> Iterator[Any]:
    """One statement's blocks in file order: (statement_id, block, isrc, lines, text, title,
    artist, duration_s, work_iswc)."""
    # Its sorts (10^6 rows of a big statement) in memory rather than spilled to disk.
    session.execute(sa.text("SET LOCAL work_mem = '64MB'"))
    return _stream(session, _ONE, {"statement_id": statement_id})


def month_blocks(session: Session, period: str) -> Iterator[Any]:
    """Every block of the month's statements, a statement's blocks together in file order
    (statements in the database's collation order)."""
    return _stream(session, _MONTH, {"period": period})
