"""The statement page's verify panel: #13's verifier run server-side for the signed-in party.

The checks are the ones `royalty-ledger verify-statement` makes (``service.proofs.verifier``),
fed in-process instead of over HTTP, and reported one by one (pass/fail, and on failure
the leaf or line the verifier names) rather than stopping at the first mismatch.
"""

import base64
import random
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session

from service.proofs.verifier import (
    Mismatch,
    check_consistency,
    check_inclusion,
    check_lines,
    check_sth,
    transaction_leaf,
)
from service.statements import evidence
from service.statements.models import Statement
from service.statements.render.lines import line_page, line_values
from service.timeutil import utcnow
from service.transparency import checkpoints
from service.transparency import service as transparency
from service.transparency.schemas import sth_public
from service.transparency.signing import OperatorKey

# Inclusion proofs checked per run, as the CLI's default ``--sample``.
SAMPLE = 200
# Statements up to this many lines are verified as the page loads: the check costs about
# 0.5 ms a line (bench.portal: +8 ms on a demo statement, +400-550 ms on 1,000 lines),
# so bigger ones wait for the "verify now" button and the page stays under 300 ms.
AUTO_LINES = 200
# Failed leaves named on the page: enough to find them, not a wall of numbers.
_NAMED = 10
# Passing results kept per (statement, key, sample|all): a closed statement never changes,
# so filtering, sorting or paging its lines shows the result already computed.
CACHED = 512


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    detail: str


@dataclass(slots=True)
class Panel:
    """What the panel shows before anything is verified (cheap: a few queries)."""

    sth: dict[str, Any] | None
    public_key: str  # base64 of the 32 raw bytes
    key_id: str
    command: str  # the society's own check, copyable
    sample: int = SAMPLE
    # The witnesses (key names) whose cosignatures of the pinned head's checkpoint the
    # ledger holds (docs/transparency.md §10); the society's CLI checks them itself.
    cosigners: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Result:
    checks: list[Check] = field(default_factory=list)
    transactions: int = 0
    lines: int = 0
    sampled: int = 0
    all_leaves: bool = False
    millis: int = 0
    checked_at: datetime = field(default_factory=utcnow)

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)


def panel(*, session: Session, statement: Statement, key: OperatorKey, base_url: str) -> Panel:
    pinned = transparency.of_period(session=session, period=statement.period)
    public_key = base64.b64encode(key.public).decode()
    command = (
        f"LEDGER_URL={base_url.rstrip('/')} royalty-ledger verify-statement {statement.id} "
        f"--public-key {public_key} --trusted-sth trusted-sth.json"
    )
    sth = None if pinned is None else sth_public(pinned).model_dump()
    cosigners = (
        []
        if pinned is None
        else [
            c.witness_vkey.split("+", 1)[0]
            for c in checkpoints.cosignatures(
                session=session, size=pinned.tree_size, root_hex=pinned.root_hash
            )
        ]
    )
    return Panel(
        sth=sth, public_key=public_key, key_id=key.key_id, command=command, cosigners=cosigners
    )


def _lines(session: Session, statement: Statement) -> Iterator[dict[str, Any]]:
    after = 0
    while page := line_page(session, statement.id, after=after, limit=1000):
        for line in page:
            yield line_values(line, statement)
        after = page[-1].line_no


def _inclusion(
    session: Session, records: Sequence[Mapping[str, Any]], sth: Mapping[str, Any], sample: int
) -> tuple[Check, int]:
    """Recompute each sampled transaction's leaf from the evidence and check its proof."""
    leaves = {int(r["leaf_index"]): transaction_leaf(r) for r in records}
    chosen = sorted(leaves)
    if sample < len(chosen):
        chosen = sorted(random.SystemRandom().sample(chosen, sample))
    size, failed = int(sth["tree_size"]), []
    for index in chosen:
        _, proof = transparency.inclusion(session=session, leaf_index=index, size=size)
        try:
            check_inclusion(
                leaf_index=index, leaf=leaves[index], proof=[p.hex() for p in proof], sth=sth
            )
        except Mismatch:
            failed.append(index)
    name = f"Inclusion proofs of {len(chosen)} of {len(leaves)} transactions"
    if failed:
        named = ", ".join(str(i) for i in failed[:_NAMED])
        more = f" and {len(failed) - _NAMED} more" if len(failed) > _NAMED else ""
        detail = (
            f"{len(failed)} leaf/leaves not included in the tree of size {size}: "
            f"leaf {named}{more} (leaf = ledger sequence - 1)"
        )
        return Check(name, False, detail), len(chosen)
    return Check(name, True, f"every sampled leaf is in the tree of size {size}"), len(chosen)


