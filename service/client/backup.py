"""`royalty-ledger backup` and `royalty-ledger restore`: the database and the signing key.

Like `demo`, these talk to the database, not to a running ledger. A backup is a
directory holding everything a restore needs, and nothing that a stolen copy of the
database alone would not already give away, except the key (so keep it like the key):

    ledger.dump    pg_dump's custom format (a consistent snapshot; pg_restore reads it)
    signing.key    the operator's Ed25519 signing key (base64 seed, mode 0600)
    manifest.json  when, the dump's SHA-256, the key's id, the ledger head and the tree
                   head signed just before the dump (what a restore is checked against)

A restore goes into an *empty* database (create one first), refuses a dump whose hash
or key does not match its manifest, and then proves what it restored: the ledger's hash
chain verifies, every leaf of the transparency log is recomputed from the rows, and the
restored tree extends the one whose head was signed before the backup (a consistency
proof). pg_dump and pg_restore do the copying (PostgreSQL's own tools, with the server's
client version); this module only orders, hashes and checks.
"""

import argparse
import base64
import hashlib
import json
import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from service.client.outcome import Connect, ExitCode, Failure
from service.config import Settings, get_settings

DUMP, KEY, MANIFEST = "ledger.dump", "signing.key", "manifest.json"
FORMAT = 1


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """The URL as libpq takes it (pg_dump --dbname) and the environment carrying its
    password: a password on a command line is visible to every user of the machine."""
    parts = make_url(url)
    if not parts.drivername.startswith("postgresql"):
        raise Failure(
            f"backup and restore need PostgreSQL, not {parts.drivername} (an embedded "
            "SQLite database is one file: copy it with `sqlite3 FILE .backup COPY`)",
            ExitCode.USAGE,
        )
    env = dict(os.environ)
    if parts.password is not None:
        env["PGPASSWORD"] = str(parts.password)
    bare = parts.set(drivername="postgresql", password=None)
    return bare.render_as_string(hide_password=False), env


def _run(tool: str, *args: str, env: dict[str, str]) -> None:
    path = shutil.which(tool)
    if path is None:
        raise Failure(f"{tool} is not installed (Debian: postgresql-client)", ExitCode.USAGE)
    # The tool found on PATH, with arguments this module builds (no shell).
    done = subprocess.run(  # noqa: S603
        [path, *args], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise Failure(f"{tool} failed: {' '.join(done.stderr.split())[:500]}", ExitCode.FAILED)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)


def _key_text(settings: Settings) -> bytes:
    from service.transparency.signing import settings_key

    if not settings.signing_key and not Path(settings.signing_key_file).is_file():
        # Loading it would create a new key: this is not where the ledger runs.
        raise Failure(
            f"no signing key here (LEDGER_SIGNING_KEY unset, no {settings.signing_key_file}): "
            "back up where the ledger runs, or point LEDGER_SIGNING_KEY at its key",
            ExitCode.USAGE,
        )
    seed = settings_key(settings).private.private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )
    return base64.b64encode(seed) + b"\n"


def _snapshot(url: str, settings: Settings) -> dict[str, Any]:
    """The ledger head and the signed tree head as they are now (before the dump)."""
    from sqlmodel import Session

    from service.engines import make_engine
    from service.ledger import service as ledger
    from service.transparency import service as transparency
    from service.transparency.schemas import sth_public
    from service.transparency.signing import settings_key

    engine = make_engine(url)
    try:
        with Session(engine) as session:
            head = ledger.head(session=session)
            sth = transparency.latest(session=session, key=settings_key(settings))
            return {
                "ledger_head": {"sequence": head.sequence, "hash": head.hash},
                "sth": sth_public(sth).model_dump(),
            }
    finally:
        engine.dispose()


