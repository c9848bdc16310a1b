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
    from service.engines import make_engine
    from service.startup.bootstrap import NotReady, check_database, connect_args
    from service.startup.run import describe_demo, migrate, seed_demo

    url = getattr(args, "database_url", None) or get_settings().database_url
    settings = get_settings()
    base = f"http://{settings.host}:{settings.port}"
    engine = make_engine(url, **connect_args(url))
    try:
        check_database(engine)
        migrate(url)
        loaded = seed_demo(engine, args.env_file, base=base, overwrite=False)
    except NotReady as exc:
        raise Failure(str(exc), ExitCode.UNREACHABLE) from None
    except FileExistsError:  # the credentials of a database demoed earlier
        raise Failure(
            f"{args.env_file} holds the credentials of another database demoed earlier; "
            "nothing was loaded: pass --env-file FILE (or LEDGER_DEMO_ENV_FILE) for this "
            "one's, or remove it",
            ExitCode.USAGE,
        ) from None
    finally:
        engine.dispose()
    if not loaded:
        raise Failure(
            "the database already holds societies: the demo loads only into an empty "
            "database (create a new one, or point --database-url at it)",
            ExitCode.FAILED,
        )
    print(describe_demo(loaded=True, env_file=args.env_file, base=base))
    return ExitCode.OK


def register(commands: Any, common: argparse.ArgumentParser, **kwargs: Any) -> None:
    """Add `demo` to ``commands``."""
    settings = get_settings()
    demo = commands.add_parser(
        "demo",
        help="load the demo catalogue into an empty database (migrates it first)",
        description="Check the database answers, apply the migrations and load the demo "
        "(societies ROMS, FAIR, HFA, MCPS, PRS; store allofmp3; works, recordings, tariffs, "
        "FX rates; a key per role). Refuses a database that already holds data.",
        **kwargs,
    )
    # Never shown as a default: a database URL may carry a password.
    demo.add_argument(
        "--database-url",
        default=argparse.SUPPRESS,
        metavar="URL",
        help="the database to load (default: $LEDGER_DATABASE_URL, else the embedded "
        "sqlite:///./royalty-ledger.db)",
    )
    demo.add_argument(
        "--env-file",
        type=Path,
        default=settings.demo_env_file,
        metavar="FILE",
        help="credentials file, mode 0600; $LEDGER_DEMO_ENV_FILE",
    )
    demo.set_defaults(run=load)
