"""The pricing cache's byte budget, and the memo that keeps within its share of it.

Every entry of the cache (``service.sales.pricing.generation``) is counted at an
approximate size, measured with tracemalloc on the bench catalogue (a size class's entries
dropped, the bytes freed counted; ``tests/sales/test_aged_memo.py`` checks the catalogue's
sizes still hold, docs/dsr-intake.md "Memory" gives the figures), and each part of the
cache keeps within its share of ``BUDGET``.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, overload

# The pricing cache's budget a process, in MB (``configure``; LEDGER_PRICING_CACHE_MB).
# Counted, not RSS: docs/dsr-intake.md ("Memory") gives the RSS a worker reaches with it.
CACHE_MB = 32.0
# Each part's share of the budget. Compiled plans get most: a plan costs a compile to
# rebuild, a dropped catalogue costs a batch a few set queries to reload what it needs.
SHARES = {"compiled": 0.55, "catalogue": 0.20, "plans": 0.10, "claims": 0.05, "memos": 0.10}
# Approximate bytes an entry keeps alive, measured with tracemalloc over the bench
# catalogue (entries freed / bytes freed, by size class; docs/dsr-intake.md, "Memory").
RECORDING_BYTES = 230  # RecordingFacts and its key
ASSET_BYTES = 540  # a share-version list's entry and its validity breaks (~190)
VERSION_BYTES = 150  # a version of an asset
SHARE_ROW_BYTES = 330  # a share row of a version (fitted: 475 B at 1 row, 2,400 at 8)
HOLDER_BYTES = 300  # a holder's mandate list
MANDATE_BYTES = 320  # a mandate
PLAN_BYTES = 700  # a compiled plan, plus LEG_BYTES a leg (fitted: 3,300 B at 3, 11,000 at 12)
LEG_BYTES = 850
LOOKUP_BYTES = 150  # a plan's look-up by (ISRC, territory, currency, date)
CLAIMS_BYTES = 500  # routed shares of one (asset, right type, territory, interval)
MEMO_BYTES = 300  # a tariff, rate or unit royalty memo's entry
BASIS_BYTES = 1_000  # a whole basis (scenarios' re-pricing)


class AgedMemo:
    """A memo within ``budget`` bytes that keeps what is still used: two halves.

    Each entry counts ``size(value)`` bytes (an int: every entry alike). New entries go to
    the young half; when it holds half the budget it becomes the old half (the previous
    old half is dropped, ``on_drop`` is called) and a look-up that finds an entry in the
    old half moves it back to the young one. So a hot entry (a best-selling recording's
    plan) survives every turn, at the cost of one more look-up on a miss, where emptying
    a whole memo would recompute the hot set each time. Reads like a dictionary
    (``get``, ``in``, ``[]``), so that ``None`` can be a remembered answer.
    """

    def __init__(self, budget: int, size: int | Callable[[Any], int] = 1) -> None:
        self.half = max(1, budget // 2)  # bytes of the young half before it turns
        self.size = size
        self.young: dict[Any, Any] = {}
        self.old: dict[Any, Any] = {}
        self.young_bytes = 0
        self.old_bytes = 0
        self.on_drop: list[Callable[[], object]] = []  # run when the old half is dropped

    @property
    def bytes(self) -> int:
        """The approximate bytes the memo's entries keep alive."""
        return self.young_bytes + self.old_bytes

    @overload
    def get(self, key: Any) -> Any | None: ...
    @overload
    def get(self, key: Any, default: Any) -> Any: ...
    def get(self, key: Any, default: Any = None) -> Any:
        found = self.young.get(key, _ABSENT)
        if found is _ABSENT:
            found = self.old.pop(key, _ABSENT)
            if found is _ABSENT:
                return default
            self.old_bytes -= self._size(found)
            self.put(key, found)
        return found

    def __contains__(self, key: Any) -> bool:
        return key in self.young or key in self.old

    def __getitem__(self, key: Any) -> Any:
        found = self.get(key, _ABSENT)
        if found is _ABSENT:
            raise KeyError(key)
        return found

    def __setitem__(self, key: Any, value: Any) -> None:
        self.put(key, value)

    def put(self, key: Any, value: Any) -> None:
        size = self._size(value)
        if self.young_bytes + size > self.half and self.young:
            self.old, self.young = self.young, {}
            self.old_bytes, self.young_bytes = self.young_bytes, 0
            for drop in self.on_drop:
                drop()
        previous = self.young.get(key, _ABSENT)
        if previous is not _ABSENT:
            self.young_bytes -= self._size(previous)
        self.young[key] = value
        self.young_bytes += size

    def clear(self) -> None:
        self.young, self.old = {}, {}
        self.young_bytes = self.old_bytes = 0

    def __len__(self) -> int:
        return len(self.young) + len(self.old)

    def _size(self, value: Any) -> int:
        return self.size if isinstance(self.size, int) else self.size(value)


_ABSENT: Any = object()


def plan_bytes(plan: Any) -> int:
    """A compiled plan's approximate size (``None``, no plan: a look-up's worth)."""
    return LOOKUP_BYTES if plan is None else PLAN_BYTES + LEG_BYTES * len(plan.order)


def catalogue_bytes(
    recordings: dict[str, Any], versions: dict[Any, list[Any]], mandates: dict[str, list[Any]]
) -> int:
    """Approximate bytes these catalogue entries keep alive once cached, validity breaks
    included (tariffs, FX and ECL are a few per territory: not counted)."""
    shares = sum(
        ASSET_BYTES + sum(VERSION_BYTES + SHARE_ROW_BYTES * len(v.rows) for v in listed)
        for listed in versions.values()
    )
    held = sum(HOLDER_BYTES + MANDATE_BYTES * len(m) for m in mandates.values())
    return RECORDING_BYTES * len(recordings) + shares + held


@dataclass(slots=True)
class Budget:
    """The cache's byte budget and each part's share of it."""

    total: int

    def of(self, part: str, memos: int = 1) -> int:
        return int(self.total * SHARES[part] / memos)


BUDGET = Budget(int(CACHE_MB * 2**20))
