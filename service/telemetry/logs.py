"""Structured logs: one JSON object per line, ready for a log shipper.

The request log (``ledger.request``) writes one line per HTTP request; other loggers of the
service (``service.*``, the webhook worker) use the same format. Uvicorn's own access log
repeats less (no request id, no caller): it is off unless ``LEDGER_ACCESS_LOG=true``.
"""

import logging
import sys
from datetime import UTC, datetime

from pythonjsonlogger.json import JsonFormatter

REQUEST_LOGGER = "ledger.request"
_CONFIGURED = "_ledger_json"


class _MillisecondFormatter(JsonFormatter):
    """RFC 3339 UTC times to the millisecond (``time.strftime`` knows no fraction): a busy
    second holds many requests, and their order must show."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        moment = datetime.fromtimestamp(record.created, UTC)
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def configure_logging(level: int = logging.INFO) -> None:
    """Attach one JSON handler (stderr) to the service's loggers; idempotent."""
    formatter = _MillisecondFormatter(
        "%(asctime)s %(levelname)s %(name)s %(message)s",
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
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
