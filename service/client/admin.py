"""Admin subcommands a society's IT scripts: close a month, verify the ledger, manage keys."""

import argparse
import json
import sys
from typing import Any

from service.client.commands import period_arg
from service.client.outcome import Connect, ExitCode, Failure
from service.rights import Role


def close(args: argparse.Namespace, connect: Connect) -> int:
    period, created = connect().close_period(args.period)
    head = period.get("ledger_head") or {}
    verb = "closed" if created else "was already closed"
    print(
        f"{period['period']} {verb}: {period.get('statement_count', 0)} statement(s), "
        f"ledger head {head.get('sequence')} {head.get('hash')}"
    )
    return ExitCode.OK


def verify_ledger(args: argparse.Namespace, connect: Connect) -> int:
    result = connect().verify_ledger()
    if not result["ok"]:
        raise Failure(
            f"the ledger does NOT verify: first bad sequence {result['first_bad_sequence']} "
            f"({result['transactions']} transaction(s) before it verify)",
            ExitCode.NOT_VERIFIED,
        )
    head = result["head"]
    print(
        f"ledger verifies: {result['transactions']} transaction(s), "
        f"head {head['sequence']} {head['hash']}"
    )
    return ExitCode.OK


def create_key(args: argparse.Namespace, connect: Connect) -> int:
    key = connect().create_key(
        args.role, args.subject, scopes=args.scope or None, expires_at=args.expires_at
    )
    # stdout carries only the token (TOKEN=$(royalty-ledger keys create ...)), or --json.
    print(json.dumps(key) if args.json else key["token"])
    print(
        f"issued key {key['id']} ({key['role']} {key.get('subject') or ''}); "
        "the token is shown only this once: store it now",
        file=sys.stderr,
    )
    return ExitCode.OK


def revoke_key(args: argparse.Namespace, connect: Connect) -> int:
    connect().revoke_key(args.key_id)
    print(f"revoked key {args.key_id}: its token no longer works")
    return ExitCode.OK


def register(commands: Any, common: argparse.ArgumentParser, **kwargs: Any) -> None:
    """Add close, verify-ledger and keys create/revoke (admin token) to ``commands``."""
    closing = commands.add_parser(
        "close",
        parents=[common],
        help="close a month and issue its statements (admin token)",
        description="Close a month once it has ended: converts its royalties, freezes it and "
        "issues the statements. Closing it again answers the same result (exit 0).",
        **kwargs,
    )
    closing.add_argument("period", type=period_arg, help="month, YYYY-MM")
    closing.set_defaults(run=close)

    verify = commands.add_parser(
        "verify-ledger",
        parents=[common],
        help="recompute the ledger's hash chain (admin token)",
        description="Recompute every transaction's SHA-256 chain. Exits 5, naming the first "
        "bad sequence, when the ledger does not verify.",
        **kwargs,
    )
    verify.set_defaults(run=verify_ledger)

    keys = commands.add_parser(
        "keys",
        parents=[common],
        help="issue or revoke API keys (admin token)",
        description="Issue API keys for stores, societies, rights holders and admins, or "
        "revoke them; tokens are stored hashed and shown only when issued.",
        **kwargs,
    )
    actions = keys.add_subparsers(
        dest="keys_command", required=True, metavar="ACTION", help="create or revoke"
    )
    create = actions.add_parser(
        "create",
        parents=[common],
        help="issue a key and print its token once",
        description="Issue an API key. Prints only the token on stdout (or, with --json, "
        "the key with its id); the key id goes to stderr.",
        **kwargs,
    )
    create.add_argument(
        "--role", choices=[r.value for r in Role], required=True, help="what the key may do"
    )
    create.add_argument(
        "--subject",
        help="store code, society code or rights holder id; none for an admin key",
    )
    create.add_argument(
        "--scope",
        action="append",
        metavar="SCOPE",
        # Checked by the server (service/auth/scopes.py), so the client stays light.
        help="narrow the key: read, sales:write or statements:read (repeatable; "
        "docs/api-keys.md); none: all the role allows",
    )
    create.add_argument(
        "--expires-at",
        metavar="INSTANT",
        help="when the token stops working, e.g. 2027-06-30T00:00:00Z; none: never",
    )
    create.add_argument("--json", action="store_true", help="print the key as JSON")
    create.set_defaults(run=create_key)
    revoke = actions.add_parser(
        "revoke",
        parents=[common],
        help="revoke a key at once",
        description="Revoke an API key: its token stops working with the next request.",
        **kwargs,
    )
    revoke.add_argument("key_id", help="the id printed when the key was issued")
    revoke.set_defaults(run=revoke_key)
