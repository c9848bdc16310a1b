"""CLI and log habits (issue 25, point 8): a suggestion for a mistyped command, no
"(default: None)", no options a command ignores, an X-Request-ID on every call, one log
line per request with millisecond times."""

import json
import logging
import re

import httpx
import pytest

from service import server
from service.client import cli
from service.client.api import LedgerClient
from service.config import get_settings
from service.telemetry.logs import REQUEST_LOGGER, configure_logging


def _subcommand_helps() -> dict[str, str]:
    root = cli.parser()
    [commands] = [a for a in root._actions if isinstance(a, argparse_subparsers())]
    return {name: sub.format_help() for name, sub in commands.choices.items()}


def argparse_subparsers() -> type:
    import argparse

    return argparse._SubParsersAction


def test_a_mistyped_command_names_the_nearest(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        cli.main(["post-sale", "x.csv"])
    assert done.value.code == 2
    assert "did you mean 'post-sales'?" in capsys.readouterr().err


def test_no_help_says_default_none() -> None:
    helps = _subcommand_helps()
    assert {name for name, text in helps.items() if "(default: None)" in text} == set()


@pytest.mark.parametrize("command", ["webhooks-worker", "demo"])
def test_database_commands_do_not_list_connection_options(command: str) -> None:
    text = _subcommand_helps()[command]
    assert "connection options" not in text and "--url URL" not in text


def test_every_call_carries_a_request_id() -> None:
    seen: list[str | None] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("X-Request-ID"))
        return httpx.Response(200, json={"data": [], "next_cursor": None})

    http = httpx.Client(base_url="http://ledger.test", transport=httpx.MockTransport(answer))
    client = LedgerClient(token="t", client=http)
    client.statements("2006-11")
    client.statements("2006-11")
    assert all(s and re.fullmatch(r"[0-9a-f]{32}", s) for s in seen), seen
    assert len(set(seen)) == 2


def test_log_times_have_milliseconds() -> None:
    configure_logging()
    # The JSON handler configure_logging attached (a test may have added its own).
    [handler] = [
        h for h in logging.getLogger(REQUEST_LOGGER).handlers if hasattr(h, "_ledger_json")
    ]
    record = logging.LogRecord(REQUEST_LOGGER, logging.INFO, __file__, 1, "request", None, None)
    assert handler.formatter is not None
    line = json.loads(handler.formatter.format(record))
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", line["time"]), line


def test_uvicorns_access_log_is_off_unless_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    get_settings.cache_clear()
    try:
        assert server.options()["access_log"] is False
        monkeypatch.setenv("LEDGER_ACCESS_LOG", "true")
        get_settings.cache_clear()
        assert server.options()["access_log"] is True
    finally:
        get_settings.cache_clear()
