"""What `make bench` posts: a realistic day of sales, and the worst case (bench.run).

Realistic (the default): sales drawn Zipf-like over the whole catalogue (weight 1/rank,
exponent 1: a few tracks sell most, as music consumption does), six territories, mixed
currencies (RU in USD or RUB) and quantities; a few % of each batch are replays of the
previous batch's sales (a store retrying), and a few % of recorded sales are refunded.
Worst case (issue 14): today's uniform draw over 10,000 recordings, where almost every
(recording, territory, price, quantity) plan is new to the pricing cache.
"""

import bisect
import itertools
import multiprocessing
import random
import statistics
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import httpx

from bench.catalogue import CURRENCY_OF, TERRITORIES, Catalogue

REPLAY_SHARE = 0.03  # rows of a batch that repeat a sale of the previous batch
REFUND_EVERY = 50  # one recorded sale in 50 is refunded (2 %)
WORST_RECORDINGS = 10_000
REFUNDED_AT = "2006-12-01T12:00:00Z"
PRICES = {"USD": "0.99", "GBP": "0.79", "RUB": "2.70", "EUR": "0.99"}


def sale(i: int, isrcs: list[str]) -> dict[str, Any]:
    rng = random.Random(i)
    territory = rng.choices(TERRITORIES, weights=[35, 15, 25, 10, 10, 5])[0]
    currency = "USD" if territory == "RU" and rng.random() < 0.5 else CURRENCY_OF[territory]
    sold_at = datetime(2006, 11, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(30 * 86400))
    return {
        "sale_id": f"b-{i:08d}",
        "isrc": rng.choice(isrcs),
        "territory": territory,
        "sold_at": sold_at.isoformat().replace("+00:00", "Z"),
        "quantity": 1 if rng.random() < 0.9 else rng.randint(2, 3),
        "unit_price": PRICES[currency],
        "currency": currency,
    }


@cache
def _zipf_cumulative(n: int) -> list[float]:
    return list(itertools.accumulate(1 / rank for rank in range(1, n + 1)))


def zipf_pick(rng: random.Random, isrcs: list[str]) -> str:
    """A recording by Zipf's law with exponent 1 (rank r drawn ∝ 1/r)."""
    cumulative = _zipf_cumulative(len(isrcs))
    return isrcs[bisect.bisect_left(cumulative, rng.random() * cumulative[-1])]


def realistic_sale(i: int, isrcs: list[str], batch: int = 1000) -> dict[str, Any]:
    """Sale ``i``; a replay row is the exact sale ``i - batch`` again (same content)."""
    rng = random.Random(-i - 1)  # not sale()'s seeds: another draw
    if i >= batch and rng.random() < REPLAY_SHARE:
        return realistic_sale(i - batch, isrcs, batch)
    row = sale(i, isrcs)
    row["sale_id"] = f"z-{i:08d}"
    row["isrc"] = zipf_pick(rng, isrcs)
    row["quantity"] = rng.choices((1, 2, 3, 5, 10), weights=(85, 8, 4, 2, 1))[0]
    return row


def worst_sale(i: int, isrcs: list[str]) -> dict[str, Any]:
    """Today's uniform draw over the first 10,000 recordings (every plan new)."""
    row = sale(i, isrcs[:WORST_RECORDINGS])
    row["sale_id"] = f"w-{i:08d}"
    return row


