"""`royalty-ledger webhooks-worker`: deliver the queued takedown webhooks.

Like `demo` it talks to the database, not to a running ledger. The API process already
delivers from a background thread; this runs more workers beside it (any number may run
at once: each claims a row for a lease, service/takedowns/worker.py), or one pass with
`--once` for a cron job or a check after an outage.
"""

import argparse
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from service.client.outcome import Connect, ExitCode, Failure
from service.config import get_settings

DESCRIPTION = (
    "Deliver queued takedown webhooks (signed per Standard Webhooks) to the stores' "
    "webhook URLs until interrupted (SIGINT/SIGTERM), retrying failures with exponential "
    "backoff. Several workers may run at once; with --once, deliver what is due and exit."
)


def deliver(args: argparse.Namespace, _connect: Connect) -> int:
    # Imported here: the database side is not needed by the HTTP subcommands.
    from service.engines import make_engine
    from service.takedowns import worker
    from service.telemetry.logs import configure_logging

    url = getattr(args, "database_url", None) or get_settings().database_url
    _refuse_a_missing_file(url)
    configure_logging()
    engine = make_engine(url)
    try:
        if args.once:
            attempts = worker.deliver_due(
                engine, lease_s=args.lease, allow_private=get_settings().webhook_allow_private
            )
            print(f"{attempts} webhook delivery attempt(s)")
            return ExitCode.OK
        worker.serve(engine, args.poll, args.lease)
        return ExitCode.OK
    finally:
        engine.dispose()


def _refuse_a_missing_file(url: str) -> None:
    """An embedded database that does not exist is refused: connecting would create an
    empty one (and fail on its missing tables) wherever the worker was started."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return
    if not Path(parsed.database).exists():
        raise Failure(
            f"no database at {parsed.database}: run the worker where the ledger runs, or "
            "name its database with --database-url or LEDGER_DATABASE_URL",
            ExitCode.USAGE,
        )


def _seconds(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text} is not a positive number of seconds")
    return value


def add_options(parser: argparse.ArgumentParser) -> None:
    """The worker's options (``python -m service.takedowns.worker`` has the same ones but
    ``--once``)."""
    from service.takedowns.worker import LEASE_S

    # Never shown as a default: a database URL may carry a password.
    parser.add_argument(
        "--database-url",
        default=argparse.SUPPRESS,
        metavar="URL",
        help="the database whose outbox to deliver (default: $LEDGER_DATABASE_URL, else "
        "the embedded sqlite:///./royalty-ledger.db)",
    )
    parser.add_argument("--poll", type=_seconds, default=1.0, help="seconds between polls")
    parser.add_argument(
        "--lease", type=_seconds, default=LEASE_S, help="seconds a claimed webhook is reserved"
    )
    parser.add_argument(
        "--once", action="store_true", help="deliver what is due now, print the count, exit"
    )
    parser.set_defaults(run=deliver)


def register(commands: Any, common: argparse.ArgumentParser, **kwargs: Any) -> None:
    """Add `webhooks-worker` to ``commands``."""
    worker = commands.add_parser(
        "webhooks-worker",
        help="deliver queued takedown webhooks (talks to the database)",
        description=DESCRIPTION,
        **kwargs,
    )
    add_options(worker)
