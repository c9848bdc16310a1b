"""`royalty-ledger` command line: post a store's sales, pull a society's statements.

The server and token come from --url/--token or LEDGER_URL/LEDGER_TOKEN.
"""

import argparse
import csv
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from tqdm import tqdm

from service.client.api import FORMATS, LedgerClient, LedgerError

INTEGER_FIELDS = ("quantity",)


def read_sales(path: Path) -> Iterator[dict[str, Any]]:
    """Rows of a CSV with the API's field names; empty cells are left out."""
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            sale: dict[str, Any] = {k.strip(): v.strip() for k, v in row.items() if k and v}
            for name in INTEGER_FIELDS:
                if name in sale and sale[name].lstrip("-").isdigit():
                    sale[name] = int(sale[name])
            yield sale


def _count_rows(path: Path) -> int:
    with path.open(newline="", encoding="utf-8") as handle:
        return max(sum(1 for _ in csv.reader(handle)) - 1, 0)


def post_sales(client: LedgerClient, path: Path, batch_size: int, quiet: bool) -> int:
    progress = tqdm(total=_count_rows(path), unit="sale", disable=quiet, file=sys.stderr)

    def advance(batch: Any) -> None:
        progress.update(len(batch.results))

    summary = client.post_sales(read_sales(path), batch_size=batch_size, on_batch=advance)
    progress.close()
    print(
        f"recorded={summary.recorded} duplicates={summary.duplicates} rejected={summary.rejected}"
    )
    for rejection in summary.rejections:
        error = rejection.get("error") or {}
        print(f"rejected {rejection['sale_id']}: {error.get('code')}: {error.get('detail')}")
    return 1 if summary.rejected else 0


def pull_statements(client: LedgerClient, period: str, fmt: str, out: Path) -> int:
    written = client.pull_statements(period, out, fmt=fmt)
    for path in written:
        print(path)
    print(f"{len(written)} statement file(s) written to {out}", file=sys.stderr)
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="royalty-ledger", description=__doc__)
    root.add_argument("--url", default=os.environ.get("LEDGER_URL", "http://127.0.0.1:8000"))
    root.add_argument("--token", default=os.environ.get("LEDGER_TOKEN"))
    commands = root.add_subparsers(dest="command", required=True)
    post = commands.add_parser("post-sales", help="post a CSV of sales in batches (store token)")
    post.add_argument("file", type=Path)
    post.add_argument("--batch-size", type=int, default=1000)
    post.add_argument("--quiet", action="store_true", help="no progress bar")
    pull = commands.add_parser("pull-statements", help="download statements (society token)")
    pull.add_argument("--period", required=True, help="YYYY-MM")
    pull.add_argument("--format", choices=sorted(FORMATS), default="csv")
    pull.add_argument("--out", type=Path, default=Path("."))
    return root


def main(argv: Sequence[str] | None = None, *, client: LedgerClient | None = None) -> int:
    args = parser().parse_args(argv)
    if client is None:
        if not args.token:
            print("a token is needed: --token or LEDGER_TOKEN", file=sys.stderr)
            return 2
        client = LedgerClient(args.url, args.token)
    try:
        if args.command == "post-sales":
            return post_sales(client, args.file, args.batch_size, args.quiet)
        return pull_statements(client, args.period, args.format, args.out)
    except LedgerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
