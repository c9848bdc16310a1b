"""The files `post-sales` and `post-refunds` read: JSON, NDJSON or (sales) CSV, told apart by
extension or, failing a known one, by content; a byte-order mark (as spreadsheet programs
write it) is allowed in each."""

import json
from pathlib import Path
from typing import Any

from service.client.outcome import ExitCode, Failure

SUFFIXES = {".csv": "csv", ".json": "json", ".ndjson": "json", ".jsonl": "json"}


def kind_of(path: Path) -> str:
    """``csv`` or ``json`` (JSON or NDJSON): by extension, else by the first character."""
    by_suffix = SUFFIXES.get(path.suffix.lower())
    if by_suffix:
        return by_suffix
    with path.open("rb") as handle:
        start = handle.read(4096).decode("utf-8", "ignore").lstrip("\ufeff \t\r\n")
    return "json" if start[:1] in ("{", "[") else "csv"


def read_json_rows(path: Path, key: str) -> list[Any]:
    """A JSON file (``{key: [...]}``, a list, or one row) or NDJSON (a row a line). Rows are
    posted as they are: the ledger answers each bad one as ``invalid``."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Failure(f"{path} is not a UTF-8 file ({exc.reason})", ExitCode.USAGE) from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return [
            _ndjson_line(path, n, line)
            for n, line in enumerate(text.splitlines(), 1)
            if line.strip()
        ]
    if isinstance(data, dict) and set(data) == {key} and isinstance(data[key], list):
        return list(data[key])
    return data if isinstance(data, list) else [data]


def _ndjson_line(path: Path, number: int, line: str) -> Any:
    try:
        return json.loads(line)
    except json.JSONDecodeError as exc:
        raise Failure(
            f"{path}:{number}: neither a JSON file nor NDJSON ({exc.msg})", ExitCode.USAGE
        ) from exc
