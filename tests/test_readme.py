"""The README's shell blocks, run as a new user runs them, so the README cannot rot.

Conventions for README.md (anyone adding a section follows them):

- A fenced block whose info string is exactly ``sh`` is run. All of them run in file
  order, concatenated into one ``bash`` script with ``set -euo pipefail``: a command that
  fails stops the test and names its block. Every ``curl`` is ``curl -sS
  --fail-with-body`` (an error answer fails the block and still shows its problem), except
  one that is refused on purpose and prints its status with ``-w``.
- Blocks run from a fresh copy of the repository (its tracked files as they are in the
  working tree, committed in a new git repository; ``.venv`` is linked into it), against
  a server started there the way ``make run`` starts it (``python -m
  service.startup.run``, default database) on a port the kernel hands out. The blocks'
  shell is a *second* shell: no ``LEDGER_*`` variable; it learns the server's address
  from ``royalty-ledger.demo.env``. The ``Try:`` line the server prints is not run.
- Blocks write files only under ``$WORK`` (a ``mktemp -d``): after them, ``git status
  --porcelain`` in the copy is empty and the only ignored files are the server's own.
- Variables set by an earlier block are there for later ones: the first block after Quick
  start sources ``royalty-ledger.demo.env`` (``BASE``, ``ADMIN``, ``STORE``, ``SOCIETY``,
  ``HOLDER_TOKEN``, ``HOLDER``), sets ``LEDGER_URL`` and ``WORK``; the walkthrough sets
  ``ID`` (a statement) and ``TAKEDOWN``. Never write ``localhost:8000``: use ``$BASE``.
  A README sale must not reuse another block's sale_id (a conflict fails the test).
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


def run_blocks(blocks: list[tuple[int, str]], cwd: Path, env: dict[str, str]) -> str:
    """Run ``blocks`` in order in one bash; their stdout. A failure names its block."""
    script = ["set -euo pipefail"]
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


def git(repo: Path, *args: str) -> str:
    config = ("-c", "user.name=readme", "-c", "user.email=readme@example.org")
    done = subprocess.run(
        ["git", *config, *args], cwd=repo, capture_output=True, text=True, check=True
    )
    return done.stdout


def repository_copy(dest: Path) -> Path:
    """What a new user's clone holds: the tracked files (as they are in the working tree,
    so uncommitted edits are tested too), committed in a new repository; ``.venv`` linked."""
    dest.mkdir()
    for name in filter(None, git(ROOT, "ls-files", "-z").split("\0")):
        source = ROOT / name
        if source.is_file() and not source.is_symlink():  # a file deleted but not yet staged
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    git(dest, "init", "--quiet")
    git(dest, "add", "--all")
    git(dest, "commit", "--quiet", "--no-verify", "-m", "a new user's clone")
    (dest / ".venv").symlink_to(ROOT / ".venv")
    return dest


def second_shell(scratch: Path) -> dict[str, str]:
    """A shell opened beside the server's: it knows no ``LEDGER_*`` variable; ``mktemp``
    makes its files under ``scratch``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LEDGER_", "GIT_"))}
    return {**env, "TMPDIR": str(scratch)}


