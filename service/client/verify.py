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

from service.client import quorum
from service.client.api import LedgerClient
from service.client.outcome import Connect, ExitCode, Failure
from service.proofs import files, notes
from service.proofs.verifier import Mismatch, Verdict, check_sth, key_id, verify_statement


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


# Inclusion proofs are one request each (~7-9 ms against a local server on a loaded
# 2-core machine: 1,501 proofs took 15 s, 200 took 4 s with start-up); up to this many,
# a few seconds, every transaction is proved by default, beyond it a random sample of
# this size, whose detection probability the report states.
AUTO_ALL = 300


class FileSource(HttpSource):
    """The statement's lines read from the CSV file a society kept instead of the server."""

    def __init__(self, client: LedgerClient, lines: Sequence[Mapping[str, Any]]) -> None:
        super().__init__(client)
        self.file_lines = lines

    def lines(self, statement_id: str) -> Iterable[Mapping[str, Any]]:
        return self.file_lines


def _trusted(trusted_file: Path | None) -> Mapping[str, Any] | None:
    if trusted_file is None or not trusted_file.exists():
        return None
    try:
        trusted = json.loads(trusted_file.read_text())
        if not isinstance(trusted, dict) or "tree_size" not in trusted:
            raise ValueError("not a signed tree head")
    except (ValueError, OSError) as exc:
        raise Failure(
            f"--trusted-sth {trusted_file}: not a signed tree head (JSON) ({exc}); "
            "restore it from a backup or remove it to trust the statement's head anew",
            ExitCode.USAGE,
        ) from exc
    return trusted


def _checked_file(
    client: LedgerClient, args: argparse.Namespace, key: bytes, sth: Mapping[str, Any]
) -> tuple[list[str], Sequence[Mapping[str, Any]] | None]:
    """The report lines of ``--file`` and, for a CSV, its lines (to re-derive)."""
    path: Path = args.file
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise Failure(f"--file {path}: {exc.strerror}", ExitCode.USAGE) from exc
    signed = client.get_json(f"/v1/statements/{args.statement_id}/digests")
    files.check_digests(signed, key, sth, args.statement_id)
    kind, digest = files.check_file(data, signed)
    said = [
        f"file: {path} ({kind.upper()}) has the SHA-256 {digest} the operator signed "
        f"for this statement under the tree head of size {sth['tree_size']}"
    ]
    return said, (files.csv_lines(data) if kind == "csv" else None)


def _report(
    verdict: Verdict, key: bytes, trusted_note: str, file_said: list[str], from_file: bool
) -> str:
    sth, total, proved = verdict.sth, verdict.transactions, verdict.proofs
    if proved >= total:
        inclusion = f"inclusion: every transaction ({total}) proved in the tree of size "
        inclusion += str(sth["tree_size"])
    else:
        chance = files.detection_probability(proved, total)
        inclusion = (
            f"inclusion: a random sample of {proved} of {total} transactions proved; one "
            f"altered transaction is caught with probability {chance:.1%} (--all: every one)"
        )
    where = "the file's" if from_file else "the statement's"
    converted = ", ".join(verdict.converted)
    report = [
        f"statement {verdict.statement_id} verifies: {verdict.lines} line(s) re-added from "
        f"{total} transaction(s), {proved} inclusion proof(s) against the signed tree head "
        f"of size {sth['tree_size']}",
        f"  signature: the tree head of size {sth['tree_size']} ({sth['timestamp']}) is "
        f"signed by key {key_id(key)} (Ed25519)",
        f"  {trusted_note}",
        f"  {inclusion}",
        f"  lines: {where} {verdict.lines} line(s) re-derived from the evidence of {total} "
        "transaction(s)",
        f"  conversions: royalties in {converted} all converted, at the rates the lines use"
        if converted
        else "  conversions: none (every royalty is in the statement's currency)",
        *(f"  {line}" for line in file_said),
    ]
    return "\n".join(report)


