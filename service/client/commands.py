"""Subcommands of stores and societies: post sales and refunds, pull statements."""

import argparse
import csv
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tqdm import tqdm

from service.client import rows_files
from service.client.api import PeriodNotClosed
from service.client.downloads import FORMATS
from service.client.outcome import Connect, ExitCode, Failure

INTEGER_FIELDS = ("quantity",)
PERIOD = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


def period_arg(text: str) -> str:
    """argparse type of a month: YYYY-MM."""
    if not PERIOD.fullmatch(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a month: expected YYYY-MM, e.g. 2006-11")
    return text


def read_sales(path: Path) -> Iterator[dict[str, Any]]:
    """Rows of a CSV with the API's field names; empty cells are left out."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        for row in csv.DictReader(handle):
            sale: dict[str, Any] = {k.strip(): v.strip() for k, v in row.items() if k and v}
            for name in INTEGER_FIELDS:
                if name in sale and sale[name].lstrip("-").isdigit():
                    sale[name] = int(sale[name])
            yield sale


def _count_rows(path: Path) -> int:
    """Data rows of the CSV; reading it whole first also fails early on a file that is not
    UTF-8, before any batch is posted."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            return max(sum(1 for _ in csv.reader(handle)) - 1, 0)
    except UnicodeDecodeError as exc:
        raise Failure(f"{path} is not a UTF-8 CSV file ({exc.reason})", ExitCode.USAGE) from exc


def post_sales(args: argparse.Namespace, connect: Connect) -> int:
    path: Path = args.file
    if rows_files.kind_of(path) == "csv":
        total, rows = _count_rows(path), read_sales(path)
    else:
        listed = rows_files.read_json_rows(path, "sales")
        total, rows = len(listed), iter(listed)
    if total == 0:
        raise Failure(f"{path}: no sales in it, nothing posted", ExitCode.USAGE)
    client = connect()
    progress = tqdm(
        total=total, unit="sale", disable=args.quiet or not sys.stderr.isatty(), file=sys.stderr
    )

    def advance(batch: Any) -> None:
        progress.update(batch.rows)

    try:
        # Counts and rejections are all it prints: the server need not answer every row.
        summary = client.post_sales(
            rows, batch_size=args.batch_size, on_batch=advance, minimal=True
        )
    finally:
        progress.close()
    print(
        f"recorded={summary.recorded} duplicates={summary.duplicates} rejected={summary.rejected}"
    )
    for rejection in summary.rejections:
        error = rejection.get("error") or {}
        print(f"rejected {rejection['sale_id']}: {error.get('code')}: {error.get('detail')}")
    return ExitCode.FAILED if summary.rejected else ExitCode.OK


def read_refunds(path: Path) -> list[Any]:
    """A JSON file (``{"refunds": [...]}``, a list, or one refund) or NDJSON (a refund a
    line). Rows are posted as they are: the ledger answers each bad one as ``invalid``."""
    return rows_files.read_json_rows(path, "refunds")


def post_refunds(args: argparse.Namespace, connect: Connect) -> int:
    refunds = read_refunds(args.file)
    if not refunds:
        raise Failure(f"{args.file}: no refunds in it, nothing posted", ExitCode.USAGE)
    client = connect()
    progress = tqdm(
        total=len(refunds),
        unit="refund",
        disable=args.quiet or not sys.stderr.isatty(),
        file=sys.stderr,
    )

    def advance(batch: Any) -> None:
        progress.update(batch.rows)

    try:
        summary = client.post_refunds(
            refunds, batch_size=args.batch_size, on_batch=advance, minimal=True
        )
    finally:
        progress.close()
    print(
        f"recorded={summary.recorded} duplicates={summary.duplicates} rejected={summary.rejected}"
    )
    for rejection in summary.rejections:
        error = rejection.get("error") or {}
        print(
            f"rejected {rejection.get('refund_id')} (sale {rejection.get('sale_id')}): "
            f"{error.get('code')}: {error.get('detail')}"
        )
    return ExitCode.FAILED if summary.rejected else ExitCode.OK


def pull_statements(args: argparse.Namespace, connect: Connect) -> int:
    try:
        written = connect().pull_statements(args.period, args.out, fmt=args.format)
    except PeriodNotClosed as exc:
        raise Failure(f"nothing pulled: {exc}", ExitCode.NOT_READY) from exc
    for path in written:
        print(path)
    print(f"{len(written)} new statement file(s) written to {args.out}", file=sys.stderr)
    return ExitCode.OK


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a positive integer")
    return value


def register(commands: Any, common: argparse.ArgumentParser, **kwargs: Any) -> None:
    """Add post-sales, post-refunds and pull-statements to the ``commands`` subparsers."""
    post = commands.add_parser(
        "post-sales",
        parents=[common],
        help="post a CSV, JSON or NDJSON file of sales in batches (store token)",
        description="Post a store's sales from a CSV with the API's field names (sale_id, "
        "isrc, territory, sold_at, quantity, unit_price, currency), a JSON file "
        '({"sales": [...]}, a list or one sale) or NDJSON (one sale a line), told apart by '
        "extension (.csv, .json, .ndjson, .jsonl) or content, in batches, retrying "
        "busy answers; a replayed sale_id is a duplicate, never recorded twice. Exits 1 when "
        "any row is rejected, listing each with its code.",
        **kwargs,
    )
    _batch_arguments(post, "CSV (with a header row), JSON or NDJSON file of sales, UTF-8", "sales")
    post.set_defaults(run=post_sales)

    refunds = commands.add_parser(
        "post-refunds",
        parents=[common],
        help="post a JSON or NDJSON file of refunds in batches (store token)",
        description='Post a store\'s refunds from a JSON file ({"refunds": [...]} or a '
        "list) or NDJSON (one refund a line), each {sale_id, refund_id, quantity, "
        "refunded_at}, in batches (POST /v1/refunds), retrying busy answers; a replayed "
        "refund_id is a duplicate, never refunded twice. Exits 1 when any row is "
        "rejected, listing each with its code.",
        **kwargs,
    )
    _batch_arguments(refunds, "JSON or NDJSON file of refunds, UTF-8", "refunds")
    refunds.set_defaults(run=post_refunds)

    pull = commands.add_parser(
        "pull-statements",
        parents=[common],
        help="download a month's statements (society or rights-holder token)",
        description="Download every statement of a closed month the token may read, "
        "skipping those already in --out unchanged (ETag). Exits 4 when the month is open.",
        **kwargs,
    )
    pull.add_argument("--period", type=period_arg, required=True, help="month, YYYY-MM")
    pull.add_argument(
        "--format", choices=sorted(FORMATS), default="csv", help="dsr: a DDEX DSR flat file"
    )
    pull.add_argument("--out", type=Path, default=Path("."), help="directory to write to")
    pull.set_defaults(run=pull_statements)


def _batch_arguments(command: argparse.ArgumentParser, file_help: str, rows: str) -> None:
    """The arguments every batch-posting command takes: its file, batch size, quiet."""
    command.add_argument("file", type=Path, help=file_help)
    command.add_argument("--batch-size", type=_positive, default=1000, help=f"{rows} per request")
    command.add_argument(
        "--quiet", action="store_true", help="no progress bar (shown only on a terminal)"
    )
