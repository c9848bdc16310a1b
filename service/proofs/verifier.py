"""The verifier's core: everything a party needs to check the operator's claims, with no
database, web framework or ledger code (``merkle`` and ``cryptography`` only), so a society
can vendor ``merkle.py`` and this file. ``docs/transparency.md`` specifies every byte.

- ``leg_line``/``commitment``/``header_bytes``/``leaf_data``: a leaf's exact bytes;
- ``sth_message``/``check_sth``: an STH's signed bytes and its Ed25519 signature;
- ``check_inclusion``/``check_consistency``: RFC 9162 proofs against an STH's root.
"""

import base64
import hashlib
import random
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Context, Decimal, Inexact
from typing import Any, Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from service.proofs import merkle

LEAF_PREFIX = b"royalty-ledger/leaf/v1\n"
_MICRO = Decimal("0.000001")
# Wide enough that a rate times a month's sum is exact (Inexact would raise otherwise).
_EXACT = Context(prec=80, traps=[Inexact])
# A leg's fields in the order its canonical line writes them, with each one's kind.
LEG_FIELDS: tuple[tuple[str, str], ...] = (
    ("account", "text"),
    ("currency", "text"),
    ("amount", "money"),
    ("sale_pk", "int"),
    ("right_type", "text"),
    ("isrc", "text"),
    ("iswc", "text"),
    ("territory", "text"),
    ("holder_id", "text"),
    ("society_code", "text"),
    ("non_member", "flag"),
    ("suspense_reason", "text"),
    ("share", "decimal"),
    ("units", "int"),
    ("gross", "money"),
)


class Mismatch(Exception):
    """A check failed; the message names what (line, leaf, STH)."""


def _text(value: str | None) -> str:
    return "-" if value is None else f"{len(value)}:{value}"


def _decimal(value: Any) -> str:
    """Without trailing zeros (``0.50`` → ``0.5``; an integral value as ``10``), as Python's
    ``str(Decimal.normalize())`` writes it."""
    number = Decimal(str(value))
    if number == number.to_integral_value():
        return str(number.quantize(Decimal(1)))
    return str(number.normalize())


def _field(kind: str, value: Any) -> str:
    if kind == "text":
        return _text(value)
    if kind == "flag":
        return "T" if value else "F"
    if value is None:
        return "-"
    if kind == "money":
        return str(Decimal(str(value)).quantize(_MICRO))
    if kind == "decimal":
        return _decimal(value)
    return str(int(value))


def leg_line(leg: Mapping[str, Any]) -> str:
    """A leg's canonical line: its fields in ``LEG_FIELDS`` order joined by ``|``."""
    return "|".join(_field(kind, leg.get(name)) for name, kind in LEG_FIELDS)


def commitment(salt: bytes, line: str) -> bytes:
    """SHA-256(salt ‖ UTF-8 leg line): hides the leg from whoever lacks the salt."""
    return hashlib.sha256(salt + line.encode()).digest()


def timestamp_text(moment: datetime) -> str:
    """A header's ``created_at``: ISO 8601 in UTC with microseconds and ``+00:00``."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def header_bytes(
    *,
    sequence: int,
    kind: str,
    reference: str,
    period: str,
    adjustment: bool,
    created_at: datetime | str,
) -> bytes:
    stamp = created_at if isinstance(created_at, str) else timestamp_text(created_at)
    fields = (str(sequence), _text(kind), _text(reference), _text(period))
    return "|".join((*fields, "T" if adjustment else "F", stamp)).encode()


HEADER_FIELDS = ("sequence", "kind", "reference", "period", "adjustment", "created_at")


def header_of(fields: Mapping[str, Any]) -> bytes:
    """``header_bytes`` of a mapping holding (at least) the ``HEADER_FIELDS``."""
    return header_bytes(**{name: fields[name] for name in HEADER_FIELDS})


def leaf_data(header: bytes, commitments: Sequence[bytes]) -> bytes:
    """Prefix ‖ header ‖ LF ‖ the legs' 32-byte commitments in ascending byte order."""
    return LEAF_PREFIX + header + b"\n" + b"".join(sorted(commitments))


def sth_message(tree_size: int, timestamp: str, root_hash: str) -> bytes:
    return f"royalty-ledger/sth/v1\n{tree_size}\n{timestamp}\n{root_hash}\n".encode("ascii")


def key_id(public_key: bytes) -> str:
    return hashlib.sha256(public_key).hexdigest()


def check_sth(sth: Mapping[str, Any], public_key: bytes) -> None:
    """Raise ``Mismatch`` unless ``sth`` is signed by ``public_key`` (32 raw bytes)."""
    if sth.get("key_id") != key_id(public_key):
        raise Mismatch(f"STH of size {sth.get('tree_size')}: signed by another key")
    message = sth_message(int(sth["tree_size"]), str(sth["timestamp"]), str(sth["root_hash"]))
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(
            base64.b64decode(sth["signature"]), message
        )
    except (InvalidSignature, ValueError) as exc:
        raise Mismatch(f"STH of size {sth['tree_size']}: bad signature") from exc


