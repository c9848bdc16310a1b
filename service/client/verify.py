"""`royalty-ledger verify-statement`: check a statement against the transparency log.

With the operator's public key only, like a Certificate Transparency monitor: the pinned
STH's signature, its consistency with the last STH this machine trusted (kept in a file),
every line re-added from the evidence, and inclusion proofs for a sample of (or all) the
transactions behind it. The checks themselves are ``service.proofs.verifier``.
"""

import argparse
import base64
import binascii
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from service.client.api import LedgerClient
from service.client.outcome import Connect, ExitCode, Failure
from service.proofs.verifier import Mismatch, verify_statement


class HttpSource:
    """The verifier's ``Source`` over the ledger's HTTP API."""

    def __init__(self, client: LedgerClient) -> None:
        self.client = client

    def evidence(self, statement_id: str) -> Iterable[Mapping[str, Any]]:
        return self.client.get_ndjson(f"/v1/statements/{statement_id}/evidence")

    def lines(self, statement_id: str) -> Iterable[Mapping[str, Any]]:
        params: dict[str, Any] = {"limit": 1000}
        while True:
            page = self.client.get_json(f"/v1/statements/{statement_id}", **params)
            yield from page["lines"]
            if not page["next_cursor"]:
                return
            params["cursor"] = page["next_cursor"]

    def inclusion(self, leaf_index: int, tree_size: int) -> Sequence[str]:
        answer = self.client.get_json(
            "/v1/transparency/inclusion", leaf_index=leaf_index, tree_size=tree_size
        )
        return list(answer["proof"])

    def consistency(self, first: int, second: int) -> Sequence[str]:
        answer = self.client.get_json("/v1/transparency/consistency", first=first, second=second)
        return list(answer["proof"])


def _public_key(text: str) -> bytes:
    path = Path(text)
    raw = path.read_bytes().strip() if path.is_file() else text.encode()
    try:
        key = base64.b64decode(raw, validate=True)
    except binascii.Error as exc:
        raise Failure("--public-key: not base64 (nor a file holding it)", ExitCode.USAGE) from exc
    if len(key) != 32:
        raise Failure("--public-key: an Ed25519 public key has 32 bytes", ExitCode.USAGE)
    return key


def verify(args: argparse.Namespace, connect: Connect) -> int:
    key = _public_key(args.public_key)
    trusted_file: Path | None = args.trusted_sth
    trusted = None
    if trusted_file is not None and trusted_file.exists():
        trusted = json.loads(trusted_file.read_text())
    sample = None if args.all else args.sample
    try:
        verdict, to_trust = verify_statement(
            HttpSource(connect()), args.statement_id, key, sample=sample, trusted=trusted
        )
    except Mismatch as exc:
        raise Failure(
            f"statement {args.statement_id} does NOT verify: {exc}", ExitCode.NOT_VERIFIED
        ) from exc
    if trusted_file is not None:
        trusted_file.write_text(json.dumps(dict(to_trust), indent=2) + "\n")
    print(
        f"statement {verdict.statement_id} verifies: {verdict.lines} line(s) re-added from "
        f"{verdict.transactions} transaction(s), {verdict.proofs} inclusion proof(s) against "
        f"the signed tree head of size {verdict.sth['tree_size']}"
    )
    return ExitCode.OK


def register(commands: Any, common: argparse.ArgumentParser, **kwargs: Any) -> None:
    """Add verify-statement (any party's token: its own statements) to ``commands``."""
    parser = commands.add_parser(
        "verify-statement",
        parents=[common],
        help="check a statement against the signed transparency log",
        description="Check a statement with only the operator's public key: the signed tree "
        "head it pins, consistency with the last one trusted, every line re-added from the "
        "evidence, inclusion proofs of its transactions. Exits 5 naming the line or leaf "
        "that does not verify (docs/transparency.md).",
        **kwargs,
    )
    parser.add_argument("statement_id", help="the statement to check (one of your own)")
    how_many = parser.add_mutually_exclusive_group()
    how_many.add_argument(
        "--sample",
        type=int,
        default=200,
        metavar="K",
        help="inclusion proofs of K random transactions",
    )
    how_many.add_argument(
        "--all", action="store_true", help="inclusion proofs of every transaction"
    )
    parser.add_argument(
        "--trusted-sth",
        type=Path,
        metavar="FILE",
        help="the last STH trusted (JSON); checked for consistency, then replaced by the newer",
    )
    parser.add_argument(
        "--public-key",
        default=os.environ.get("LEDGER_PUBLIC_KEY"),
        required=not os.environ.get("LEDGER_PUBLIC_KEY"),
        metavar="KEY",
        help="the operator's Ed25519 public key, base64 (or a file holding it); "
        "default $LEDGER_PUBLIC_KEY",
    )
    parser.set_defaults(run=verify)