def refunds_of(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every REFUND_EVERY-th distinct sale of a batch, one unit refunded (rows of
    ``POST /v1/refunds``)."""
    distinct = {r["sale_id"]: r for r in rows}
    chosen = [r for n, r in enumerate(distinct.values()) if n % REFUND_EVERY == REFUND_EVERY - 1]
    return [
        {
            "sale_id": r["sale_id"],
            "refund_id": f"r-{r['sale_id']}",
            "quantity": 1,
            # The day after the month: every sale of it was sold before.
            "refunded_at": REFUNDED_AT,
        }
        for r in chosen
    ]


def post_refunds(client: httpx.Client, rows: list[dict[str, Any]]) -> int:
    """A batch's refunds as one ``POST /v1/refunds`` (the client asks return=minimal);
    the rows it counts, recorded or replayed. A rejected refund is a bug of the bench."""
    refunds = refunds_of(rows)
    if not refunds:
        return 0
    response = client.post("/v1/refunds", json={"refunds": refunds})
    response.raise_for_status()
    body = response.json()
    if body["rejected"]:
        raise RuntimeError(f"refunds rejected: {body['rejections'][:3]}")
    return len(refunds)


@dataclass
class Posted:
    """What posting processes saw: counts, each batch's latency, refunds posted."""

    recorded: int = 0
    duplicates: int = 0
    rejected: int = 0
    refunds: int = 0
    latencies: list[float] = field(default_factory=list)
    began: float = 0.0  # wall clock (comparable across processes) of the first request
    ended: float = 0.0  # and of the last answer

    def add(self, other: "Posted") -> None:
        self.recorded += other.recorded
        self.duplicates += other.duplicates
        self.rejected += other.rejected
        self.refunds += other.refunds
        self.latencies.extend(other.latencies)

    def p99_ms(self) -> float:
        return statistics.quantiles(self.latencies, n=100)[98] * 1000 if self.latencies else 0.0


def rows_of(kind: str, first: int, stop: int, isrcs: list[str]) -> list[dict[str, Any]]:
    if kind == "worst":
        return [worst_sale(i, isrcs) for i in range(first, stop)]
    return [realistic_sale(i, isrcs) for i in range(first, stop)]


def _poster(args: tuple[str, str, int, int, int, list[str], str]) -> Posted:
    base, kind, start, stop, batch, isrcs, token = args
    posted = Posted()
    # Counts and rejections are all a poster reads: RFC 7240 return=minimal.
    headers = {"Authorization": f"Bearer {token}", "Prefer": "return=minimal"}
    # A connection per batch, as a fleet of store backends would open: each is accepted by
    # whichever worker is free then. With one kept-alive connection per poster, the
    # kernel may hand every poster's connection to the same worker for the whole run (seen:
    # 5.3 s of CPU on one worker, 0 on the other), which measures one core, not the service.
    limits = httpx.Limits(max_keepalive_connections=0)
    # The rows exist before posting starts, as a store's sales do: drawing them (~14 µs a
    # row, a fresh seeded generator each) is the load generator's work, not the service's.
    batches = [rows_of(kind, n, min(n + batch, stop), isrcs) for n in range(start, stop, batch)]
    posted.began = time.time()
    with httpx.Client(base_url=base, timeout=300, headers=headers, limits=limits) as client:
        for rows in batches:
            started = time.perf_counter()
            response = client.post("/v1/sales", json={"sales": rows})
            posted.latencies.append(time.perf_counter() - started)
            response.raise_for_status()
            body = response.json()
            posted.recorded += body["recorded"]
            posted.duplicates += body["duplicates"]
            posted.rejected += body["rejected"]
            if kind == "realistic":
                posted.refunds += post_refunds(client, rows)
    posted.ended = time.time()
    return posted


def post_all(
    base: str, cat: Catalogue, kind: str, first: int, total: int, posters: int
) -> tuple[float, Posted]:
    """``total`` sales of ``kind`` from sale ``first`` on, by ``posters`` processes."""
    chunk = -(-total // posters)
    jobs = [
        (
            base,
            kind,
            first + p * chunk,
            first + min((p + 1) * chunk, total),
            1000,
            cat.isrcs,
            cat.store_token,
        )
        for p in range(posters)
    ]
    with multiprocessing.get_context("spawn").Pool(posters) as pool:
        results = pool.map(_poster, jobs)
    posted = Posted()
    for result in results:
        posted.add(result)
    # From the first request of any poster to the last answer: starting the processes and
    # drawing their rows is not the service's time.
    elapsed = max(r.ended for r in results) - min(r.began for r in results)
    return elapsed, posted
