"""The container files an operator runs: no fixed secret, a non-root image, and the
dependencies installed in a layer of their own, before the source is copied."""

import re

import yaml

from tests.conftest import ROOT


def test_compose_has_no_fixed_secret() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    secrets = {
        "POSTGRES_PASSWORD": compose["services"]["db"]["environment"]["POSTGRES_PASSWORD"],
        "LEDGER_ADMIN_TOKEN": compose["services"]["api"]["environment"]["LEDGER_ADMIN_TOKEN"],
    }
    for name, value in secrets.items():
        # ${NAME:?message}: compose refuses to start without it; no default to fall back on.
        assert re.fullmatch(rf"\$\{{{name}:\?[^}}]+\}}", value), (name, value)
    url = compose["services"]["api"]["environment"]["LEDGER_DATABASE_URL"]
    assert "${POSTGRES_PASSWORD}" in url


def test_image_installs_dependencies_first_and_runs_unprivileged() -> None:
    lines = [
        line.strip()
        for line in (ROOT / "Dockerfile").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    index = {line.split()[0] + " " + line.split()[1]: i for i, line in enumerate(lines)}
    first_install = next(i for i, line in enumerate(lines) if "pip install -r" in line)
    assert first_install < index["COPY service"]
    users = [line for line in lines if line.startswith("USER ")]
    assert users and users[-1] not in ("USER root", "USER 0")
    assert lines.index(users[-1]) < next(i for i, ln in enumerate(lines) if ln.startswith("CMD"))


def test_sqlite_side_files_are_ignored() -> None:
    ignored = (ROOT / ".gitignore").read_text().splitlines()
    for pattern in (
        "*.db-shm",
        "*.db-wal",
        "royalty-ledger.demo.env",
        "royalty-ledger.admin-token",
    ):
        assert pattern in ignored
