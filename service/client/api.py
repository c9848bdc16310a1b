"""A small httpx client for the royalty ledger.

Stores post sales in batches; retrying a batch is always safe because the ledger records a
``sale_id`` once per store (a replay answers ``duplicate``). Societies pull statements and
honour ETags, so an unchanged statement is not downloaded twice.
"""

import asyncio
import json
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

RETRY_STATUSES = frozenset({429, 502, 503, 504})
FORMATS = {"json": "application/json", "csv": "text/csv", "dsr": None}
Sale = Mapping[str, Any]


@dataclass(slots=True)
class BatchResult:
    recorded: int
    duplicates: int
    rejected: int
    results: list[dict[str, Any]]


@dataclass(slots=True)
class SalesSummary:
    recorded: int = 0
    duplicates: int = 0
    rejected: int = 0
    rejections: list[dict[str, Any]] = field(default_factory=list)

    def add(self, batch: BatchResult) -> None:
        self.recorded += batch.recorded
        self.duplicates += batch.duplicates
        self.rejected += batch.rejected
        self.rejections.extend(r for r in batch.results if r["status"] == "rejected")


class LedgerError(Exception):
    """The ledger answered with a problem that retrying will not fix."""

    def __init__(self, response: httpx.Response) -> None:
        self.status = response.status_code
        try:
            self.problem: dict[str, Any] = response.json()
        except ValueError:
            self.problem = {"detail": response.text}
        super().__init__(f"{self.status}: {self.problem.get('detail', response.reason_phrase)}")


def batches(sales: Iterable[Sale], size: int) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for sale in sales:
        batch.append(dict(sale))
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _batch_result(response: httpx.Response) -> BatchResult:
    if response.status_code != 200:
        raise LedgerError(response)
    body = response.json()
    return BatchResult(body["recorded"], body["duplicates"], body["rejected"], body["results"])


def _retry_delay(attempt: int, backoff: float, response: httpx.Response | None) -> float:
    retry_after = response.headers.get("Retry-After") if response is not None else None
    if retry_after and retry_after.isdigit():
        return float(retry_after)
    return float(backoff * (2**attempt))


def _file_name(response: httpx.Response, fallback: str) -> str:
    disposition = response.headers.get("Content-Disposition", "")
    match = re.search(r'filename="?([^";]+)"?', disposition)
    name = match.group(1) if match else fallback
    return Path(name).name  # never let a header choose a directory


def _fetch_params(fmt: str) -> tuple[dict[str, str], dict[str, str]]:
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    accept = FORMATS[fmt]
    return ({"format": "dsr"} if fmt == "dsr" else {}), ({"Accept": accept} if accept else {})


class _ETags:
    """ETags of downloaded statements, kept beside them so a later pull can skip them."""

    def __init__(self, out_dir: Path) -> None:
        self.path = out_dir / ".etags.json"
        self.known: dict[str, dict[str, str]] = (
            json.loads(self.path.read_text()) if self.path.exists() else {}
        )

    def headers(self, key: str) -> dict[str, str]:
        seen = self.known.get(key)
        if seen and (self.path.parent / seen["file"]).exists():
            return {"If-None-Match": seen["etag"]}
        return {}

    def remember(self, key: str, etag: str | None, file: str) -> None:
        if etag:
            self.known[key] = {"etag": etag, "file": file}
            self.path.write_text(json.dumps(self.known, indent=1, sort_keys=True))


