"""The command line as a user meets it: help, defaults, options, environment, failures.

No application here: these run before a request, or against a port nobody listens on.
"""

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path

import pytest

from service.client import cli

REFUSED = "http://127.0.0.1:8169"  # in this worktree's port range; nothing listens there


def subcommand_parsers(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in dict.fromkeys(action.choices.values()):
                yield child
                yield from subcommand_parsers(child)


@pytest.fixture(autouse=True)
def no_ledger_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LEDGER_URL", "LEDGER_PORT", "LEDGER_TOKEN"):
        monkeypatch.delenv(name, raising=False)


def test_every_subcommand_is_covered() -> None:
    names = {p.prog.removeprefix("royalty-ledger ") for p in subcommand_parsers(cli.parser())}
    assert names == {
        "post-sales",
        "post-refunds",
        "post-dsr",
        "pull-statements",
        "close",
        "verify-ledger",
        "keys",
        "keys create",
        "keys revoke",
        "demo",
        "verify-statement",
        "webhooks-worker",
        "import-cwr",
        "backup",
        "restore",
        "witness",
        "witness key",
        "witness serve",
    }


def test_help_of_every_subcommand_shows_its_defaults() -> None:
    for sub in subcommand_parsers(cli.parser()):
        text = " ".join(sub.format_help().split())
        assert sub.description, sub.prog
        assert "exit codes: 0 success" in text
        if sub.prog.split()[-1] in ("demo", "webhooks-worker"):
            continue  # they talk to the database: no connection options (issue 25)
        # Shared options, with the environment they come from; never a token's value.
        assert "--url URL the ledger's base URL" in text
        assert "(default: http://127.0.0.1:8000)" in text
        assert "(default: $LEDGER_TOKEN, now unset)" in text
        assert "(default: 60)" in text and "(default: 5)" in text
        assert "exit codes: 0 success" in text
        for action in sub._actions:
            if action.option_strings and action.default not in (None, argparse.SUPPRESS):
                assert f"(default: {action.default})" in text, (sub.prog, action.dest)
            if action.dest != "help":
                assert action.help, (sub.prog, action.dest)


def test_post_sales_help_names_its_own_defaults(capsys) -> None:
    with pytest.raises(SystemExit) as done:
        cli.main(["post-sales", "--help"])
    assert done.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "sales per request (default: 1000)" in text
    assert "no progress bar (shown only on a terminal) (default: False)" in text


def test_help_never_shows_the_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEDGER_TOKEN", "rl_secret_value")
    text = cli.parser().format_help()
    assert "rl_secret_value" not in text
    assert "now set" in " ".join(text.split())


def test_version_comes_from_the_package_metadata(capsys) -> None:
    with pytest.raises(SystemExit) as done:
        cli.main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out == f"royalty-ledger {version('royalty-ledger')}\n"


@pytest.mark.parametrize(
    "argv",
    [
        ["--url", "http://ledger:9000", "--token", "t", "--timeout", "5", "verify-ledger"],
        ["verify-ledger", "--url", "http://ledger:9000", "--token", "t", "--timeout", "5"],
        ["--url", "http://ledger:9000", "verify-ledger", "--token", "t", "--timeout", "5"],
    ],
)
def test_shared_options_work_before_and_after_the_subcommand(
    argv: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = {}

    def fake_client(url: str, token: str, **options: float) -> None:
        seen.update(url=url, token=token, **options)
        raise cli.Failure("stop here", cli.ExitCode.FAILED)

    monkeypatch.setattr(cli, "LedgerClient", fake_client)
    assert cli.main(argv) == 1
    assert seen == {"url": "http://ledger:9000", "token": "t", "timeout": 5.0, "retries": 5}


def test_url_defaults_to_ledger_port_and_ledger_url_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    parse = cli.parser().parse_args
    monkeypatch.setenv("LEDGER_PORT", "8123")
    assert cli._defaults()["url"] == "http://127.0.0.1:8123"
    monkeypatch.setenv("LEDGER_URL", "https://ledger.example")
    assert cli._defaults()["url"] == "https://ledger.example"
    # Given on the command line, --url wins over both.
    args = parse(["close", "2006-11", "--url", "http://x:1"])
    assert args.url == "http://x:1" and args.period == "2006-11"


def test_a_refused_connection_is_one_line_and_exit_3_quickly(capsys) -> None:
    started = time.monotonic()
    code = cli.main(["verify-ledger", "--url", REFUSED, "--token", "t"])
    elapsed = time.monotonic() - started
    assert code == 3
    captured = capsys.readouterr()
    assert captured.out == ""
    [line] = captured.err.splitlines()
    assert line.startswith(f"royalty-ledger: cannot connect to {REFUSED} (")
    assert "Set --url or LEDGER_URL" in line
    assert elapsed < 5  # one quick retry, not ~16 s of backoff


def test_the_installed_command_fails_without_a_traceback(tmp_path: Path) -> None:
    """The real process, LEDGER_PORT pointing at nobody: one stderr line, exit 3."""
    sales = tmp_path / "sales.csv"
    sales.write_text("sale_id,isrc\no-1,RUA010600001\n")
    env = {**os.environ, "LEDGER_PORT": REFUSED.rsplit(":", 1)[1], "LEDGER_TOKEN": "t"}
    env.pop("LEDGER_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "service.client.cli", "post-sales", str(sales), "--quiet"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 3
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        line for line in done.stderr.splitlines() if line.startswith("royalty-ledger: ")
    ]
    assert len(done.stderr.splitlines()) == 1
    assert f"cannot connect to {REFUSED}" in done.stderr


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.csv", None, "missing.csv: No such file or directory"),
        ("a-directory", "dir", "a-directory: Is a directory"),
        ("latin1.csv", b"sale_id\n\xe9t\xe9\n", "latin1.csv is not a UTF-8 CSV file"),
    ],
)
def test_a_file_that_cannot_be_read_is_one_line_and_exit_2(
    tmp_path: Path, capsys, name: str, content: bytes | str | None, message: str
) -> None:
    path = tmp_path / name
    if content == "dir":
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    # Fails before any connection: the URL below would be refused.
    assert cli.main(["post-sales", str(path), "--url", REFUSED, "--token", "t"]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("royalty-ledger: ") and message in line


def test_no_token_is_a_usage_error(capsys) -> None:
    assert cli.main(["verify-ledger", "--url", REFUSED]) == 2
    assert capsys.readouterr().err == "royalty-ledger: a token is needed: --token or LEDGER_TOKEN\n"


@pytest.mark.parametrize(
    "argv",
    [
        ["close", "2006-13"],
        ["pull-statements", "--period", "November"],
        ["post-sales", "x.csv", "--batch-size", "0"],
        ["verify-ledger", "--url", "localhost:8000"],
        ["keys", "create", "--role", "owner"],
        [],
    ],
)
def test_bad_options_exit_2_with_usage(argv: list[str], capsys) -> None:
    with pytest.raises(SystemExit) as done:
        cli.main(argv)
    assert done.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_a_malformed_ledger_url_is_a_usage_error(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("LEDGER_URL", "localhost:8000")
    assert cli.main(["verify-ledger", "--token", "t"]) == 2
    assert capsys.readouterr().err == (
        "royalty-ledger: LEDGER_URL: 'localhost:8000' is not a URL like http://127.0.0.1:8000\n"
    )
