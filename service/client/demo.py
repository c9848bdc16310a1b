"""`royalty-ledger demo`: load the demo into an empty database of any engine.

Unlike the other subcommands it talks to the database, not to a running ledger: it
checks that the database answers, applies the migrations and loads the demo, then prints
the credentials a walkthrough needs (also kept in a 0600 file to source in a shell).
"""

import argparse
from pathlib import Path
from typing import Any

from service.client.outcome import Connect, ExitCode, Failure
from service.config import get_settings


def load(args: argparse.Namespace, _connect: Connect) -> int:
    # Imported here: the database side is not needed by the HTTP subcommands.
    from service.db import make_engine
    from service.ops.bootstrap import NotReady, check_database, connect_args
    from service.ops.run import describe_demo, migrate, seed_demo

    engine = make_engine(args.database_url, **connect_args(args.database_url))
    try:
        check_database(engine)
        migrate(args.database_url)
        loaded = seed_demo(engine, args.env_file)
    except NotReady as exc:
        raise Failure(str(exc), ExitCode.UNREACHABLE) from None
    finally:
        engine.dispose()
    if not loaded:
        raise Failure(
            "the database already holds societies: the demo loads only into an empty "
            "database (create a new one, or point --database-url at it)",
            ExitCode.FAILED,
        )
    settings = get_settings()
    base = f"http://{settings.host}:{settings.port}"
    print(describe_demo(loaded=True, env_file=args.env_file, base=base))
    return ExitCode.OK


def register(commands: Any, common: argparse.ArgumentParser, **kwargs: Any) -> None:
    """Add `demo` to ``commands``."""
    settings = get_settings()
    demo = commands.add_parser(
        "demo",
        parents=[common],
        help="load the demo catalogue into an empty database (migrates it first)",
        description="Check the database answers, apply the migrations and load the demo "
        "(societies ROMS, FAIR, HFA, MCPS, PRS; store allofmp3; works, recordings, tariffs, "
        "FX rates; a key per role). Refuses a database that already holds data.",
        **kwargs,
    )
    demo.add_argument(
        "--database-url",
        default=settings.database_url,
        help="the database to load ($LEDGER_DATABASE_URL)",
    )
    demo.add_argument(
        "--env-file",
        type=Path,
        default=settings.demo_env_file,
        help="where the credentials are written, mode 0600 ($LEDGER_DEMO_ENV_FILE)",
    )
    demo.set_defaults(run=load)
