"""Downloading statements: representations, file names and the ETags kept beside them."""

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import httpx

FORMATS = {"json": "application/json", "csv": "text/csv", "dsr": None}


def file_name(response: httpx.Response, fallback: str) -> str:
    disposition = response.headers.get("Content-Disposition", "")
    match = re.search(r'filename="?([^";]+)"?', disposition)
    name = match.group(1) if match else fallback
    return Path(name).name  # never let a header choose a directory


def fallback_name(statement: dict[str, Any], fmt: str) -> str:
    """The server's own name for a statement file (``statement-<period>-<party>.<ext>``,
    ``service.statements.formats.file_name``), for a server that sends none."""
    party = str(statement["party"]).replace(":", "-")
    return f"statement-{statement['period']}-{party}.{'tsv' if fmt == 'dsr' else fmt}"


def fetch_params(fmt: str) -> tuple[dict[str, str], dict[str, str]]:
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    accept = FORMATS[fmt]
    return ({"format": "dsr"} if fmt == "dsr" else {}), ({"Accept": accept} if accept else {})


class ETags:
    """ETags of downloaded statements, kept beside them so a later pull can skip them."""

    def __init__(self, out_dir: Path) -> None:
        self.path = out_dir / ".etags.json"
        try:
            self.known: dict[str, dict[str, str]] = json.loads(self.path.read_text())
        except (FileNotFoundError, ValueError):  # first pull, or a damaged file: fetch all
            self.known = {}

    def headers(self, key: str) -> dict[str, str]:
        """``If-None-Match`` only for a file whose bytes still hash to its ETag (the ETag is
        the file's SHA-256): a copy altered or damaged since is downloaded again."""
        seen = self.known.get(key)
        if not seen:
            return {}
        try:
            digest = hashlib.sha256((self.path.parent / seen["file"]).read_bytes()).hexdigest()
        except OSError:
            return {}
        return {"If-None-Match": seen["etag"]} if seen["etag"].strip('"') == digest else {}

    def remember(self, key: str, etag: str | None, file: str) -> None:
        if etag:
            self.known[key] = {"etag": etag, "file": file}
            self.path.write_text(json.dumps(self.known, indent=1, sort_keys=True))
