"""`royalty-ledger`: the ledger's command line for stores, societies and their IT.

Stores post sales and refunds, societies pull statements, admins close months, verify the ledger and
manage API keys.
"""

import argparse
import difflib
import os
import re
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import Any, NoReturn, cast
from urllib.parse import urlsplit

import httpx
from pydantic import ValidationError

from service.client import (
    admin,
    backup,
    commands,
    cwr,
    demo,
    dsr,
    verify,
    webhooks_worker,
    witness,
)
from service.client.api import LedgerClient, LedgerError
from service.client.outcome import EXIT_CODES_HELP, ExitCode, Failure, Runner
from service.config import settings_problem

PROG = "royalty-ledger"
# Each module adds its subcommands with register(subparsers, common, **parser_kwargs); a new
# one (e.g. `demo`) is a module with such a function, listed here.
COMMAND_MODULES = (commands, dsr, admin, cwr, verify, demo, webhooks_worker, backup, witness)


class _Formatter(argparse.ArgumentDefaultsHelpFormatter):
    """Defaults after every option's help; prose is wrapped, indented lists keep their lines."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        # A required option or one without a default has no default worth stating.
        if action.required or action.default is None:
            return action.help
        return super()._get_help_string(action)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        paragraphs = []
        for paragraph in text.strip().split("\n\n"):
            if any(line.startswith(" ") for line in paragraph.splitlines()):
                paragraphs.append(paragraph)
            else:
                paragraphs.append(super()._fill_text(paragraph, width, indent))
        return "\n\n".join(paragraphs)


class _Parser(argparse.ArgumentParser):
    """argparse's parser, suggesting the nearest command for a mistyped one."""

    def error(self, message: str) -> NoReturn:
        wrong = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
        if wrong:
            choices = re.findall(r"'([^']*)'", wrong.group(2))
            near = difflib.get_close_matches(wrong.group(1), choices, n=1)
            if near:
                message += f"; did you mean '{near[0]}'?"
        super().error(message)


def _environment_help() -> str:
    return (
        "environment:\n"
        "  LEDGER_URL    the ledger's base URL (default: http://127.0.0.1:$LEDGER_PORT)\n"
        "  LEDGER_PORT   port of a local ledger when LEDGER_URL is unset (default: 8000)\n"
        "  LEDGER_TOKEN  API key, used when --token is not given\n\n" + EXIT_CODES_HELP
    )


def _defaults() -> dict[str, Any]:
    """Shared options' defaults, read from the environment when the parser is built."""
    port = os.environ.get("LEDGER_PORT") or "8000"
    return {
        "url": os.environ.get("LEDGER_URL") or f"http://127.0.0.1:{port}",
        "token": os.environ.get("LEDGER_TOKEN") or None,
        "timeout": 60.0,
        "retries": 5,
    }


def _url(text: str) -> str:
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a URL like http://127.0.0.1:8000")
    return text.rstrip("/")


def _common(defaults: dict[str, Any]) -> argparse.ArgumentParser:
    """Options every (sub)command accepts, before or after its name.

    Their argparse default is SUPPRESS so that a subcommand's parser never overwrites a
    value given before the subcommand; the real defaults are applied after parsing, and
    each help text states its own (never the token itself).
    """
    common = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS)
    group = common.add_argument_group("connection options")
    group.add_argument(
        "--url",
        type=_url,
        help=f"the ledger's base URL; $LEDGER_URL, else http://127.0.0.1:$LEDGER_PORT "
        f"(default: {defaults['url']})",
    )
    token_state = "set" if defaults["token"] else "unset"
    group.add_argument(
        "--token",
        help=f"API key sent as a bearer token (default: $LEDGER_TOKEN, now {token_state})",
    )
    group.add_argument(
        "--timeout",
        type=float,
        metavar="SECONDS",
        help=f"per request (default: {defaults['timeout']:g})",
    )
    group.add_argument(
        "--retries",
        type=int,
        metavar="N",
        help="retries of busy answers (429, 502-504) and dropped connections; a refused "
        f"connection is retried once (default: {defaults['retries']})",
    )
    return common


def parser(defaults: dict[str, Any] | None = None) -> argparse.ArgumentParser:
    defaults = defaults or _defaults()
    common = _common(defaults)
    kwargs: dict[str, Any] = {"formatter_class": _Formatter, "epilog": _environment_help()}
    root = _Parser(prog=PROG, description=__doc__, parents=[common], **kwargs)
    try:
        release = version(PROG)
    except PackageNotFoundError:  # run from a source tree that was never installed
        release = "unknown"
    root.add_argument("--version", action="version", version=f"%(prog)s {release}")
    subcommands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(subcommands, common, **kwargs)
    return root


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _run(args: argparse.Namespace, client: LedgerClient | None) -> int:
    def connect() -> LedgerClient:
        if client is not None:
            return client
        try:
            url = _url(args.url)  # --url is checked by argparse; LEDGER_URL only here
        except argparse.ArgumentTypeError as exc:
            raise Failure(f"LEDGER_URL: {exc}", ExitCode.USAGE) from exc
        if not args.token:
            raise Failure("a token is needed: --token or LEDGER_TOKEN", ExitCode.USAGE)
        return LedgerClient(url, args.token, retries=args.retries, timeout=args.timeout)

    return cast(Runner, args.run)(args, connect)


def _fail(args: argparse.Namespace, exc: Exception) -> tuple[str, ExitCode]:
    """One line and an exit code for every failure a user can cause or meet."""
    match exc:
        case Failure():
            return str(exc), exc.code
        case LedgerError():
            hint = " (check --token or LEDGER_TOKEN)" if exc.status == 401 else ""
            return f"the ledger answered {exc}{hint}", ExitCode.FAILED
        case httpx.ConnectError():
            return (
                f"cannot connect to {args.url} ({_one_line(exc)}): is the ledger running "
                "there? Set --url or LEDGER_URL",
                ExitCode.UNREACHABLE,
            )
        case httpx.TimeoutException():
            return f"no answer from {args.url} within {args.timeout:g}s", ExitCode.UNREACHABLE
        case httpx.TransportError():
            return f"lost the connection to {args.url}: {_one_line(exc)}", ExitCode.UNREACHABLE
        case ValidationError():
            return settings_problem(exc), ExitCode.USAGE
        case OSError(filename=name) if name is not None:
            return f"{name}: {exc.strerror or _one_line(exc)}", ExitCode.USAGE
    raise exc


def main(argv: Sequence[str] | None = None, *, client: LedgerClient | None = None) -> int:
    """Run one command; ``client`` replaces the one built from --url/--token (tests)."""
    defaults = _defaults()
    try:
        built = parser(defaults)
    except ValidationError as exc:  # a LEDGER_ setting refused (the demo reads them)
        print(f"{PROG}: {settings_problem(exc)}", file=sys.stderr)
        return int(ExitCode.USAGE)
    # Defaults live in the namespace, not in the (shared, SUPPRESSed) option actions.
    args = built.parse_args(argv, namespace=argparse.Namespace(**defaults))
    try:
        return int(_run(args, client))
    except (Failure, LedgerError, httpx.TransportError, OSError, ValidationError) as exc:
        message, code = _fail(args, exc)
    except KeyboardInterrupt:
        message, code = "interrupted", ExitCode.INTERRUPTED
    print(f"{PROG}: {message}", file=sys.stderr)
    return int(code)


if __name__ == "__main__":
    raise SystemExit(main())
