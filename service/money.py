"""Exact decimal storage that behaves the same on PostgreSQL and SQLite.

SQLite has no decimal type: NUMERIC columns silently become floats. So money is stored as
an integer count of micro-units (10^-6 of the currency unit, the engine's quantum), which
both engines sum exactly in SQL; rates and shares, never summed in SQL, are stored as
NUMERIC on PostgreSQL and as text on SQLite.
"""

from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

MICRO = Decimal("0.000001")
_MICROS_PER_UNIT = 1_000_000


def to_micros(amount: Decimal) -> int:
    micros = amount * _MICROS_PER_UNIT
    if micros != micros.to_integral_value():
        raise ValueError(f"{amount} has more than 6 fractional digits")
    return int(micros)


def from_micros(micros: int | Decimal) -> Decimal:
    return (Decimal(micros) / _MICROS_PER_UNIT).quantize(MICRO)


class Money(TypeDecorator[Decimal]):
    """A Decimal with exactly six fractional digits, stored as BIGINT micro-units."""

    impl = sa.BigInteger
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> int | None:
        if value is None:
            return None
        return to_micros(Decimal(value))

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return from_micros(Decimal(value))


class ExactDecimal(TypeDecorator[Decimal]):
    """A rate or share: NUMERIC on PostgreSQL, text on SQLite (never a float)."""

    impl = sa.Numeric(24, 12)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.String(40))
        return dialect.type_descriptor(sa.Numeric(24, 12))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        value = Decimal(value)
        return format(value, "f") if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return normalize(Decimal(value))


def normalize(value: Decimal) -> Decimal:
    """Drop trailing zeros without switching to exponent notation (0.150000 -> 0.15)."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()