@contextmanager
def served(home: Path, log_path: Path, **settings: str) -> Iterator[dict[str, str]]:
    """A server started like `make run` from ``home``; the environment it runs with."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}
    env.update({f"LEDGER_{k.upper()}": v for k, v in settings.items()}, LEDGER_PORT=str(port))
    log = log_path.open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "service.startup.run"], cwd=home, env=env, stdout=log, stderr=log
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, log_path.read_text()
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.2)
        yield env
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


# What `make run` itself leaves in the repository, all ignored by .gitignore.
SERVER_FILES = {
    ".venv",
    "royalty-ledger.db",
    "royalty-ledger.db-shm",
    "royalty-ledger.db-wal",
    "royalty-ledger.demo.env",
    "royalty-ledger.admin-token",
    "royalty-ledger-signing.key",
    "royalty-ledger-signing.key.signed.json",  # the signer's record (docs/transparency.md)
    "royalty-ledger-signing.key.signed.json.lock",
}


def ignored_files(repo: Path) -> set[str]:
    listed = git(repo, "status", "--porcelain", "--ignored", "--untracked-files=all")
    paths = {line[3:].rstrip("/") for line in listed.splitlines() if line.startswith("!! ")}
    return {p for p in paths if "__pycache__" not in p.split("/")}


def test_readme_marks_few_blocks_no_test() -> None:
    run, skipped = readme_blocks()
    assert len(run) >= 10
    assert len(skipped) <= MAX_NO_TEST, f"no-test blocks at lines {skipped}: keep them few"
    quick = (ROOT / "README.md").read_text().split("## Quick start", 1)[1]
    assert quick.lstrip().startswith("```sh no-test\nmake run\nmake test\n```")


CURL = re.compile(r"\bcurl\b((?:[^\n]|\\\n)*)")


def test_every_readme_curl_fails_loudly() -> None:
    """``curl -s`` alone prints nothing on an error answer and exits 0: a reader (and this
    test) would go on. Each one fails with its problem shown, or prints the status."""
    run, _ = readme_blocks()
    pg, _ = readme_blocks("postgresql")
    calls = [m.group(1) for _, code in run + pg for m in CURL.finditer(code)]
    assert len(calls) >= 30
    for call in calls:
        words = call.split()
        assert "-s" not in words, f"curl -s without -S: {call[:80]}"
        assert "--fail-with-body" in words or "%{http_code}" in call, call[:80]


def test_readme_blocks_run_in_order_in_a_fresh_clone(tmp_path: Path) -> None:
    """A new user: a fresh clone, `make run`, then every block in a second shell, without
    the ``Try:`` line; the clone is as clean afterwards as before."""
    assert shutil.which("curl"), "the README's blocks need curl"
    clone = repository_copy(tmp_path / "clone")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    run, _ = readme_blocks()
    run.append((0, 'echo; echo "ID=$ID TAKEDOWN=$TAKEDOWN HOLDER=$HOLDER STORE2=${STORE2:+set}"'))
    with served(clone, tmp_path / "server.log", demo="true"):
        stdout = run_blocks(run, clone, second_shell(scratch))
    last = stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"ID=\w+ TAKEDOWN=\w+ HOLDER=[0-9a-f]{32} STORE2=set", last), last
    # What the walkthrough says happens, happened.
    assert '"status":"conflict"' not in stdout  # no sale_id posted twice
    assert "HTTP 451" in stdout  # the US sale after the takedown is refused
    (work,) = scratch.iterdir()  # the one $WORK
    assert any((work / "statements").iterdir())
    assert any(p.suffix == ".tsv" and p.name.startswith("DSR_") for p in work.iterdir())
    # Nothing written into the repository but what `make run` keeps, all ignored.
    assert git(clone, "status", "--porcelain") == ""
    assert ignored_files(clone) <= SERVER_FILES, ignored_files(clone) - SERVER_FILES


@pytest.mark.skipif(PG_URL is None, reason="needs PostgreSQL (LEDGER_TEST_DATABASE_URL)")
def test_readme_postgresql_path_reaches_an_authenticated_call(tmp_path: Path) -> None:
    """The ``sh postgresql`` blocks, after `make run` on a new, empty PostgreSQL database
    with no LEDGER_ADMIN_TOKEN: the admin key it creates lets the first call in."""
    assert PG_URL is not None
    blocks, _ = readme_blocks("postgresql")
    assert blocks
    clone = repository_copy(tmp_path / "clone")
    name = f"ledger_readme_{uuid.uuid4().hex[:10]}"
    url = create_pg_database(PG_URL, name)
    try:
        with served(clone, tmp_path / "server.log", database_url=url) as env:
            # That section's shell was told the port (LEDGER_PORT=… make run).
            shell = {**second_shell(tmp_path), "LEDGER_PORT": env["LEDGER_PORT"]}
            stdout = run_blocks(blocks, clone, shell)
    finally:
        drop_pg_database(PG_URL, name)
    assert stat.S_IMODE((clone / "royalty-ledger.admin-token").stat().st_mode) == 0o600
    assert '"role":"admin"' in stdout
    assert "token (shown only now)" in (tmp_path / "server.log").read_text()
    assert git(clone, "status", "--porcelain") == ""