class LedgerClient:
    """Synchronous client. Pass ``client`` to reuse an httpx.Client (tests, pooling)."""

    def __init__(
        self,
        base_url: str = "http://127.0.0.1:8000",
        token: str = "",
        *,
        client: httpx.Client | None = None,
        retries: int = 5,
        backoff: float = 0.5,
        timeout: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.http = client or httpx.Client(base_url=base_url, timeout=timeout)
        self.auth = {"Authorization": f"Bearer {token}"}
        self.retries = retries
        self.backoff = backoff
        self.sleep = sleep

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**self.auth, **kwargs.pop("headers", {})}
        for attempt in range(self.retries + 1):
            response: httpx.Response | None = None
            try:
                response = self.http.request(method, path, headers=headers, **kwargs)
                if response.status_code not in RETRY_STATUSES:
                    return response
            except httpx.TransportError:
                if attempt == self.retries:
                    raise
            if attempt < self.retries:
                self.sleep(_retry_delay(attempt, self.backoff, response))
        assert response is not None
        return response

    def post_batch(self, sales: list[dict[str, Any]]) -> BatchResult:
        return _batch_result(self._request("POST", "/v1/sales", json={"sales": sales}))

    def post_sales(
        self,
        sales: Iterable[Sale],
        *,
        batch_size: int = 1000,
        on_batch: Callable[[BatchResult], None] | None = None,
    ) -> SalesSummary:
        summary = SalesSummary()
        for batch in batches(sales, batch_size):
            result = self.post_batch(batch)
            summary.add(result)
            if on_batch:
                on_batch(result)
        return summary

    def statements(self, period: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        params: dict[str, str] = {"period": period, "limit": "1000"}
        while True:
            response = self._request("GET", "/v1/statements", params=params)
            if response.status_code != 200:
                raise LedgerError(response)
            page = response.json()
            found.extend(page["data"])
            if not page["next_cursor"]:
                return found
            params["cursor"] = page["next_cursor"]

    def pull_statements(self, period: str, out_dir: Path, *, fmt: str = "csv") -> list[Path]:
        """Download every statement of ``period`` the token may see; returns new files.

        A statement whose ETag matches the copy already in ``out_dir`` is not downloaded again.
        """
        params, accept = _fetch_params(fmt)
        out_dir.mkdir(parents=True, exist_ok=True)
        etags = _ETags(out_dir)
        written = []
        for statement in self.statements(period):
            key = f"{statement['id']}.{fmt}"
            response = self._request(
                "GET",
                f"/v1/statements/{statement['id']}",
                params=params,
                headers={**accept, **etags.headers(key)},
            )
            if response.status_code == 304:
                continue
            if response.status_code != 200:
                raise LedgerError(response)
            name = _file_name(
                response, f"statement-{statement['id']}.{'tsv' if fmt == 'dsr' else fmt}"
            )
            (out_dir / name).write_bytes(response.content)
            etags.remember(key, response.headers.get("ETag"), name)
            written.append(out_dir / name)
        return written


class AsyncLedgerClient:
    """Asynchronous client for store backends built on asyncio."""

    def __init__(
        self,
        base_url: str = "http://127.0.0.1:8000",
        token: str = "",
        *,
        client: httpx.AsyncClient | None = None,
        retries: int = 5,
        backoff: float = 0.5,
        timeout: float = 60.0,
    ) -> None:
        self.http = client or httpx.AsyncClient(base_url=base_url, timeout=timeout)
        self.auth = {"Authorization": f"Bearer {token}"}
        self.retries = retries
        self.backoff = backoff

    async def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**self.auth, **kwargs.pop("headers", {})}
        for attempt in range(self.retries + 1):
            response: httpx.Response | None = None
            try:
                response = await self.http.request(method, path, headers=headers, **kwargs)
                if response.status_code not in RETRY_STATUSES:
                    return response
            except httpx.TransportError:
                if attempt == self.retries:
                    raise
            if attempt < self.retries:
                await asyncio.sleep(_retry_delay(attempt, self.backoff, response))
        assert response is not None
        return response

    async def post_batch(self, sales: list[dict[str, Any]]) -> BatchResult:
        return _batch_result(await self._request("POST", "/v1/sales", json={"sales": sales}))

    async def post_sales(self, sales: Iterable[Sale], *, batch_size: int = 1000) -> SalesSummary:
        summary = SalesSummary()
        for batch in batches(sales, batch_size):
            summary.add(await self.post_batch(batch))
        return summary

    async def aclose(self) -> None:
        await self.http.aclose()
