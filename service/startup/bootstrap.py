"""First run on any database: check it answers, and make sure someone can log in.

A database that is missing or a server that does not answer is one line that says what
to do, never a traceback. A ledger with no way in (no ``LEDGER_ADMIN_TOKEN`` and no admin
key in the database) gets one admin key: its token is printed once and kept in a file
only its owner can read (0600), whose path is printed on every later start.
"""

import os
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select

from service.auth.models import ApiKey
from service.auth.service import authenticate, issue_api_key
from service.rights import Role

CONNECT_TIMEOUT_S = 5


class NotReady(Exception):
    """The database cannot be used; the message is the one line to print."""


def _where(url: str) -> str:
    parts = make_url(url)
    hosts = parts.query.get("host")
    if hosts:  # a multi-host URL (an HA pair): ?host=a,b&port=p,q
        names = "".join(hosts).split(",") if isinstance(hosts, str) else list(hosts)
        ports = str(parts.query.get("port", "")).split(",")
        return ", ".join(
            f"{name}:{ports[i] if i < len(ports) and ports[i] else 5432}"
            for i, name in enumerate(names)
        )
    return f"{parts.host or 'localhost'}:{parts.port or 5432}"


def _postgres_hint(url: str, error: str) -> str:
    parts = make_url(url)
    where = _where(url)
    if "does not exist" in error and "database" in error:
        create = f"createdb -h {parts.host or 'localhost'} -p {parts.port or 5432}"
        create += f" -U {parts.username}" if parts.username else ""
        return (
            f'database "{parts.database}" does not exist on {where}: '
            f"create it with `{create} {parts.database}`"
        )
    for symptom, said in (
        ("refused", "connection refused"),
        ("timeout", f"no answer within {CONNECT_TIMEOUT_S} s"),
        ("translate host name", "unknown host"),
    ):
        if symptom in error:
            return (
                f"no PostgreSQL server answers at {where} ({said}): start it, or fix "
                "LEDGER_DATABASE_URL"
            )
    return f"cannot use the database at {where}: {error} (check LEDGER_DATABASE_URL)"


def connect_args(url: str) -> dict[str, object]:
    """``make_engine`` options that fail fast when a PostgreSQL server does not answer
    (libpq would wait for the operating system's TCP timeout)."""
    if not url.startswith("postgresql"):
        return {}
    return {"connect_args": {"connect_timeout": CONNECT_TIMEOUT_S}}


def check_database(engine: Engine) -> None:
    """Connect once; raise :class:`NotReady` with one line saying how to fix it."""
    url = engine.url.render_as_string(hide_password=False)
    try:
        with engine.connect():
            pass
    except DBAPIError as exc:
        error = " ".join(str(exc.orig).split()).removeprefix("connection failed: ")
        if engine.dialect.name == "sqlite":
            folder = Path(engine.url.database or ".").parent
            raise NotReady(
                f"cannot open the SQLite database {engine.url.database} ({error}): does "
                f"the folder {folder} exist and may you write there?"
            ) from None
        raise NotReady(_postgres_hint(url, error)) from None


def ensure_admin(*, session: Session, admin_token: str | None, key_file: Path) -> str:
    """One line about how an admin gets in; issues the first admin key if nobody can."""
    if admin_token:
        return "Admin: LEDGER_ADMIN_TOKEN is set; use it as the admin bearer token."
    live = select(ApiKey).where(ApiKey.role == Role.admin.value, col(ApiKey.revoked_at).is_(None))
    if session.exec(live).first() is not None:
        return f"Admin: this database has admin keys{_kept_in(session, key_file)}."
    key, token = issue_api_key(session=session, role=Role.admin, subject=None)
    write_private(key_file, f"{token}\n")
    session.commit()
    return (
        f"Admin: no admin key existed, so one was created (id {key.id}).\n"
        f"  token (shown only now): {token}\n"
        f"  kept in {key_file.resolve()} (mode 0600): ADMIN=$(cat {key_file})"
    )


def _kept_in(session: Session, key_file: Path) -> str:
    """Where this database's first admin key is, if ``key_file`` holds one of its live
    keys: the file may hold another database's key (a second database, same directory)."""
    try:
        token = key_file.read_text().strip()
    except OSError:
        token = ""
    caller = authenticate(session=session, token=token, admin_token=None) if token else None
    if caller is not None and caller.is_admin:
        return f" (the first one is in {key_file})"
    if token:
        return (
            f"; {key_file} holds another database's key, and none of this database's is "
            "known here (LEDGER_ADMIN_KEY_FILE names where yours is kept)"
        )
    return "; none of them is kept in a file here"


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to a file only its owner can read, created with that mode (no window
    in which another user could open it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)
    path.chmod(0o600)  # an older file keeps its mode through O_TRUNC
