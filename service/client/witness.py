"""`royalty-ledger witness`: a C2SP tlog-witness a society runs beside the ledger.

`witness key` prints the witness's verifier key (creating its key file on first use);
`witness serve` answers `POST /add-checkpoint` for the logs it is told to trust, keeping
their latest cosigned checkpoint in its state file (service/witness/). It needs no
database and no token.
"""

import argparse
import signal
import sys
from pathlib import Path
from types import FrameType
from typing import Any

from service.client.outcome import Connect, ExitCode, Failure
from service.proofs import notes


def _witness(args: argparse.Namespace) -> Any:
    from service.witness.core import Witness
    from service.witness.server import load_or_create_key

    try:
        logs = [notes.parse_vkey(v) for v in getattr(args, "log", None) or []]
        key = load_or_create_key(args.key)
        return Witness(args.name, key, logs, args.state)
    except (notes.NoteError, ValueError) as exc:
        raise Failure(str(exc), ExitCode.USAGE) from exc


def key(args: argparse.Namespace, _connect: Connect) -> int:
    args.state = Path("/nonexistent")
    print(_witness(args).verifier.vkey)
    return ExitCode.OK


def serve(args: argparse.Namespace, _connect: Connect) -> int:
    from service.witness.server import serve as make_server

    witness = _witness(args)
    if any(v.kind != notes.ED25519 for v in witness.logs.values()):
        raise Failure("--log: a log's key is a signed-note (0x01) verifier key", ExitCode.USAGE)
    host, _, port = args.listen.rpartition(":")
    server = make_server(witness, host or "127.0.0.1", int(port))

    def stop(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    bound_host, bound_port = server.server_address[:2]
    print(
        f"witness {witness.name} on http://{bound_host!s}:{bound_port} for "
        f"{', '.join(witness.logs) or 'no log'}; verifier key {witness.verifier.vkey}",
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("witness stopped", file=sys.stderr)
    finally:
        server.server_close()
    return ExitCode.OK


def register(commands: Any, common: argparse.ArgumentParser, **kwargs: Any) -> None:
    parser = commands.add_parser(
        "witness",
        parents=[common],
        help="run a C2SP tlog-witness (a society's cosigner of the ledger's checkpoints)",
        description=__doc__,
        **kwargs,
    )
    actions = parser.add_subparsers(
        dest="witness_command", required=True, metavar="ACTION", help="key or serve"
    )
    both = argparse.ArgumentParser(add_help=False)
    both.add_argument(
        "--name", required=True, help="the witness's key name, e.g. roms.example/witness"
    )
    both.add_argument(
        "--key", type=Path, required=True, help="its Ed25519 key file (created 0600 if missing)"
    )
    shown = actions.add_parser(
        "key",
        parents=[common, both],
        help="print the verifier key (creating the key)",
        description="Print the witness's cosignature/v1 verifier key (name+keyid+base64), "
        "creating its key file (0600) on first use.",
        **kwargs,
    )
    shown.set_defaults(run=key)
    served = actions.add_parser(
        "serve",
        parents=[common, both],
        help="answer add-checkpoint until SIGTERM",
        description="Serve POST /add-checkpoint (C2SP tlog-witness) for the logs given, "
        "cosigning only checkpoints consistent with the last one cosigned.",
        **kwargs,
    )
    served.add_argument(
        "--state", type=Path, required=True, help="its state file (latest checkpoint per log)"
    )
    served.add_argument(
        "--log",
        action="append",
        required=True,
        metavar="VKEY",
        help="a log's verifier key to witness (GET /v1/transparency/key: verifier_key); repeat",
    )
    served.add_argument(
        "--listen", default="127.0.0.1:7380", metavar="HOST:PORT", help="where to listen"
    )
    served.set_defaults(run=serve)
