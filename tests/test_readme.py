"""The README's shell blocks, run as written against a live server, so the README cannot rot.

Conventions for README.md (anyone adding a section follows them):

- A fenced block whose info string is exactly ``sh`` is run. All of them run in file
  order, concatenated into one ``bash`` script with ``set -euo pipefail``: a command that
  fails stops the test and names its block. Use ``curl -s --fail-with-body`` so that an
  error answer fails the block and still shows its problem body.
- Blocks run from a scratch directory standing for the repository (``.venv`` is linked
  into it), against a server started the way ``make run`` starts it
  (``python -m service.startup.run``) on an empty SQLite database with the demo loaded and
  ``LEDGER_PORT`` set to a port the kernel hands out.
- Variables set by an earlier block are there for later ones: the first block after Quick
  start sets ``PORT``, ``BASE`` and ``LEDGER_URL`` and sources the demo's
  ``royalty-ledger.demo.env`` (``ADMIN``, ``STORE``, ``SOCIETY``, ``HOLDER_TOKEN``,
  ``HOLDER``); the walkthrough sets ``ID`` (a statement) and ``TAKEDOWN``. Never write
  ``localhost:8000``: use ``$BASE``.
- The ``Try:`` line the server prints runs first; a README sale must not reuse its sale_id
  (nor any other block's: a conflict anywhere fails the test).
- ``sh postgresql`` blocks run in a test of their own, after a server started the same way
  on a new, empty PostgreSQL database with no ``LEDGER_ADMIN_TOKEN`` (``make run`` on
  PostgreSQL): they show the first authenticated call there.
- A block that cannot run here (``make``, Docker, another database) is fenced
  ```` ```sh no-test ````; keep those few (at most ``MAX_NO_TEST``). Other languages
  (``json``, ``text``, ``console``…) are never run.
"""

import os
import re
import shutil
import stat
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.conftest import PG_URL, ROOT, create_pg_database, drop_pg_database
from tests.ports import free_port

FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```\s*$", re.MULTILINE | re.DOTALL)
MAX_NO_TEST = 8


def readme_blocks(kind: str = "") -> tuple[list[tuple[int, str]], list[int]]:
    """(line, code) of every ``sh`` block (``sh postgresql`` with ``kind="postgresql"``),
    and the lines of the ``sh no-test`` ones."""
    text = (ROOT / "README.md").read_text()
    run, skipped = [], []
    for match in FENCE.finditer(text):
        words = match.group(1).split()
        line = text.count("\n", 0, match.start()) + 1
        if words == ["sh", *kind.split()]:
            run.append((line, match.group(2)))
        elif words[:1] == ["sh"]:
            assert words[1:] in ([], ["no-test"], ["postgresql"]), f"README.md:{line}: {words}"
            if words[1:] == ["no-test"]:
                skipped.append(line)
    return run, skipped


def run_blocks(blocks: list[tuple[int, str]], cwd: Path, env: dict[str, str], *extra: str) -> str:
    """Run ``blocks`` in order in one bash; their stdout. A failure names its block."""
    script = ["set -euo pipefail", *extra]
    for line, code in blocks:
        script += [f"echo '>>> README.md:{line}' >&2", code]
    done = subprocess.run(
        ["bash", "-c", "\n".join(script)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    failed_at = done.stderr.rsplit(">>> ", 1)[-1][:2000]
    assert done.returncode == 0, f"{failed_at}\n--- stdout:\n{done.stdout[-2000:]}"
    return done.stdout


@contextmanager
def served(home: Path, database_url: str) -> Iterator[dict[str, str]]:
    """A server started like `make run` from ``home``; the environment it runs with."""
    (home / ".venv").symlink_to(ROOT / ".venv")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}
    env.update(LEDGER_DATABASE_URL=database_url, LEDGER_PORT=str(port), LEDGER_DEMO="true")
    log = (home / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "service.startup.run"], cwd=home, env=env, stdout=log, stderr=log
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, (home / "server.log").read_text()
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, (home / "server.log").read_text()
            time.sleep(0.2)
        yield env
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str]]]:
    """A scratch "repository" and the environment of a server started like `make run`."""
    home = tmp_path_factory.mktemp("readme")
    with served(home, f"sqlite:///{home / 'royalty-ledger.db'}") as env:
        yield home, env


def test_readme_marks_few_blocks_no_test() -> None:
    run, skipped = readme_blocks()
    assert len(run) >= 10
    assert len(skipped) <= MAX_NO_TEST, f"no-test blocks at lines {skipped}: keep them few"
    quick = (ROOT / "README.md").read_text().split("## Quick start", 1)[1]
    assert quick.lstrip().startswith("```sh no-test\nmake run\nmake test\n```")


def test_readme_blocks_run_in_order(live: tuple[Path, dict[str, str]]) -> None:
    assert shutil.which("curl"), "the README's blocks need curl"
    home, env = live
    run, _ = readme_blocks()
    # First the `Try:` line the server printed: its sale must not collide with the README's.
    printed = (home / "server.log").read_text().split("Try:\n", 1)[1].splitlines()[0]
    first = f'{printed.strip()} | grep -q \'"status":"recorded"\''
    run.append((0, 'echo; echo "ID=$ID TAKEDOWN=$TAKEDOWN HOLDER=$HOLDER STORE2=${STORE2:+set}"'))
    stdout = run_blocks(run, home, env, first)
    last = stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"ID=\w+ TAKEDOWN=\w+ HOLDER=[0-9a-f]{32} STORE2=set", last), last
    # What the walkthrough says happens, happened.
    assert '"status":"conflict"' not in stdout  # no sale_id posted twice
    assert "HTTP 451" in stdout  # the US sale after the takedown is refused
    assert (home / "statements").is_dir() and any((home / "statements").iterdir())
    assert any(p.suffix == ".tsv" for p in home.iterdir()), "the DSR file was downloaded"


@pytest.mark.skipif(PG_URL is None, reason="needs PostgreSQL (LEDGER_TEST_DATABASE_URL)")
def test_readme_postgresql_path_reaches_an_authenticated_call(tmp_path: Path) -> None:
    """The ``sh postgresql`` blocks, after `make run` on a new, empty PostgreSQL database
    with no LEDGER_ADMIN_TOKEN: the admin key it creates lets the first call in."""
    assert PG_URL is not None
    blocks, _ = readme_blocks("postgresql")
    assert blocks
    name = f"ledger_readme_{uuid.uuid4().hex[:10]}"
    url = create_pg_database(PG_URL, name)
    try:
        with served(tmp_path, url) as env:
            stdout = run_blocks(blocks, tmp_path, env)
    finally:
        drop_pg_database(PG_URL, name)
    assert stat.S_IMODE((tmp_path / "royalty-ledger.admin-token").stat().st_mode) == 0o600
    assert '"role":"admin"' in stdout
    assert "token (shown only now)" in (tmp_path / "server.log").read_text()
