"""A tariff has one shape per layer (issue 20): the table (``tariffs.models.Tariff``), the
API's bodies (``TariffCreate``/``TariffPublic``) and the engine's terms
(``TariffTerms``), which pricing reads from a stored row by attribute name. These tests
fail when a component is added to one layer and not the others."""

from dataclasses import fields
from datetime import date
from decimal import Decimal

from service.sales.pricing.engine.engine import TariffTerms
from service.tariffs.models import Tariff
from service.tariffs.schemas import TariffCreate

# Where and when a tariff applies, and bookkeeping: not terms of what a unit owes.
NOT_TERMS = {"id", "territory", "valid_from", "valid_to", "created_at"}


def test_the_engine_reads_every_stored_component() -> None:
    stored = set(Tariff.model_fields) - NOT_TERMS
    assert {f.name for f in fields(TariffTerms)} == stored


def test_the_api_offers_every_component() -> None:
    # The API groups the per-minute pair as {"rate", "over_seconds"}.
    offered = set(TariffCreate.model_fields) - NOT_TERMS
    stored = set(Tariff.model_fields) - NOT_TERMS
    grouped = {"per_minute_rate", "per_minute_over_seconds"}
    assert offered == (stored - grouped) | {"per_minute"}


def test_terms_of_a_stored_row() -> None:
    row = Tariff(
        territory="US",
        right_type="mechanical",
        currency="USD",
        valid_from=date(2024, 1, 1),
        per_unit=Decimal("0.124"),
        per_minute_rate=Decimal("0.0239"),
        per_minute_over_seconds=300,
    )
    terms = TariffTerms.of(row)
    assert terms == TariffTerms("mechanical", "USD", None, Decimal("0.124"), Decimal("0.0239"), 300)