def check_inclusion(
    *, leaf_index: int, leaf: bytes, proof: Sequence[str], sth: Mapping[str, Any]
) -> None:
    size, root = int(sth["tree_size"]), bytes.fromhex(sth["root_hash"])
    hashes = [bytes.fromhex(h) for h in proof]
    if not merkle.verify_inclusion(leaf_index, size, leaf, hashes, root):
        raise Mismatch(f"leaf {leaf_index}: not included in the tree of size {size}")


def check_consistency(
    *, old: Mapping[str, Any], new: Mapping[str, Any], proof: Sequence[str]
) -> None:
    first, second = int(old["tree_size"]), int(new["tree_size"])
    ok = merkle.verify_consistency(
        first,
        second,
        bytes.fromhex(old["root_hash"]),
        bytes.fromhex(new["root_hash"]),
        [bytes.fromhex(h) for h in proof],
    )
    if not ok:
        raise Mismatch(f"the tree of size {second} does not extend the one of size {first}")


# --- a statement, line by line ---------------------------------------------------------

# What a statement line is summed over (docs/transparency.md, "Re-deriving a line").
LINE_KEY = ("isrc", "iswc", "territory", "right_type", "holder_id", "share", "non_member")
NOT_ROYALTY = frozenset({"payment", "fx_conversion"})


class Source(Protocol):
    """Where the verifier reads the operator's answers (HTTP in the CLI, anything in tests)."""

    def evidence(self, statement_id: str) -> Iterable[Mapping[str, Any]]: ...
    def lines(self, statement_id: str) -> Iterable[Mapping[str, Any]]: ...
    def inclusion(self, leaf_index: int, tree_size: int) -> Sequence[str]: ...
    def consistency(self, first: int, second: int) -> Sequence[str]: ...


@dataclass
class Verdict:
    statement_id: str
    sth: Mapping[str, Any]
    lines: int = 0
    transactions: int = 0
    proofs: int = 0
    converted: tuple[str, ...] = ()  # the other currencies whose conversions were checked


def transaction_leaf(record: Mapping[str, Any]) -> bytes:
    """A transaction record's leaf hash: its own legs re-encoded and committed with their
    salts, the others' commitments as given."""
    header = header_of(record["header"])
    own = [commitment(bytes.fromhex(leg["salt"]), leg_line(leg)) for leg in record["legs"]]
    return merkle.leaf_hash(
        leaf_data(header, own + [bytes.fromhex(c) for c in record["commitments"]])
    )


def _key(values: Mapping[str, Any]) -> tuple[Any, ...]:
    share = values.get("share")
    return tuple(
        None if share is None else Decimal(str(share)) if name == "share" else values.get(name)
        for name in LINE_KEY
    )


@dataclass
class _Expected:
    own: dict[tuple[Any, ...], Decimal]  # line key + adjustment -> legs in the currency
    converted: dict[bool, Decimal]  # adjustment -> conversions' arrivals in the currency
    # line key + adjustment -> (other currency, rate) -> the legs' sum in that currency
    foreign: dict[tuple[Any, ...], dict[tuple[str, Decimal], Decimal]]
    residual: dict[tuple[str, bool], Decimal]  # other currency -> what no conversion took


def convert(amount: Decimal, rate: Decimal) -> Decimal:
    """The close's rule: a sum in another currency times its rate, exactly, then rounded
    half-even to the micro-unit (once per line, currency and rate)."""
    return _EXACT.multiply(amount, rate).quantize(_MICRO, rounding=ROUND_HALF_EVEN)


def _rate_of(record: Mapping[str, Any], leg: Mapping[str, Any]) -> Decimal:
    if leg.get("rate") is None:
        raise Mismatch(
            f"leaf {record['leaf_index']}: a royalty leg in {leg['currency']} without the "
            "rate the close converted it at"
        )
    return Decimal(str(leg["rate"]))


def _expected_lines(records: Sequence[Mapping[str, Any]], currency: str) -> _Expected:
    """What the evidence says the statement's lines must be (``_Expected``)."""
    found = _Expected(
        defaultdict(Decimal), defaultdict(Decimal), defaultdict(dict), defaultdict(Decimal)
    )
    for record in records:
        flag, kind = bool(record["header"]["adjustment"]), record["header"]["kind"]
        for leg in record["legs"]:
            amount, other = Decimal(leg["amount"]), leg["currency"] != currency
            if kind == "fx_conversion":
                if other:
                    found.residual[(leg["currency"], flag)] += amount
                else:
                    found.converted[flag] += amount
            if kind in NOT_ROYALTY or leg.get("right_type") is None:
                continue
            key = (*_key(leg), flag)
            if other:
                parts = found.foreign[key]
                part = (leg["currency"], _rate_of(record, leg))
                parts[part] = parts.get(part, Decimal(0)) + amount
                found.residual[(leg["currency"], flag)] += amount
            else:
                found.own[key] += amount
    return found


