"""Sorting a batch's rows before anything is priced: invalid rows, sale_ids repeated
inside the batch, sale_ids the store already recorded (duplicate or conflict), and the
batch's final counts."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from service.ledger.periods import Booking
from service.sales.intake.ingest import Row
from service.sales.repository import COMPARED, StoredSale
from service.sales.results import BatchOutcome, Rejection, Royalty, SaleOutcome
from service.sales.schemas import SaleIn


def differences(stored: StoredSale | SaleIn, sent: SaleIn) -> list[str]:
    """Fields whose values differ (instants and amounts compared by value)."""
    return [name for name in COMPARED if getattr(stored, name) != getattr(sent, name)]


def rejected(sale_id: str | None, code: str, detail: str, **extra: Any) -> SaleOutcome:
    return SaleOutcome(sale_id, "rejected", Rejection(code, detail, **extra))


def _conflict(sale_id: str, fields: Iterable[str], where: str) -> SaleOutcome:
    return rejected(
        sale_id,
        "conflict",
        f"sale_id {sale_id} was {where} with a different {', '.join(fields)}.",
    )


@dataclass(slots=True)
class Batch:
    """A batch's rows and each one's outcome as it is decided (``None``: not yet)."""

    store_code: str
    rows: Sequence[Row]
    results: list[SaleOutcome | None]
    duplicates: dict[int, int] = field(default_factory=dict)  # row -> pk it replays
    first: dict[str, int] = field(default_factory=dict)  # sale_id -> its first row
    repeats: list[tuple[int, int]] = field(default_factory=list)  # (row, first row)

    @classmethod
    def of(cls, store_code: str, rows: Sequence[Row]) -> "Batch":
        """Invalid rows rejected; every other row is a first sight or a repeat."""
        batch = cls(store_code, rows, [None] * len(rows))
        for i, row in enumerate(rows):
            if row.sale is None:
                detail = "; ".join(
                    f"{'.'.join(map(str, e['loc'])) or 'row'}: {e['msg']}" for e in row.errors
                )
                batch.results[i] = rejected(row.sale_id, "invalid", detail, errors=row.errors)
            elif row.sale.sale_id in batch.first:
                batch.repeats.append((i, batch.first[row.sale.sale_id]))
            else:
                batch.first[row.sale.sale_id] = i
        return batch

    def fresh(self, stored: dict[str, StoredSale]) -> list[int]:
        """Rows of sale_ids not recorded yet; the others are classified against ``stored``."""
        fresh = []
        for sale_id, i in self.first.items():
            sale = self.rows[i].sale
            assert sale is not None
            if sale_id in stored:
                self.classify(i, stored[sale_id], sale)
            else:
                fresh.append(i)
        return fresh

    def classify(self, index: int, stored: StoredSale, sent: SaleIn) -> None:
        """A row whose sale_id is recorded: duplicate if unchanged, else conflict."""
        changed = differences(stored, sent)
        if changed:
            self.results[index] = _conflict(sent.sale_id, changed, "already recorded")
        else:
            assert stored.id is not None
            self.duplicates[index] = stored.id

    def finish(
        self,
        replayed: dict[int, tuple[list[Royalty], int | None]],
        booked: dict[int, Booking],
    ) -> BatchOutcome[SaleOutcome]:
        """Duplicates answered with their first royalties, leaf and booking, repeats with their
        first row's outcome; the counts."""
        for i, pk in self.duplicates.items():
            royalties, leaf_index = replayed.get(pk, ([], None))  # absent: not read back
            self.results[i] = SaleOutcome(
                self.rows[i].sale_id,
                "duplicate",
                royalties=royalties,
                leaf_index=leaf_index,
                booking=booked.get(pk),
            )
        for i, j in self.repeats:
            self.results[i] = _repeat(self.rows[i], self.rows[j], self.results[j])
        results = [r for r in self.results if r is not None]
        assert len(results) == len(self.rows)
        return BatchOutcome(results)


def _repeat(row: Row, first_row: Row, first: SaleOutcome | None) -> SaleOutcome:
    """A sale_id seen earlier in the same batch takes that row's outcome."""
    assert row.sale is not None and first_row.sale is not None and first is not None
    changed = differences(first_row.sale, row.sale)
    if changed:
        return _conflict(row.sale.sale_id, changed, "sent earlier in this batch")
    if first.status == "rejected":
        return first
    return SaleOutcome(
        row.sale.sale_id,
        "duplicate",
        royalties=first.royalties,
        leaf_index=first.leaf_index,
        booking=first.booking,
    )
