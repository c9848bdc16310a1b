"""`royalty-ledger import-cwr FILE`: register works from a CISAC CWR file (admin token)."""

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import Any

from service.client.api import LedgerClient, LedgerError
from service.client.outcome import Connect, ExitCode

PATH = "/v1/catalog/cwr"


def _post(client: LedgerClient, body: bytes, *, accept: str, valid_from: date | None) -> Any:
    # The import is idempotent (a file imported again changes nothing), so the client's
    # retries on busy answers and dropped connections are safe.
    params = {"valid_from": valid_from.isoformat()} if valid_from else {}
    response = client._request(
        "POST",
        PATH,
        content=body,
        params=params,
        headers={"Content-Type": "text/plain", "Accept": accept},
    )
    if response.status_code != 200:
        raise LedgerError(response)
    return response


def import_cwr(args: argparse.Namespace, connect: Connect) -> int:
    body = args.file.read_bytes()
    client = connect()
    if args.ack is not None:
        text = _post(client, body, accept="text/plain", valid_from=args.valid_from).text
        args.ack.write_text(text, encoding="ascii", newline="")
        print(f"CWR acknowledgement written to {args.ack}", file=sys.stderr)
        rejected = any(x.startswith("ACK") and x.endswith("RJ") for x in text.splitlines())
        return ExitCode.FAILED if rejected else ExitCode.OK
    ack = _post(client, body, accept="application/json", valid_from=args.valid_from).json()
    for tx in ack["acknowledgements"]:
        print(f"{tx['status']}  {tx['iswc'] or '-':<15}  {tx['title']}")
        for m in tx["messages"]:
            where = f"{m['record_type']} line {m['line']}" + (
                f" {m['field']}" if m["field"] else ""
            )
            print(f"      {where}: {m['text']}")
    print(
        f"{ack['transactions']} transaction(s): {ack['accepted']} accepted, "
        f"{ack['accepted_with_changes']} accepted with changes, {ack['rejected']} rejected; "
        f"{ack['changed']} changed the catalogue",
        file=sys.stderr,
    )
    return ExitCode.FAILED if ack["rejected"] else ExitCode.OK


def register(commands: Any, common: argparse.ArgumentParser, **kwargs: Any) -> None:
    command = commands.add_parser(
        "import-cwr",
        parents=[common],
        help="register works from a CISAC CWR 2.1/2.2 file (admin token)",
        description="Post a CWR file (POST /v1/catalog/cwr): works, writers, publishers, "
        "their societies, shares per right type and territory, other titles and recordings. "
        "Prints each transaction's status (AS accepted, AC accepted with changes, RJ "
        "rejected) with the record, field and reason of each message. Importing a file "
        "again changes nothing. Exits 1 when any transaction is rejected.",
        **kwargs,
    )
    command.add_argument("file", type=Path, help="CWR file (e.g. CW060001PUB_000.V21)")
    command.add_argument(
        "--valid-from",
        type=date.fromisoformat,
        default=None,
        help="date revised shares take effect, YYYY-MM-DD (default: the file's creation date)",
    )
    command.add_argument(
        "--ack", type=Path, default=None, help="write the CWR ACK file here instead of printing"
    )
    command.set_defaults(run=import_cwr)
