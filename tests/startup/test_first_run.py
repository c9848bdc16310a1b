"""First run on any database (issue #12 point 1): one line when the database cannot be
used, an admin key when nobody could log in, the demo into any empty database."""

import os
import stat
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from sqlmodel import Session, select

from service.auth.models import ApiKey
from service.auth.service import authenticate, issue_api_key
from service.client.cli import main as cli
from service.config import Settings
from service.engines import make_engine
from service.parties.models import Society
from service.rights import Role
from service.startup.bootstrap import NotReady, check_database, connect_args, ensure_admin
from service.startup.run import describe_demo, prepare, read_env_file
from tests.conftest import PG_URL


def _one_line(url: str) -> str:
    engine = make_engine(url, **connect_args(url))
    with pytest.raises(NotReady) as caught:
        check_database(engine)
    engine.dispose()
    message = str(caught.value)
    assert "\n" not in message and "Traceback" not in message
    return message


def test_a_missing_sqlite_folder_is_one_line(tmp_path: Path) -> None:
    message = _one_line(f"sqlite:///{tmp_path / 'nope' / 'ledger.db'}")
    assert message.startswith("cannot open the SQLite database") and "nope" in message


@pytest.mark.skipif(PG_URL is None, reason="needs PostgreSQL (LEDGER_TEST_DATABASE_URL)")
def test_a_missing_postgresql_database_says_createdb() -> None:
    assert PG_URL is not None
    url = make_url(PG_URL).set(database="ledger_h12a_missing")
    message = _one_line(url.render_as_string(hide_password=False))
    assert message.startswith('database "ledger_h12a_missing" does not exist on ')
    assert "createdb -h " in message and message.endswith(" ledger_h12a_missing`")


def test_an_unreachable_server_is_one_line() -> None:
    message = _one_line("postgresql+psycopg://postgres@127.0.0.1:9/ledger")
    assert message.startswith("no PostgreSQL server answers at 127.0.0.1:9")
    assert "LEDGER_DATABASE_URL" in message


def test_the_first_admin_key_is_created_once_in_a_private_file(
    session: Session, tmp_path: Path
) -> None:
    for key in session.exec(select(ApiKey).where(ApiKey.role == Role.admin.value)):
        session.delete(key)
    session.flush()
    key_file = tmp_path / "admin-token"
    said = ensure_admin(session=session, admin_token=None, key_file=key_file)
    token = key_file.read_text().strip()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert f"token (shown only now): {token}" in said and str(key_file) in said
    caller = authenticate(session=session, token=token, admin_token=None)
    assert caller is not None and caller.is_admin
    again = ensure_admin(session=session, admin_token=None, key_file=key_file)
    assert token not in again and str(key_file) in again
    assert key_file.read_text().strip() == token
    with_token = ensure_admin(session=session, admin_token="set", key_file=tmp_path / "x")
    assert "LEDGER_ADMIN_TOKEN is set" in with_token and not (tmp_path / "x").exists()


