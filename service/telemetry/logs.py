"""Structured logs: one JSON object per line, ready for a log shipper.

The request log (``ledger.request``) writes one line per HTTP request; other loggers of the
service (``service.*``, the webhook worker) use the same format. Uvicorn's own access log
repeats less (no request id, no caller) and can be turned off with ``--no-access-log``.
"""

import logging
import sys

from pythonjsonlogger.json import JsonFormatter

REQUEST_LOGGER = "ledger.request"
_CONFIGURED = "_ledger_json"


def configure_logging(level: int = logging.INFO) -> None:
    """Attach one JSON handler (stderr) to the service's loggers; idempotent."""
    formatter = JsonFormatter(
        "%(asctime)s %(levelname)s %(name)s %(message)s",
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        datefmt="%Y-%m-%dT%H:%M:%S%z",
    )
    for name in (REQUEST_LOGGER, "service"):
        logger = logging.getLogger(name)
        if any(getattr(h, _CONFIGURED, False) for h in logger.handlers):
            continue
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(formatter)
        setattr(handler, _CONFIGURED, True)
        logger.addHandler(handler)
        logger.setLevel(level)
        # Not also through the root logger (which may print it a second time, unformatted).
        logger.propagate = False
