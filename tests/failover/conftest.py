"""A real highly available pair for the failover test (``LEDGER_TEST_HA_URL``).

``scripts/pg-ha.sh up`` (``.ci/run`` does it) starts a pg_auto_failover monitor and two
nodes on free ports and prints the multi-host URL. The test creates a private database on
the pair and kills the primary node; the next run's ``up`` restarts the lost node, which
rejoins as the secondary. Without a pair the test skips, except under CI,
where a missing pair is a failure.
"""

import os
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.conftest import ROOT, create_pg_database, drop_pg_database, migrate

HA_URL = os.environ.get("LEDGER_TEST_HA_URL")
SCRIPT = ROOT / "scripts" / "pg-ha.sh"


@dataclass
class Pair:
    url: str  # the private database, on whichever node accepts writes
    read_url: str  # the same database, preferring the standby

    def kill_primary(self) -> str:
        """SIGKILL the primary node (keeper and postmaster); its name."""
        done = subprocess.run(
            [str(SCRIPT), "kill-primary"], check=True, capture_output=True, text=True
        )
        return done.stdout.strip()


@pytest.fixture
def ha_pair() -> Iterator[Pair]:
    if HA_URL is None:
        if os.environ.get("CI"):
            pytest.fail("CI must run the failover test: LEDGER_TEST_HA_URL is not set")
        pytest.skip("no HA pair (scripts/pg-ha.sh up; LEDGER_TEST_HA_URL=$(scripts/pg-ha.sh url))")
    # A primary and a streaming secondary: a no-op on a healthy pair; after an earlier
    # run it restarts the node that run killed, which rejoins as the secondary.
    subprocess.run([str(SCRIPT), "up"], check=True, capture_output=True, timeout=300)
    name = f"ledger_ha_{uuid.uuid4().hex[:10]}"
    url = create_pg_database(HA_URL, name)
    migrate(url)
    try:
        yield Pair(url, url.replace("=read-write", "=prefer-standby"))
    finally:
        drop_pg_database(HA_URL, name)
