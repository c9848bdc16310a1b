"""`make run`: check the database, migrate, load the demo where asked, make sure an admin
can log in, then serve. Every step that can fail for a new user ends in one line.

The same steps, minus serving, are `royalty-ledger demo` (``load_demo_into``), which
loads the demo into any empty database, PostgreSQL included. `make run` itself seeds only
an empty *embedded* (SQLite) database: a PostgreSQL database is the production one and
gets the demo only when asked.
"""

import os
import sys
from pathlib import Path

from alembic import command
from alembic.config import Config
from pydantic import ValidationError
from sqlalchemy import Engine
from sqlmodel import Session, select

from service.auth.service import authenticate
from service.config import Settings, get_settings, settings_problem
from service.demo import load_demo
from service.engines import make_engine
from service.parties.models import Society
from service.server import serve
from service.startup.bootstrap import (
    NotReady,
    check_database,
    connect_args,
    ensure_admin,
    write_private,
)
from service.startup.signing_guard import checked_signing_key
from service.transparency import record, witnesses
from service.transparency.signing import record_file, settings_key

ROOT = Path(__file__).resolve().parent.parent.parent
PROG = "royalty-ledger"


def migrate(url: str) -> None:
    """``alembic upgrade head``, logging each revision applied (alembic.ini's loggers)."""
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "alembic"))
    config.attributes["url"] = url
    command.upgrade(config, "head")


def _env_text(credentials: dict[str, str], base: str | None) -> str:
    # BASE: where the ledger serves, so a second shell that sources the file knows the port.
    served = {"BASE": base} if base else {}
    lines = [f"{name}={value}\n" for name, value in {**served, **credentials}.items()]
    return "# royalty-ledger demo credentials; load them with: . ./royalty-ledger.demo.env\n" + (
        "".join(lines)
    )


def read_env_file(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return {name: value for name, value in pairs if not name.startswith("#")}


def seed_demo(
    engine: Engine, env_file: Path, *, base: str | None = None, overwrite: bool = True
) -> bool:
    """Load the demo if the database holds no society yet; True when it was loaded now.
    ``base``: the URL the ledger serves at, written first into ``env_file``. Without
    ``overwrite``, an existing ``env_file`` (another database's credentials: this one is
    empty) raises ``FileExistsError`` and nothing is loaded."""
    with Session(engine) as session:
        if session.exec(select(Society)).first() is not None:
            return False
        if not overwrite and env_file.exists():
            raise FileExistsError(env_file)
        credentials = load_demo(session)
        session.commit()
    write_private(env_file, _env_text(credentials, base))
    return True


def point_env_at(engine: Engine, env_file: Path, base: str) -> None:
    """A demo loaded by an earlier start, served now on another port: the file's ``BASE``
    follows, so a second shell that sources it finds this server. Only when the file's
    ADMIN token opens this database (a file of another database is left alone)."""
    if not env_file.exists():
        return
    creds = read_env_file(env_file)
    if creds.get("BASE") == base or "ADMIN" not in creds:
        return
    with Session(engine) as session:
        if authenticate(session=session, token=creds["ADMIN"], admin_token=None) is None:
            return
    creds.pop("BASE", None)
    write_private(env_file, _env_text(creds, base))


def describe_demo(*, loaded: bool, env_file: Path, base: str) -> str:
    """What a walkthrough needs: every credential, where they are kept, one call to try."""
    if not env_file.exists():
        return ""
    creds = read_env_file(env_file)
    when = "loaded" if loaded else "(loaded earlier)"
    lines = [f"Demo data {when}: societies ROMS, FAIR, HFA, MCPS, PRS; store allofmp3."]
    lines += [f"  {name:<13} {value}" for name, value in creds.items()]
    lines += [
        f"  kept in {env_file} (mode 0600); in a shell: . ./{env_file.name}",
        "Try:",
        f"  curl -sS --fail-with-body -H 'Authorization: Bearer {creds.get('STORE', '')}' "
        f"-H 'Content-Type: application/json' {base}/v1/sales -d "
        '\'{"sale_id":"try-1","isrc":"RUA010600001","territory":"US",'
        '"sold_at":"2006-11-03T10:00:00Z","quantity":1,"unit_price":"0.10","currency":"USD"}\'',
        f"  API docs: {base}/docs",
    ]
    return "\n".join(lines)


def prepare(settings: Settings, *, demo: bool) -> str:
    """Everything before serving; the text to print. Raises NotReady with one line."""
    url = settings.database_url
    engine = make_engine(url, **connect_args(url))
    try:
        check_database(engine)
        migrate(url)
        base = f"http://{settings.host}:{settings.port}"
        loaded = demo and seed_demo(engine, settings.demo_env_file, base=base)
        if demo and not loaded:
            point_env_at(engine, settings.demo_env_file, base)
        with Session(engine) as session:
            admin = ensure_admin(
                session=session,
                admin_token=settings.admin_token,
                key_file=settings.admin_key_file,
            )
        checked_signing_key(engine, settings)  # one line and exit 1 on a foreign key
    finally:
        engine.dispose()
    signing = _signing_key_line(settings)
    # A credentials file from another database must not be shown for this one.
    shown = describe_demo(loaded=loaded, env_file=settings.demo_env_file, base=base) if demo else ""
    return "\n".join(["", *(part for part in (shown, admin, signing) if part), ""])


def _signing_key_line(settings: Settings) -> str:
    """Load (or, on the first start, create and persist) the operator's Ed25519 key that
    signs tree heads, so a broken ``LEDGER_SIGNING_KEY`` stops the start, not a close."""
    try:
        key = settings_key(settings)
    except (ValueError, OSError) as exc:
        raise NotReady(f"LEDGER_SIGNING_KEY: {exc}") from exc
    where = "LEDGER_SIGNING_KEY" if settings.signing_key else settings.signing_key_file
    try:
        # The signer's record must be readable, and writable where it will be written.
        kept = key.record or record_file(settings)
        record.read(kept)
        if not os.access(kept.parent, os.W_OK):
            raise NotReady(
                f"LEDGER_SIGNER_RECORD_FILE: cannot write in {kept.parent} (the signer's "
                "record of what it signed must be writable)"
            )
        asked = witnesses.configured(settings.witnesses)
    except (record.SignerRefused, witnesses.BadWitness) as exc:
        raise NotReady(f"{exc}") from exc
    said = f"Tree heads are signed with key {key.key_id[:16]}… ({where}; back it up)"
    said += f", its record in {key.record}"
    if asked:
        said += f"; witnesses: {', '.join(w.name for w in asked)}"
    return said + "."


def main() -> int:
    try:
        settings = get_settings()
    except ValidationError as exc:  # a setting refused: one line, before anything starts
        print(f"{PROG}: {settings_problem(exc)}", file=sys.stderr)
        return 1
    # Only an embedded database is seeded by itself; see the module's docstring.
    demo = settings.demo and settings.database_url.startswith("sqlite")
    try:
        print(prepare(settings, demo=demo), flush=True)
    except NotReady as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 1
    serve()  # uvicorn with read timeouts and LEDGER_WORKERS processes (service/server.py)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
