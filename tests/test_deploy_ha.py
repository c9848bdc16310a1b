"""The compose "ha" profile (issue #26), checked over the files since no Docker daemon runs
here: a pg_auto_failover monitor and two nodes, the API following the primary through a
multi-host URL, nothing started by a plain `docker compose up`, no fixed secret, no
trust authentication, a non-root image. The pair itself runs in CI through
scripts/pg-ha.sh (tests/failover)."""

import os
import subprocess
from typing import Any

import yaml
from sqlalchemy.engine import make_url

from tests.conftest import ROOT

HA = ("monitor", "node1", "node2", "api-ha")
ENTRYPOINT = ROOT / "deploy" / "pg-ha" / "entrypoint.sh"


def _services() -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"])


def test_the_ha_profile_is_a_monitor_two_nodes_and_the_api() -> None:
    services = _services()
    for name in HA:
        assert services[name]["profiles"] == ["ha"], name
        assert "healthcheck" in services[name], name
    for name, service in services.items():
        if name not in HA:  # the default services, and the TLS proxy in its own profile
            assert service.get("profiles") in (None, ["tls"]), f"{name} is in another profile"
    assert services["monitor"]["command"] == ["monitor"]
    for node in ("node1", "node2"):
        assert services[node]["build"] == "deploy/pg-ha"
        assert services[node]["command"] == ["node"]
    # One at a time: node1 registers first (the primary), node2 then joins as its standby.
    assert services["node1"]["depends_on"] == {"monitor": {"condition": "service_healthy"}}
    assert services["node2"]["depends_on"] == {"node1": {"condition": "service_healthy"}}
    volumes = {s: services[s]["volumes"][0].split(":")[0] for s in HA[:3]}
    assert len(set(volumes.values())) == 3, "each PostgreSQL keeps its own data volume"
    declared = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["volumes"]
    assert set(volumes.values()) <= set(declared)
    ports = {p.split(":")[1] for s in services.values() for p in s.get("ports", [])}
    assert len(ports) == sum(len(s.get("ports", [])) for s in services.values())


def test_the_api_follows_whichever_node_is_primary() -> None:
    env = _services()["api-ha"]["environment"]
    write, read = make_url(env["LEDGER_DATABASE_URL"]), make_url(env["LEDGER_READ_DATABASE_URL"])
    for url in (write, read):
        assert url.query["host"] == "node1,node2"
        assert url.query["sslmode"] == "require"
        assert url.password == "${POSTGRES_PASSWORD}"  # from the environment, never fixed
    assert write.query["target_session_attrs"] == "read-write"
    assert read.query["target_session_attrs"] == "prefer-standby"
    assert env["LEDGER_ADMIN_TOKEN"] == "${LEDGER_ADMIN_TOKEN}"


def test_the_nodes_use_passwords_and_tls_and_refuse_to_start_without_them() -> None:
    script = ENTRYPOINT.read_text()
    assert "--auth scram-sha-256" in script and "--ssl-self-signed" in script
    assert "--auth trust" not in script and "--no-ssl" not in script
    assert os.access(ENTRYPOINT, os.X_OK)
    env = {"PATH": os.environ["PATH"], "PGDATA": "/nonexistent", "LEDGER_DB_PASSWORD": "x"}
    done = subprocess.run(["sh", str(ENTRYPOINT), "node"], env=env, capture_output=True)
    assert done.returncode != 0
    assert b"PG_HA_PASSWORD" in done.stderr
    dockerfile = (ROOT / "deploy" / "pg-ha" / "Dockerfile").read_text()
    assert "postgresql-15-auto-failover" in dockerfile
    assert "USER postgres" in dockerfile
