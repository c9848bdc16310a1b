"""The ledger tests book money through the sales path; they reuse its store fixture."""

from tests.sales.conftest import store

__all__ = ["store"]
