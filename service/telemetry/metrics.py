"""Prometheus metrics of the service (served by ``GET /metrics``).

One module holds them all so their names are easy to find and each is registered once per
process, whatever the number of apps a test run builds.
"""

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from prometheus_client import Counter, Gauge, Histogram
from sqlalchemy import Engine

REQUESTS = Counter(
    "ledger_http_requests_total", "HTTP requests by route template", ["method", "route", "status"]
)
LATENCY = Histogram("ledger_http_request_seconds", "HTTP request latency", ["method", "route"])
SALES = Counter(
    "ledger_sales_rows_total",
    "Sale rows posted, by outcome and (for rejections) error code",
    ["status", "code"],
)
BATCH_SECONDS = Histogram(
    "ledger_sales_batch_seconds",
    "Time to record one POST /v1/sales (bare sale or batch)",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
CLOSE_SECONDS = Histogram(
    "ledger_close_seconds",
    "Time to close a month (statements, FX conversions)",
    buckets=(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600),
)
POOL_IN_USE = Gauge("ledger_db_pool_in_use", "Database connections checked out of the pool")
WEBHOOKS = Counter(
    "ledger_webhook_deliveries_total", "Webhook delivery attempts by outcome", ["outcome"]
)


def count_sales(results: list[tuple[str, str | None]]) -> dict[str, int]:
    """Count (status, error code) pairs of posted rows; the totals go to the request log."""
    totals = {"recorded": 0, "duplicate": 0, "rejected": 0}
    for status, code in results:
        SALES.labels(status, code or "").inc()
        totals[status] = totals.get(status, 0) + 1
    return totals


@contextmanager
def timed(histogram: Histogram) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        histogram.observe(time.perf_counter() - start)


def watch_pool(engine: Engine) -> None:
    """Report the pool of ``engine`` (the app's) as ``ledger_db_pool_in_use``."""
    pool: Any = engine.pool
    # SQLite's in-memory and NullPool variants have no checkout count: report 0 there.
    checked_out: Callable[[], int] = getattr(pool, "checkedout", lambda: 0)
    POOL_IN_USE.set_function(lambda: float(checked_out()))
