"""A DSR line's sale, validated value by value: each distinct value once, not each line.

A line's sale differs from the file's other sales in a few values (the resource's ISRC,
the summary's territory and currency, the price, the units, the sale id), and each of
them recurs on thousands of lines. Each value is judged once by ``SaleIn`` itself, put
in a sale that is valid in every other field (``_PROBE``): ``SaleIn`` has no rule across
fields, so a sale whose every value passed alone passes whole (``tests/sales/dsr_intake/
test_cells.py`` holds the two equal, line by line, valid and invalid). A line with a value
that failed is validated whole, so its rejection names the cell as a posted sale's would.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from service.sales.dsr_intake.parser import Summary
from service.sales.intake.ingest import Row, validate
from service.sales.schemas import SaleIn

_PROBE: dict[str, Any] = {
    "sale_id": "probe",
    "isrc": "USRC17607839",
    "territory": "US",
    "sold_at": "2000-01-01T00:00:00+00:00",
    "quantity": 1,
    "unit_price": "1",
    "currency": "USD",
}
_MAX_SALE_ID = 100  # ``ClientId``'s length; its characters are ours (hex, digits, "-")
_KEPT = 5_000  # distinct ISRCs or prices remembered (~300 bytes each), then forgotten
# Where each field of a sale comes from, for a rejected line's cell.
_SOURCE = {
    "isrc": "ISRC",
    "territory": "Territory",
    "currency": "CurrencyOfReporting",
    "unit_price": "PriceConsumerPaidExcSalesTax",
    "quantity": "Usages",
    "sold_at": "UsageStartDate",
    "sale_id": "MessageId",
}
_FIELDS_SET = frozenset(SaleIn.model_fields)
_new = object.__new__
_set = object.__setattr__


@dataclass(frozen=True, slots=True)
class Rejected:
    cell: str | None
    reason: str


class Cells:
    """The validated values of one file's sales, and its sales assembled from them."""

    def __init__(self, sold_at: str, now: datetime) -> None:
        self.now = now
        self.sold_at_text = sold_at
        self.sold_at: datetime | None = self._judge("sold_at", sold_at)
        self.isrcs: dict[str, str | None] = {}
        self.prices: dict[str, Decimal | None] = {}

    def isrc(self, text: str) -> str | None:
        """``text`` as ``SaleIn`` reads an ISRC; None when it refuses it."""
        return self._cached(self.isrcs, "isrc", text)  # type: ignore[no-any-return]

    def price(self, text: str) -> Decimal | None:
        found: Decimal | None = self.prices.get(text, _UNSEEN)
        if found is _UNSEEN:
            found = self._cached(self.prices, "unit_price", text)
        return found

    def place(self, summary: Summary) -> tuple[str | None, str | None]:
        """The summary's territory and currency as ``SaleIn`` reads them (None: refused)."""
        return self._judge("territory", summary.territory), self._judge(
            "currency", summary.currency
        )

    def sale(
        self,
        sale_id: str,
        isrc: str | None,
        place: tuple[str | None, str | None],
        price: Decimal | None,
        quantity: int,
    ) -> SaleIn | None:
        """The sale of these values (each validated by ``isrc``, ``place`` and ``price``;
        ``quantity`` within ``SaleIn``'s bounds); None when one of them was refused."""
        territory, currency = place
        if (
            isrc is None
            or price is None
            or territory is None
            or currency is None
            or self.sold_at is None
            or len(sale_id) > _MAX_SALE_ID
        ):
            return None
        return _trusted(
            {
                "sale_id": sale_id,
                "isrc": isrc,
                "territory": territory,
                "sold_at": self.sold_at,
                "quantity": quantity,
                "unit_price": price,
                "currency": currency,
            }
        )

    def _cached(self, memo: dict[str, Any], name: str, value: str) -> Any:
        if value in memo:
            return memo[value]
        if len(memo) >= _KEPT:
            memo.clear()  # a file of many distinct values: re-judged, never unbounded
        found = memo[value] = self._judge(name, value)
        return found

    def _judge(self, name: str, value: str) -> Any:
        """``value`` as ``SaleIn`` reads field ``name``; None when it refuses it."""
        row = validate({**_PROBE, name: value}, self.now)
        return None if row.sale is None else getattr(row.sale, name)

    def whole(
        self, sale_id: str, isrc: str, summary: Summary, price: str, quantity: int
    ) -> SaleIn | Rejected:
        """The line's sale validated whole, as a posted sale is: its first error names
        the cell (for a line ``sale`` refused, or any line)."""
        data = {
            "sale_id": sale_id,
            "isrc": isrc,
            "territory": summary.territory,
            "sold_at": self.sold_at_text,
            "quantity": quantity,
            "unit_price": price,
            "currency": summary.currency,
        }
        row = validate(data, self.now)
        return row.sale if row.sale is not None else _first_error(row, summary)


_UNSEEN: Any = object()


def _trusted(values: dict[str, Any]) -> SaleIn:
    """A ``SaleIn`` of values ``SaleIn`` has validated, built as pydantic's own
    ``model_copy`` builds one (``model_construct`` re-walks the fields: ~4x slower, a
    quarter of a line's budget); test_cells checks it equals ``model_validate``'s."""
    sale = _new(SaleIn)
    _set(sale, "__dict__", values)
    _set(sale, "__pydantic_fields_set__", _FIELDS_SET)
    _set(sale, "__pydantic_extra__", None)
    _set(sale, "__pydantic_private__", None)
    return sale


def _first_error(row: Row, summary: Summary) -> Rejected:
    error = row.errors[0] if row.errors else {"loc": [], "msg": "invalid"}
    field = str(error["loc"][0]) if error.get("loc") else None
    cell = _SOURCE.get(field or "", field)
    where = ""
    if field in ("territory", "currency"):
        where = f" ({summary.record_type} {summary.record_id}, line {summary.line})"
    return Rejected(cell, f"{field}{where}: {error['msg']}")
