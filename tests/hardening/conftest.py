"""The hardening tests post sales through the sales fixtures."""

from tests.sales.conftest import other_store, store

__all__ = ["other_store", "store"]
