"""Exit codes of the `royalty-ledger` command, and how a command reports a failure."""

import argparse
from collections.abc import Callable
from enum import IntEnum

from service.client.api import LedgerClient


class ExitCode(IntEnum):
    OK = 0
    FAILED = 1  # the ledger refused the request, or rejected rows
    USAGE = 2  # bad options, no token, a file that cannot be read or written
    UNREACHABLE = 3  # connection refused, timed out or dropped
    NOT_READY = 4  # nothing to pull yet: the period is still open
    NOT_VERIFIED = 5  # the ledger's hash chain does not verify
    INTERRUPTED = 130  # Ctrl-C, as shells report SIGINT


EXIT_CODES_HELP = """exit codes:
  0  success
  1  the ledger refused the request (its problem is printed) or rejected rows
  2  usage: a bad option, no token, a file that cannot be read or written
  3  the ledger could not be reached (connection refused, timed out, dropped)
  4  nothing to pull yet: the period is still open
  5  the ledger does not verify (the first bad sequence is printed)"""


class Failure(Exception):
    """A command stops with one line on stderr and ``code``."""

    def __init__(self, message: str, code: ExitCode) -> None:
        super().__init__(message)
        self.code = code


# What each subcommand runs: the parsed options and a way to get a client (a command that
# does not talk to a server, such as one that loads a database, never calls it).
Connect = Callable[[], LedgerClient]
Runner = Callable[[argparse.Namespace, Connect], int]