def _line_total(expected: _Expected, key: tuple[Any, ...]) -> Decimal:
    """A line re-derived: its legs in the currency plus each (currency, rate) part converted."""
    parts = expected.foreign.get(key, {})
    total = expected.own.get(key, Decimal(0))
    return total + sum((convert(amount, rate) for (_, rate), amount in parts.items()), Decimal(0))


def check_lines(
    lines: Sequence[Mapping[str, Any]], records: Sequence[Mapping[str, Any]], currency: str
) -> None:
    """Every line equals the sum of its legs, those in another currency converted by the
    close's rule at the rates the evidence gives; every foreign royalty was converted, and
    the converted lines add up to what the conversions booked."""
    expected = _expected_lines(records, currency)
    unconverted = {k: v for k, v in expected.residual.items() if v != 0}
    if unconverted:
        (other, flag), amount = next(iter(unconverted.items()))
        raise Mismatch(
            f"royalties in {other} (adjustment={flag}) and their conversions differ by {amount}"
        )
    converted_lines: dict[bool, Decimal] = defaultdict(Decimal)
    seen = set()
    for number, line in enumerate(lines, start=1):
        key = (*_key(line), bool(line["adjustment"]))
        seen.add(key)
        royalty, derived = Decimal(line["royalty"]), _line_total(expected, key)
        if derived != royalty:
            how = ", converted at their rates," if key in expected.foreign else ""
            raise Mismatch(
                f"line {number}: royalty {royalty} but its ledger legs{how} add up to {derived}"
            )
        if key in expected.foreign:
            converted_lines[key[-1]] += royalty - expected.own.get(key, Decimal(0))
    missing = [k for k in {*expected.own, *expected.foreign} if k not in seen]
    missing = [k for k in missing if _line_total(expected, k) != 0]
    if missing:
        raise Mismatch(f"ledger legs with no line on the statement: {missing[0]}")
    converted = expected.converted
    for flag in set(converted) | set(converted_lines):
        if converted[flag] != converted_lines[flag]:
            raise Mismatch(
                f"converted lines (adjustment={flag}) add up to {converted_lines[flag]}, the "
                f"conversions booked {converted[flag]}"
            )


def check_trusted(
    source: Source, pinned: Mapping[str, Any], trusted: Mapping[str, Any] | None
) -> Mapping[str, Any]:
    """Consistency between the pinned STH and the last one trusted; the one to trust next."""
    if trusted is None or int(trusted["tree_size"]) == 0 or int(pinned["tree_size"]) == 0:
        return (
            pinned if trusted is None else max(trusted, pinned, key=lambda s: int(s["tree_size"]))
        )
    old, new = sorted((trusted, pinned), key=lambda s: int(s["tree_size"]))
    check_consistency(
        old=old, new=new, proof=source.consistency(int(old["tree_size"]), int(new["tree_size"]))
    )
    return new


def verify_statement(
    source: Source,
    statement_id: str,
    public_key: bytes,
    *,
    sample: int | None,
    trusted: Mapping[str, Any] | None = None,
    rng: random.Random | None = None,
) -> tuple[Verdict, Mapping[str, Any]]:
    """Check a statement end to end (``sample``: that many random inclusion proofs, None:
    all); raises ``Mismatch`` naming the line or leaf. Returns the verdict and the STH to
    trust from now on."""
    head, *records = list(source.evidence(statement_id))
    sth = head.get("sth")
    if sth is None:
        raise Mismatch(f"statement {statement_id} pins no signed tree head")
    check_sth(sth, public_key)
    if trusted is not None:
        check_sth(trusted, public_key)
    to_trust = check_trusted(source, sth, trusted)
    leaves = {int(r["leaf_index"]): transaction_leaf(r) for r in records}
    chosen = sorted(leaves)
    if sample is not None and sample < len(chosen):
        chosen = sorted((rng or random.SystemRandom()).sample(chosen, sample))
    size = int(sth["tree_size"])
    for index in chosen:
        check_inclusion(
            leaf_index=index, leaf=leaves[index], proof=source.inclusion(index, size), sth=sth
        )
    lines = list(source.lines(statement_id))
    check_lines(lines, records, head["currency"])
    others = {leg["currency"] for r in records for leg in r["legs"]} - {head["currency"]}
    verdict = Verdict(
        statement_id, sth, len(lines), len(records), len(chosen), tuple(sorted(others))
    )
    return verdict, to_trust
