"""A real server for the hardening tests: ``python -m service.server`` in a subprocess, on
a private PostgreSQL database, on a port the kernel hands out."""

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.conftest import ADMIN_TOKEN
from tests.ports import free_port

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Live:
    url: str
    port: int
    process: subprocess.Popen[bytes]


# The signer's record of each database a server was started on. A module's server starts
# before any test's own record is set (autouse fixtures are per test), and the default
# record lies beside the key in the checkout: a second run of the suite would then find
# the first run's heads there and (rightly) refuse to sign the new database's tree.
_RECORDS: dict[str, str] = {}


def _record_of(database_url: str) -> str:
    if database_url not in _RECORDS:
        _RECORDS[database_url] = str(Path(tempfile.mkdtemp(prefix="signer-")) / "signed.json")
    return _RECORDS[database_url]


def start(database_url: str, port: int, **env: str) -> Live:
    environment = {
        **os.environ,
        "LEDGER_DATABASE_URL": database_url,
        "LEDGER_ADMIN_TOKEN": ADMIN_TOKEN,
        "LEDGER_DEMO": "false",
        # A test's own record when it set one (the autouse fixture), else the database's.
        "LEDGER_SIGNER_RECORD_FILE": os.environ.get("LEDGER_SIGNER_RECORD_FILE")
        or _record_of(database_url),
        **env,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "service.server", "--port", str(port)],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return Live(url, port, process)
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the server did not answer /healthz within 30 s")


@contextmanager
def serving(database_url: str, **env: str) -> Iterator[Live]:
    live = start(database_url, free_port(), **env)
    try:
        yield live
    finally:
        live.process.kill()
        live.process.wait(timeout=10)