def _trusted_note(trusted_file: Path | None, trusted: Mapping[str, Any] | None) -> str:
    if trusted_file is None:
        return "trusted head: none given (--trusted-sth FILE keeps one to check history against)"
    if trusted is None:
        return (
            f"trusted head: {trusted_file} created on first use: it now trusts this head; "
            "later runs check the log was only appended to since"
        )
    return (
        f"trusted head: consistent with the one of size {trusted['tree_size']} "
        f"in {trusted_file} (the log was only appended to)"
    )


def _witnesses(args: argparse.Namespace) -> list[notes.Verifier]:
    try:
        found = [notes.parse_vkey(text) for text in args.witness or []]
    except notes.NoteError as exc:
        raise Failure(f"--witness: {exc}", ExitCode.USAGE) from exc
    if any(w.kind != notes.COSIGNATURE_V1 for w in found):
        raise Failure("--witness: a witness key is a cosignature/v1 (0x04) key", ExitCode.USAGE)
    if args.quorum is not None and not 1 <= args.quorum <= len(found):
        raise Failure(
            f"--quorum {args.quorum}: between 1 and the {len(found)} --witness key(s) given",
            ExitCode.USAGE,
        )
    if found and args.quorum is None:
        args.quorum = len(found)
    return found


def verify(args: argparse.Namespace, connect: Connect) -> int:
    key = _public_key(args.public_key)
    witnesses = _witnesses(args)
    trusted_file: Path | None = args.trusted_sth
    trusted = _trusted(trusted_file)
    sample = None if args.all else (args.sample if args.sample is not None else AUTO_ALL)
    client = connect()
    source: HttpSource = HttpSource(client)
    file_said: list[str] = []
    try:
        if args.file is not None:
            head = next(iter(source.evidence(args.statement_id)))
            if head.get("sth") is None:
                raise Mismatch(f"statement {args.statement_id} pins no signed tree head")
            check_sth(head["sth"], key)
            file_said, file_lines = _checked_file(client, args, key, head["sth"])
            if file_lines is not None:
                source = FileSource(client, file_lines)
        verdict, to_trust = verify_statement(
            source, args.statement_id, key, sample=sample, trusted=trusted
        )
        if witnesses:
            file_said.append(quorum.check(client, verdict.sth, key, witnesses, args.quorum))
    except Mismatch as exc:
        raise Failure(
            f"statement {args.statement_id} does NOT verify: {exc}", ExitCode.NOT_VERIFIED
        ) from exc
    if trusted_file is not None:
        trusted_file.write_text(json.dumps(dict(to_trust), indent=2) + "\n")
    note = _trusted_note(trusted_file, trusted)
    print(_report(verdict, key, note, file_said, isinstance(source, FileSource)))
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
        metavar="K",
        help=f"inclusion proofs of K random transactions (default: every one up to {AUTO_ALL} "
        f"transactions, else {AUTO_ALL} random ones; the report states the detection chance)",
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
        "--file",
        type=Path,
        metavar="FILE",
        help="a CSV or DSR file of this statement, as downloaded: checked byte for byte "
        "against the SHA-256 the operator signed under the statement's tree head (a CSV's "
        "lines are also re-derived from the evidence)",
    )
    parser.add_argument(
        "--public-key",
        default=os.environ.get("LEDGER_PUBLIC_KEY"),
        required=not os.environ.get("LEDGER_PUBLIC_KEY"),
        metavar="KEY",
        help="the operator's Ed25519 public key, base64 (or a file holding it); "
        "default $LEDGER_PUBLIC_KEY",
    )
    parser.add_argument(
        "--witness",
        action="append",
        metavar="VKEY",
        help="a witness's verifier key (cosignature/v1) this society trusts; repeat",
    )
    parser.add_argument(
        "--quorum",
        type=int,
        metavar="K",
        help="refuse unless K of the --witness keys cosigned the statement's tree head (or "
        "a later one extending it); default: all of them",
    )
    parser.set_defaults(run=verify)