def test_the_demo_loads_into_an_empty_database_of_either_engine(
    empty_database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env_file = tmp_path / "demo.env"
    argv = ["demo", "--database-url", empty_database_url, "--env-file", str(env_file)]
    assert cli(argv) == 0
    out = capsys.readouterr().out
    assert out.startswith("Demo data loaded:")
    credentials = read_env_file(env_file)
    assert set(credentials) == {
        "BASE",
        "ADMIN",
        "STORE",
        "SOCIETY",
        "HOLDER_TOKEN",
        "HOLDER",
        "DIRECT_HOLDER_TOKEN",
    }
    assert credentials["BASE"].startswith("http://")  # a second shell knows the port
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    assert all(value in out for value in credentials.values())
    # A second run refuses, with one line and exit 1, and says nothing was loaded.
    assert cli(argv) == 1
    captured = capsys.readouterr()
    assert "Demo data" not in captured.out
    last = captured.err.splitlines()[-1]  # after alembic's log lines
    assert last.startswith("royalty-ledger: the database already holds societies")
    engine = make_engine(empty_database_url)
    with Session(engine) as session:
        for name, role in [
            ("ADMIN", Role.admin),
            ("HOLDER_TOKEN", Role.rights_holder),
            ("DIRECT_HOLDER_TOKEN", Role.rights_holder),
        ]:
            caller = authenticate(session=session, token=credentials[name], admin_token=None)
            assert caller is not None and caller.role is role
    engine.dispose()


def test_make_run_says_loaded_only_when_it_loaded(empty_database_url: str, tmp_path: Path) -> None:
    settings = Settings(
        database_url=empty_database_url,
        admin_token=None,
        demo_env_file=tmp_path / "demo.env",
        admin_key_file=tmp_path / "admin-token",
    )
    first = prepare(settings, demo=True)
    assert "Demo data loaded:" in first and "Admin: this database has admin keys" in first
    assert read_env_file(tmp_path / "demo.env")["BASE"] == "http://127.0.0.1:8000"
    # Served on another port now: the file a second shell sources follows the server.
    second = prepare(settings.model_copy(update={"port": 8010}), demo=True)
    assert "Demo data loaded:" not in second and "Demo data (loaded earlier):" in second
    assert read_env_file(tmp_path / "demo.env")["BASE"] == "http://127.0.0.1:8010"
    assert "http://127.0.0.1:8010/docs" in second
    assert not (tmp_path / "admin-token").exists()  # the demo's ADMIN lets an admin in
    assert describe_demo(loaded=False, env_file=tmp_path / "none.env", base="http://x") == ""


def test_demo_off_seeds_nothing_and_still_lets_an_admin_in(
    empty_database_url: str, tmp_path: Path
) -> None:
    settings = Settings(
        database_url=empty_database_url,
        admin_token=None,
        demo_env_file=tmp_path / "demo.env",
        admin_key_file=tmp_path / "admin-token",
    )
    said = prepare(settings, demo=False)
    assert "Demo data" not in said and not (tmp_path / "demo.env").exists()
    assert "token (shown only now)" in said
    engine = make_engine(empty_database_url)
    with Session(engine) as session:
        assert session.exec(select(Society)).first() is None
        token = (tmp_path / "admin-token").read_text().strip()
        assert authenticate(session=session, token=token, admin_token=None) is not None
    engine.dispose()


def test_the_signing_key_is_created_at_the_first_start_and_kept(
    empty_database_url: str, tmp_path: Path
) -> None:
    """Issue #13: with LEDGER_SIGNING_KEY unset, the first start creates the operator's key
    (mode 0600) and says where; later starts reuse it."""
    key_file = tmp_path / "signing.key"
    settings = Settings(
        database_url=empty_database_url,
        demo_env_file=tmp_path / "demo.env",
        admin_key_file=tmp_path / "admin-token",
        signing_key=None,
        signing_key_file=str(key_file),
    )
    first = prepare(settings, demo=False)
    assert key_file.exists() and stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert f"({key_file}; back it up)" in first
    kept = key_file.read_bytes()
    assert prepare(settings, demo=False).count("Tree heads are signed with key") == 1
    assert key_file.read_bytes() == kept


def test_a_broken_signing_key_stops_the_start_in_one_line(
    empty_database_url: str, tmp_path: Path
) -> None:
    settings = Settings(
        database_url=empty_database_url,
        admin_key_file=tmp_path / "admin-token",
        signing_key="bm90IGEga2V5",  # base64 of 9 bytes: no Ed25519 seed
    )
    with pytest.raises(NotReady, match=r"^LEDGER_SIGNING_KEY: .*32 bytes"):
        prepare(settings, demo=False)


def test_make_run_on_a_second_database_does_not_name_another_databases_key_file(
    session: Session, tmp_path: Path
) -> None:
    """The key file beside it holds another database's token: naming it would send the
    user to a 401 (issue 25, point 5)."""
    key_file = tmp_path / "admin-token"
    key_file.write_text("rl_a_token_of_another_database\n")
    issue_api_key(session=session, role=Role.admin, subject=None)
    said = ensure_admin(session=session, admin_token=None, key_file=key_file)
    assert f"the first one is in {key_file}" not in said
    assert f"{key_file} holds another database's key" in said
    assert "none of them is kept" in ensure_admin(
        session=session, admin_token=None, key_file=tmp_path / "absent"
    )


def test_make_demo_does_not_overwrite_another_databases_credentials(
    empty_database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env_file = tmp_path / "demo.env"
    env_file.write_text("ADMIN=rl_the_sqlite_demos_token\n")
    argv = ["demo", "--database-url", empty_database_url, "--env-file", str(env_file)]
    assert cli(argv) == 2
    assert "holds the credentials of another database" in capsys.readouterr().err
    assert env_file.read_text() == "ADMIN=rl_the_sqlite_demos_token\n"
    engine = make_engine(empty_database_url)
    with Session(engine) as session:
        assert session.exec(select(Society)).first() is None
    engine.dispose()


def test_the_start_names_the_signers_record_and_refuses_bad_witnesses(
    empty_database_url: str, tmp_path: Path
) -> None:
    """Issue #29: the signer's record must be writable, LEDGER_WITNESSES usable; one line."""
    base = {
        "database_url": empty_database_url,
        "admin_key_file": tmp_path / "admin-token",
        "signing_key_file": str(tmp_path / "signing.key"),
        "signing_key": None,
    }
    said = prepare(Settings(**base, signer_record_file=None), demo=False)
    assert f"its record in {tmp_path / 'signing.key.signed.json'}" in said
    with pytest.raises(NotReady, match="witness key 'nonsense'"):
        prepare(Settings(**base, witnesses="nonsense http://127.0.0.1:9"), demo=False)
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    if not os.access(locked, os.W_OK):  # root writes anywhere
        with pytest.raises(NotReady, match="LEDGER_SIGNER_RECORD_FILE: cannot write"):
            prepare(Settings(**base, signer_record_file=str(locked / "r.json")), demo=False)
