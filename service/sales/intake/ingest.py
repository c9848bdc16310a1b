"""Reading a sales body (a bare JSON sale, a JSON batch, NDJSON or CSV) and a refund
batch (``{"refunds": [...]}``, JSON).

A body that cannot be read as rows at all is one problem (400/413/415/422); a row that
can be read but not validated becomes an ``invalid`` result of its own, so one bad row
never sinks the batch.
"""

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from pydantic import ValidationError

from service.errors import validation_errors
from service.sales.exceptions import (
    BatchTooLarge,
    BodyInvalid,
    Malformed,
    UnsupportedBody,
)
from service.sales.refunds.schemas import RefundRowIn
from service.sales.schemas import MAX_BATCH, SALE_FIELDS, RefundIn, SaleIn

JSON_TYPES = ("application/json",)
NDJSON_TYPES = ("application/x-ndjson", "application/ndjson", "application/jsonl")
CSV_TYPES = ("text/csv",)
# json.loads recurses per nesting level; a sale is two levels deep, so a body deep enough
# to exhaust the interpreter's stack is refused as malformed rather than crashing.
_TOO_DEEP = "The body nests too deeply to be a sale or a batch."
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class Row:
    """One row of a body: a valid sale, or the reasons it is not one."""

    sale_id: str | None
    sale: SaleIn | None
    errors: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class RefundRow:
    """One refund of a batch: the sale it names and the refund, or why it is not one."""

    sale_id: str | None
    refund_id: str | None
    refund: RefundIn | None
    errors: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Body:
    bare: bool  # a single sale object (answered with its result or a problem)
    rows: list[Row]


def parse(body: bytes, content_type: str | None, *, now: datetime) -> Body:
    media = (content_type or "application/json").split(";")[0].strip().lower()
    text = _decode(body)
    if media in JSON_TYPES or media.endswith("+json"):
        return _json_body(text, now)
    if media in NDJSON_TYPES:
        return Body(False, _counted([_ndjson_row(line, now) for line in _lines(text)]))
    if media in CSV_TYPES:
        return Body(False, _csv_rows(text, now))
    raise UnsupportedBody(
        f"Cannot read {media!r}; send application/json, application/x-ndjson or text/csv."
    )


def _decode(body: bytes) -> str:
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Malformed(f"The body is not UTF-8 ({exc.reason} at byte {exc.start}).") from None


def _counted(rows: list[_T]) -> list[_T]:
    if len(rows) > MAX_BATCH:
        raise BatchTooLarge(
            f"{len(rows)} rows; a batch holds at most {MAX_BATCH}. Split it.",
            rows=len(rows),
            max_rows=MAX_BATCH,
        )
    return rows


def _load_json(text: str) -> Any:
    try:
        return json.loads(text, parse_float=str)
    except RecursionError:
        raise Malformed(_TOO_DEEP) from None
    except json.JSONDecodeError as exc:
        raise Malformed(
            f"The body is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})."
        ) from None


def _json_body(text: str, now: datetime) -> Body:
    data = _load_json(text)
    if not isinstance(data, dict):
        raise BodyInvalid(
            'Send one sale object or {"sales": [...]}.',
            errors=[{"loc": ["body"], "msg": "expected an object"}],
        )
    if "sales" not in data:
        return Body(True, [validate(data, now)])
    extra = sorted(set(data) - {"sales"})
    if extra or not isinstance(data["sales"], list):
        raise BodyInvalid(
            'A batch is {"sales": [...]} and nothing else.',
            errors=[
                {"loc": ["body", *(extra or ["sales"])], "msg": "expected only a list `sales`"}
            ],
        )
    items = data["sales"]
    _counted(items)
    return Body(False, [validate(item, now) for item in items])


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def _ndjson_row(line: str, now: datetime) -> Row:
    try:
        data = json.loads(line, parse_float=str)
    except RecursionError:
        return Row(None, None, [{"loc": [], "msg": _TOO_DEEP}])
    except json.JSONDecodeError as exc:
        return Row(None, None, [{"loc": [], "msg": f"not a JSON object: {exc.msg}"}])
    return validate(data, now)


def _csv_rows(text: str, now: datetime) -> list[Row]:
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None:
        return []
    names = [name.strip() for name in header]
    missing = [f for f in SALE_FIELDS if f not in names]
    unknown = [n for n in names if n not in SALE_FIELDS]
    if missing or unknown or len(set(names)) != len(names):
        raise BodyInvalid(
            f"The CSV header must name exactly the fields {', '.join(SALE_FIELDS)}.",
            errors=[{"loc": ["body", "header"], "msg": f"missing {m}"} for m in missing]
            + [{"loc": ["body", "header"], "msg": f"unknown column {u}"} for u in unknown],
        )
    rows: list[Row] = []
    for cells in reader:
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(names):
            sale_id = cells[names.index("sale_id")] if len(cells) > names.index("sale_id") else None
            rows.append(
                Row(
                    sale_id,
                    None,
                    [{"loc": [], "msg": f"{len(cells)} cells, {len(names)} expected"}],
                )
            )
        else:
            rows.append(validate(dict(zip(names, cells, strict=True)), now))
        _counted(rows)
    return rows


def validate(data: object, now: datetime) -> Row:
    """One row through ``SaleIn``, plus the rule the schema cannot know: not in the future."""
    sale_id = data.get("sale_id") if isinstance(data, dict) else None
    sale_id = sale_id if isinstance(sale_id, str) else None
    if not isinstance(data, dict):
        return Row(None, None, [{"loc": [], "msg": "a sale is a JSON object"}])
    try:
        sale = SaleIn.model_validate(data)
    except ValidationError as exc:
        return Row(sale_id, None, validation_errors(exc.errors(include_url=False)))
    if sale.sold_at > now:
        return Row(sale.sale_id, None, [{"loc": ["sold_at"], "msg": "is in the future"}])
    return Row(sale.sale_id, sale)


def parse_refunds(body: bytes, content_type: str | None) -> list[RefundRow]:
    """A refund batch's rows; a body that is not ``{"refunds": [...]}`` is one problem."""
    media = (content_type or "application/json").split(";")[0].strip().lower()
    if media not in JSON_TYPES and not media.endswith("+json"):
        raise UnsupportedBody(f'Cannot read {media!r}; send application/json {{"refunds": [...]}}.')
    data = _load_json(_decode(body))
    if (
        not isinstance(data, dict)
        or set(data) != {"refunds"}
        or not isinstance(data["refunds"], list)
    ):
        extra = sorted(set(data) - {"refunds"}) if isinstance(data, dict) else []
        raise BodyInvalid(
            'A refund batch is {"refunds": [...]} and nothing else.',
            errors=[
                {"loc": ["body", *(extra or ["refunds"])], "msg": "expected only a list `refunds`"}
            ],
        )
    return [_refund_row(item) for item in _counted(data["refunds"])]


def _refund_row(data: object) -> RefundRow:
    if not isinstance(data, dict):
        return RefundRow(None, None, None, [{"loc": [], "msg": "a refund is a JSON object"}])
    sale_id, refund_id = (
        value if isinstance(value := data.get(name), str) else None
        for name in ("sale_id", "refund_id")
    )
    try:
        row = RefundRowIn.model_validate(data)
    except ValidationError as exc:
        return RefundRow(sale_id, refund_id, None, validation_errors(exc.errors(include_url=False)))
    return RefundRow(row.sale_id, row.refund_id, row)