def take(args: argparse.Namespace, _connect: Connect) -> int:
    settings = get_settings()
    url = getattr(args, "database_url", None) or settings.database_url
    dbname, env = _libpq(url)
    out: Path = args.out
    if out.exists() and any(out.iterdir()):
        raise Failure(f"{out} is not empty: a backup goes into a new directory", ExitCode.USAGE)
    key = _key_text(settings)
    out.mkdir(mode=0o700, parents=True, exist_ok=True)
    snapshot = _snapshot(url, settings)
    _run("pg_dump", "--format=custom", f"--file={out / DUMP}", f"--dbname={dbname}", env=env)
    _write_private(out / KEY, key)
    manifest = {
        "format": FORMAT,
        "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "dump": {"file": DUMP, "sha256": _sha256(out / DUMP)},
        "signing_key": {"file": KEY, "key_id": snapshot["sth"]["key_id"]},
        **snapshot,
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    sth = snapshot["sth"]
    print(
        f"backup in {out}: ledger head {snapshot['ledger_head']['sequence']}, tree head of "
        f"size {sth['tree_size']} signed by key {sth['key_id'][:16]}…; it holds the "
        "signing key: keep it as safe as the key itself"
    )
    return ExitCode.OK


def _manifest(folder: Path) -> dict[str, Any]:
    try:
        manifest: dict[str, Any] = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise Failure(
            f"{folder / MANIFEST}: not a backup's manifest ({exc})", ExitCode.USAGE
        ) from exc
    if manifest.get("format") != FORMAT:
        raise Failure(f"{folder}: unknown backup format {manifest.get('format')}", ExitCode.USAGE)
    if _sha256(folder / DUMP) != manifest["dump"]["sha256"]:
        raise Failure(f"{folder / DUMP} does not match its manifest's SHA-256", ExitCode.FAILED)
    return manifest


def _public_key(folder: Path, manifest: dict[str, Any]) -> bytes:
    from service.transparency.signing import operator_key

    key = operator_key(str(folder / KEY), "")
    if key.key_id != manifest["signing_key"]["key_id"]:
        raise Failure(f"{folder / KEY} is not the key the manifest names", ExitCode.FAILED)
    return key.public


def _prove(url: str, manifest: dict[str, Any], public_key: bytes) -> str:
    """Check the restored database; one line saying what was proved."""
    from sqlmodel import Session

    from service.engines import make_engine
    from service.ledger import service as ledger
    from service.proofs.verifier import Mismatch, check_consistency, check_sth
    from service.transparency import service as transparency

    signed = manifest["sth"]
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            chain = ledger.verify(session=session)
            bad_leaf = transparency.audit(session=session)
            size = transparency.tree_size(session=session)
            old, new = int(signed["tree_size"]), size
            proof = (
                transparency.consistency(session=session, first=old, second=new)
                if 0 < old < new
                else []
            )
            root = transparency.root_hash(session=session, size=new).hex()
    finally:
        engine.dispose()
    if not chain.ok:
        raise Failure(
            f"the restored ledger breaks at {chain.first_bad_sequence}", ExitCode.NOT_VERIFIED
        )
    if bad_leaf is not None:
        raise Failure(f"the restored log differs at leaf {bad_leaf}", ExitCode.NOT_VERIFIED)
    try:
        check_sth(signed, public_key)
        if old > 0:
            restored = {"tree_size": new, "root_hash": root}
            check_consistency(old=signed, new=restored, proof=[h.hex() for h in proof])
    except Mismatch as exc:
        raise Failure(
            f"the restored log does not extend the signed head: {exc}", ExitCode.NOT_VERIFIED
        ) from exc
    return (
        f"ledger verifies ({chain.transactions} transactions, head {chain.head.sequence}); "
        f"log verifies (tree size {new}) and extends the head of size {old} signed before "
        "the backup"
    )


def restore(args: argparse.Namespace, _connect: Connect) -> int:
    folder: Path = args.backup
    manifest = _manifest(folder)
    public_key = _public_key(folder, manifest)
    url = getattr(args, "database_url", None) or get_settings().database_url
    dbname, env = _libpq(url)
    from service.engines import make_engine

    engine = make_engine(url)
    try:
        tables = inspect(engine).get_table_names()
    finally:
        engine.dispose()
    if tables:
        raise Failure(
            f"the target database already holds {len(tables)} table(s): restore into a new, "
            "empty one (createdb), never over a live ledger",
            ExitCode.USAGE,
        )
    _run(
        "pg_restore",
        "--no-owner",
        "--exit-on-error",
        "--single-transaction",
        f"--dbname={dbname}",
        str(folder / DUMP),
        env=env,
    )
    proved = _prove(url, manifest, public_key)
    print(
        f"restored {folder} ({manifest['created_at']}): {proved}. Serve it with "
        f"LEDGER_SIGNING_KEY={folder / KEY} (or wherever the key is kept)"
    )
    return ExitCode.OK


def _database_option(parser: argparse.ArgumentParser, what: str) -> None:
    # Never shown as a default: a database URL may carry a password.
    parser.add_argument(
        "--database-url",
        default=argparse.SUPPRESS,
        metavar="URL",
        help=f"{what} (default: $LEDGER_DATABASE_URL)",
    )


def register(commands: Any, common: argparse.ArgumentParser, **kwargs: Any) -> None:
    """Add `backup` and `restore` to ``commands``."""
    backup = commands.add_parser(
        "backup",
        parents=[common],
        help="dump the database and copy the signing key (talks to the database)",
        description="pg_dump (custom format) of the ledger's PostgreSQL database, the "
        "signing key and a manifest with the tree head signed just before, into a new "
        "directory (docs/operations.md).",
        **kwargs,
    )
    _database_option(backup, "the database to back up")
    backup.add_argument("--out", type=Path, required=True, metavar="DIR", help="a new directory")
    backup.set_defaults(run=take)
    again = commands.add_parser(
        "restore",
        parents=[common],
        help="restore a backup into an empty database and verify it",
        description="pg_restore a backup into an empty PostgreSQL database, then verify the "
        "ledger's chain, the transparency log and its consistency with the tree head "
        "signed before the backup; exits 5 if any of them fails.",
        **kwargs,
    )
    again.add_argument("backup", type=Path, help="the directory `backup` wrote")
    _database_option(again, "the empty database to restore into")
    again.set_defaults(run=restore)
