"""Clients for store backends and collecting societies (httpx, sync and async)."""

from service.client.api import (
    AsyncLedgerClient,
    BatchResult,
    LedgerClient,
    LedgerError,
    PeriodNotClosed,
    RefundsSummary,
    SalesSummary,
)

__all__ = [
    "AsyncLedgerClient",
    "BatchResult",
    "LedgerClient",
    "LedgerError",
    "PeriodNotClosed",
    "RefundsSummary",
    "SalesSummary",
]