def _attempt(name: str, passed: str, check: Any, *args: Any, **kwargs: Any) -> Check:
    try:
        check(*args, **kwargs)
    except Mismatch as exc:
        return Check(name, False, str(exc))
    return Check(name, True, passed)


def run(
    *, session: Session, statement: Statement, key: OperatorKey, sample: int | None = SAMPLE
) -> Result:
    """Every check, each reported (``sample``: inclusion proofs of that many random
    transactions; None: all of them)."""
    started = time.perf_counter()
    head, *records = list(evidence.records(session, statement, after=-1))
    result = Result(transactions=len(records), all_leaves=sample is None)
    sth = head.get("sth")
    if sth is None:
        result.checks.append(Check("Signed tree head", False, "the statement pins none"))
        return result
    result.checks.append(
        _attempt(
            "Signed tree head",
            f"Ed25519 signature valid under key {key.key_id[:16]}…",
            check_sth,
            sth,
            key.public,
        )
    )
    latest = sth_public(transparency.latest(session=session, key=key)).model_dump()
    proof = transparency.consistency(
        session=session, first=max(1, int(sth["tree_size"])), second=int(latest["tree_size"])
    )
    result.checks.append(
        _attempt(
            "The log today extends the pinned tree",
            f"consistency proof from size {sth['tree_size']} to {latest['tree_size']}",
            check_consistency,
            old=sth,
            new=latest,
            proof=[p.hex() for p in proof],
        )
    )
    check, result.sampled = _inclusion(session, records, sth, sample or len(records))
    result.checks.append(check)
    lines = list(_lines(session, statement))
    result.lines = len(lines)
    result.checks.append(
        _attempt(
            f"Every line re-derived from its ledger legs ({len(lines)} lines)",
            f"{len(lines)} lines re-added from {len(records)} transactions",
            check_lines,
            lines,
            records,
            statement.currency,
        )
    )
    result.millis = round((time.perf_counter() - started) * 1000)
    return result


class _Results:
    """A small thread-safe LRU of passing results (a failure is checked again each time)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._kept: OrderedDict[tuple[str, str, str], Result] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str, str]) -> Result | None:
        with self._lock:
            found = self._kept.get(key)
            if found is not None:
                self._kept.move_to_end(key)
            return found

    def put(self, key: tuple[str, str, str], result: Result) -> None:
        if not result.ok:
            return
        with self._lock:
            self._kept[key] = result
            self._kept.move_to_end(key)
            while len(self._kept) > self._size:
                self._kept.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()


results = _Results(CACHED)


def on_page(
    *, session: Session, statement: Statement, key: OperatorKey, asked: str
) -> Result | None:
    """What the page shows: a run when asked (``sample`` or ``all``), or unasked for a
    statement small enough to verify as the page loads; None: the button only.

    Unasked, the last passing result for the statement is shown again; pressing a button
    always runs the checks anew (and keeps that result)."""
    if not asked and statement.line_count > AUTO_LINES:
        return None
    mode = "all" if asked == "all" else "sample"
    cache_key = (statement.id, key.key_id, mode)
    if not asked:
        kept = results.get(cache_key) or results.get((statement.id, key.key_id, "all"))
        if kept is not None:
            return kept
    sample = None if mode == "all" else SAMPLE
    result = run(session=session, statement=statement, key=key, sample=sample)
    results.put(cache_key, result)
    return result
