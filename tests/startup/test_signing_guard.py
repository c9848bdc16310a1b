"""Issue #26: start-up never creates or swaps the signing key behind the verifiers' back.

On both engines: once the database holds a signed tree head, a start without that key
(a recreated container) refuses in one line and exits 1, creating nothing; a start with
another key refuses unless LEDGER_SIGNING_KEY_ROTATE_TO names it."""

import base64
from pathlib import Path

import pytest
from sqlmodel import Session

from service.config import Settings
from service.engines import make_engine
from service.startup import run
from service.startup.bootstrap import NotReady
from service.startup.run import prepare
from service.timeutil import utcnow
from service.transparency.models import SignedTreeHead
from service.transparency.signing import operator_key

OTHER_SEED = base64.b64encode(bytes(range(32))).decode()


def _settings(url: str, tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": url,
        "demo_env_file": tmp_path / "demo.env",
        "admin_key_file": tmp_path / "admin-token",
        "signing_key": None,
        "signing_key_file": str(tmp_path / "signing.key"),
    }
    return Settings(**{**values, **overrides})  # type: ignore[arg-type]


def _signed_once(url: str, tmp_path: Path) -> str:
    """A started ledger whose key signed one tree head; returns that key's id."""
    settings = _settings(url, tmp_path)
    prepare(settings, demo=False)
    key = operator_key(None, settings.signing_key_file)
    engine = make_engine(url)
    with Session(engine) as session:
        session.add(
            SignedTreeHead(
                tree_size=0,
                timestamp=utcnow(),
                root_hash="e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                key_id=key.key_id,
                signature=key.sign(b"tree head"),
            )
        )
        session.commit()
    engine.dispose()
    return key.key_id


def test_a_recreated_container_without_the_key_refuses_in_one_line(
    empty_database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    signer = _signed_once(empty_database_url, tmp_path)
    key_file = tmp_path / "signing.key"
    key_file.unlink()  # the container's layer, and the key in it, are gone

    settings = _settings(empty_database_url, tmp_path)
    monkeypatch.setattr(run, "get_settings", lambda: settings)
    monkeypatch.setattr(run, "serve", lambda: pytest.fail("must not serve"))
    assert run.main() == 1
    # Alembic's log may precede it (alembic.ini); the refusal itself is the one last line.
    *_, line = capsys.readouterr().err.splitlines()
    assert line.startswith("royalty-ledger: refusing to create a new signing key: ")
    assert signer[:16] in line and str(key_file) in line
    assert not key_file.exists()  # nothing was created


def test_another_key_is_refused_unless_the_rotation_names_it(
    empty_database_url: str, tmp_path: Path
) -> None:
    signer = _signed_once(empty_database_url, tmp_path)
    other = operator_key(OTHER_SEED, "unused")
    assert other.key_id != signer

    with pytest.raises(NotReady) as caught:
        prepare(_settings(empty_database_url, tmp_path, signing_key=OTHER_SEED), demo=False)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"refusing to sign with key {other.key_id[:16]}")
    assert f"LEDGER_SIGNING_KEY_ROTATE_TO={other.key_id}" in message

    for wrong in (signer, other.key_id[:8], "0" * 64):  # the old key, too short, another
        with pytest.raises(NotReady):
            settings = _settings(
                empty_database_url, tmp_path, signing_key=OTHER_SEED, signing_key_rotate_to=wrong
            )
            prepare(settings, demo=False)
    rotating = _settings(
        empty_database_url, tmp_path, signing_key=OTHER_SEED, signing_key_rotate_to=other.key_id
    )
    assert f"signed with key {other.key_id[:16]}" in prepare(rotating, demo=False)


def test_the_key_that_signed_starts_as_before(empty_database_url: str, tmp_path: Path) -> None:
    signer = _signed_once(empty_database_url, tmp_path)
    said = prepare(_settings(empty_database_url, tmp_path), demo=False)
    assert f"signed with key {signer[:16]}" in said


def test_a_key_path_that_is_not_there_says_so(empty_database_url: str, tmp_path: Path) -> None:
    missing = "/run/secrets/ledger_signing_key_not_mounted"
    with pytest.raises(NotReady, match=rf"^LEDGER_SIGNING_KEY: no key file {missing}$"):
        prepare(_settings(empty_database_url, tmp_path, signing_key=missing), demo=False)
