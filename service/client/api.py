"""A small httpx client for the royalty ledger.

Stores post sales and refunds in batches; retrying a batch is always safe because the
ledger records a ``sale_id`` (a ``refund_id``) once per store (a replay answers
``duplicate``). Societies pull statements and
honour ETags, so an unchanged statement is not downloaded twice.
"""

import asyncio
import json
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from service.client.downloads import ETags, fallback_name, fetch_params, file_name
from service.client.retry import Retry

REQUEST_ID = "X-Request-ID"  # the ledger logs it with every request (service/middleware.py)

MINIMAL = {"Prefer": "return=minimal"}  # RFC 7240: counts and rejected rows only
Sale = Mapping[str, Any]
Refund = Mapping[str, Any]  # {"sale_id", "refund_id", "quantity", "refunded_at"}
SALE_IDS = ("sale_id",)
REFUND_IDS = ("refund_id", "sale_id")  # what names a refund row in its rejection


@dataclass(slots=True)
class BatchResult:
    recorded: int
    duplicates: int
    rejected: int
    results: list[dict[str, Any]]  # one per row, in order; empty when answered minimally
    rejections: list[dict[str, Any]]  # the rejected rows, each with its position `row`

    @property
    def rows(self) -> int:
        return self.recorded + self.duplicates + self.rejected


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
        self.rejections.extend(batch.rejections)


RefundsSummary = SalesSummary  # the same counts and rejections, of refund batches


class LedgerError(Exception):
    """The ledger answered with a problem that retrying will not fix."""

    def __init__(self, response: httpx.Response) -> None:
        self.status = response.status_code
        try:
            body = response.json()
        except ValueError:
            body = None
        # Not a problem document (a proxy's HTML page…): keep its start, on one line.
        self.problem: dict[str, Any] = (
            body if isinstance(body, dict) else {"detail": " ".join(response.text.split())[:200]}
        )
        detail = self.problem.get("detail") or self.problem.get("title") or response.reason_phrase
        code = self.problem.get("code")
        super().__init__(f"{self.status} {code}: {detail}" if code else f"{self.status}: {detail}")


class PeriodNotClosed(Exception):
    """Nothing to pull: a month's statements are issued when an admin closes it."""

    def __init__(self, period: str) -> None:
        self.period = period
        super().__init__(
            f"period {period} is open: its statements are issued when an admin closes it "
            f"(royalty-ledger close {period})"
        )


def _expect(response: httpx.Response, *statuses: int) -> Any:
    """The JSON body of an answer with one of ``statuses``; anything else is a LedgerError."""
    if response.status_code not in statuses:
        raise LedgerError(response)
    try:
        return response.json()
    except ValueError as exc:  # e.g. some other web server answering on that port
        raise LedgerError(response) from exc


def batches(rows: Iterable[Mapping[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(dict(row))
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _batch_result(response: httpx.Response, ids: tuple[str, ...] = SALE_IDS) -> BatchResult:
    body = _expect(response, 200)
    counts = (body["recorded"], body["duplicates"], body["rejected"])
    if response.headers.get("Preference-Applied", "").strip().lower() == "return=minimal":
        return BatchResult(*counts, results=[], rejections=body["rejections"])
    results = body["results"]
    rejections = [
        {"row": i, **{name: r.get(name) for name in ids}, "error": r["error"]}
        for i, r in enumerate(results)
        if r["status"] == "rejected"
    ]
    return BatchResult(*counts, results=results, rejections=rejections)


def _batch_request(sales: list[dict[str, Any]], minimal: bool) -> dict[str, Any]:
    return {"json": {"sales": sales}, "headers": MINIMAL if minimal else {}}


def _refund_request(refunds: list[dict[str, Any]], minimal: bool) -> dict[str, Any]:
    return {"json": {"refunds": refunds}, "headers": MINIMAL if minimal else {}}


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
        # One id per call, kept across its retries, so the server's log lines of a call match.
        headers = {**self.auth, REQUEST_ID: uuid.uuid4().hex, **kwargs.pop("headers", {})}
        retry = Retry(self.retries, self.backoff)
        while True:
            try:
                response = self.http.request(method, path, headers=headers, **kwargs)
            except httpx.TransportError as error:
                if (wait := retry.after_error(error)) is None:
                    raise
            else:
                if (wait := retry.after_answer(response)) is None:
                    return response
            self.sleep(wait)

    def post_batch(self, sales: list[dict[str, Any]], *, minimal: bool = False) -> BatchResult:
        """One batch; ``minimal`` asks for counts and rejections only (no per-row results)."""
        return _batch_result(self._request("POST", "/v1/sales", **_batch_request(sales, minimal)))

    def post_sales(
        self,
        sales: Iterable[Sale],
        *,
        batch_size: int = 1000,
        on_batch: Callable[[BatchResult], None] | None = None,
        minimal: bool = True,
    ) -> SalesSummary:
        """Every sale, in batches. A summary keeps counts and rejections only, so batches
        are posted with ``Prefer: return=minimal`` unless ``minimal=False`` (then
        ``on_batch`` sees every row's result)."""
        summary = SalesSummary()
        for batch in batches(sales, batch_size):
            result = self.post_batch(batch, minimal=minimal)
            summary.add(result)
            if on_batch:
                on_batch(result)
        return summary

    def post_refund_batch(
        self, refunds: list[dict[str, Any]], *, minimal: bool = False
    ) -> BatchResult:
        """One batch of refunds (``POST /v1/refunds``); ``minimal`` as for ``post_batch``."""
        response = self._request("POST", "/v1/refunds", **_refund_request(refunds, minimal))
        return _batch_result(response, REFUND_IDS)

    def post_refunds(
        self,
        refunds: Iterable[Refund],
        *,
        batch_size: int = 1000,
        on_batch: Callable[[BatchResult], None] | None = None,
        minimal: bool = True,
    ) -> RefundsSummary:
        """Every refund, in batches, answered minimally unless ``minimal=False`` (as
        ``post_sales``); each rejection names its ``row``, ``refund_id`` and ``sale_id``."""
        summary = RefundsSummary()
        for batch in batches(refunds, batch_size):
            result = self.post_refund_batch(batch, minimal=minimal)
            summary.add(result)
            if on_batch:
                on_batch(result)
        return summary

    def statements(self, period: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        params: dict[str, str] = {"period": period, "limit": "1000"}
        while True:
            page = _expect(self._request("GET", "/v1/statements", params=params), 200)
            found.extend(page["data"])
            if not page["next_cursor"]:
                return found
            params["cursor"] = page["next_cursor"]

    def pull_statements(self, period: str, out_dir: Path, *, fmt: str = "csv") -> list[Path]:
        """Download every statement of ``period`` the token may see; returns new files.

        A statement whose ETag matches the copy already in ``out_dir`` is not downloaded again.
        Raises PeriodNotClosed when there is nothing to pull because the month is open.
        """
        params, accept = fetch_params(fmt)
        statements = self.statements(period)
        if not statements and self.period(period)["status"] == "open":
            raise PeriodNotClosed(period)
        out_dir.mkdir(parents=True, exist_ok=True)
        etags = ETags(out_dir)
        written = []
        for statement in statements:
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
            name = file_name(response, fallback_name(statement, fmt))
            body = response.content
            if fmt == "json" and response.json().get("next_cursor"):
                body = self._whole_statement(statement["id"], response.json())
            (out_dir / name).write_bytes(body)
            etags.remember(key, response.headers.get("ETag"), name)
            written.append(out_dir / name)
        return written

    def _whole_statement(self, statement_id: str, first: dict[str, Any]) -> bytes:
        """A JSON statement with every line: the API pages them (1,000 at most a page)."""
        whole, cursor = first, first["next_cursor"]
        while cursor:
            page = _expect(
                self._request(
                    "GET",
                    f"/v1/statements/{statement_id}",
                    params={"cursor": cursor, "limit": 1000},
                ),
                200,
            )
            whole["lines"].extend(page["lines"])
            cursor = page["next_cursor"]
        whole["next_cursor"] = None
        return json.dumps(whole, separators=(",", ":")).encode()

    # --- administration (admin token) -------------------------------------------------

    def period(self, period: str) -> dict[str, Any]:
        """``GET /v1/periods/{period}``: status (open/closed) and, for admins, reconciliation."""
        return dict(_expect(self._request("GET", f"/v1/periods/{period}"), 200))

    def close_period(self, period: str) -> tuple[dict[str, Any], bool]:
        """Close a month; returns the period and whether this call closed it (not a repeat)."""
        response = self._request("POST", f"/v1/periods/{period}/close")
        return dict(_expect(response, 200, 201)), response.status_code == 201

    def verify_ledger(self) -> dict[str, Any]:
        """Recompute the hash chain: ``{"ok", "transactions", "head", "first_bad_sequence"}``."""
        return dict(_expect(self._request("GET", "/v1/ledger/verify"), 200))

    def get_json(self, path: str, **params: Any) -> Any:
        """``GET path`` answered 200 with JSON (the transparency log's reads)."""
        return _expect(self._request("GET", path, params=params), 200)

    def get_text(self, path: str) -> str:
        """``GET path`` answered 200 with text (a C2SP checkpoint)."""
        response = self._request("GET", path)
        if response.status_code != 200:
            raise LedgerError(response)
        return response.text

    def get_ndjson(self, path: str, **params: Any) -> list[dict[str, Any]]:
        """``GET path`` answered 200 with NDJSON: one object a line."""
        response = self._request("GET", path, params=params)
        if response.status_code != 200:
            raise LedgerError(response)
        return [json.loads(line) for line in response.text.splitlines() if line]

    def create_key(
        self,
        role: str,
        subject: str | None,
        *,
        scopes: list[str] | None = None,
        expires_at: str | None = None,
    ) -> dict[str, Any]:
        """Issue an API key; the answer carries the token, which is never shown again."""
        body: dict[str, Any] = {"role": role, "subject": subject}
        if scopes:
            body["scopes"] = scopes
        if expires_at:
            body["expires_at"] = expires_at
        return dict(_expect(self._request("POST", "/v1/api-keys", json=body), 201))

    def revoke_key(self, key_id: str) -> None:
        response = self._request("DELETE", f"/v1/api-keys/{key_id}")
        if response.status_code != 204:
            raise LedgerError(response)


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
        # One id per call, kept across its retries, so the server's log lines of a call match.
        headers = {**self.auth, REQUEST_ID: uuid.uuid4().hex, **kwargs.pop("headers", {})}
        retry = Retry(self.retries, self.backoff)
        while True:
            try:
                response = await self.http.request(method, path, headers=headers, **kwargs)
            except httpx.TransportError as error:
                if (wait := retry.after_error(error)) is None:
                    raise
            else:
                if (wait := retry.after_answer(response)) is None:
                    return response
            await asyncio.sleep(wait)

    async def post_batch(
        self, sales: list[dict[str, Any]], *, minimal: bool = False
    ) -> BatchResult:
        request = _batch_request(sales, minimal)
        return _batch_result(await self._request("POST", "/v1/sales", **request))

    async def post_sales(
        self, sales: Iterable[Sale], *, batch_size: int = 1000, minimal: bool = True
    ) -> SalesSummary:
        summary = SalesSummary()
        for batch in batches(sales, batch_size):
            summary.add(await self.post_batch(batch, minimal=minimal))
        return summary

    async def post_refund_batch(
        self, refunds: list[dict[str, Any]], *, minimal: bool = False
    ) -> BatchResult:
        request = _refund_request(refunds, minimal)
        return _batch_result(await self._request("POST", "/v1/refunds", **request), REFUND_IDS)

    async def post_refunds(
        self, refunds: Iterable[Refund], *, batch_size: int = 1000, minimal: bool = True
    ) -> RefundsSummary:
        summary = RefundsSummary()
        for batch in batches(refunds, batch_size):
            summary.add(await self.post_refund_batch(batch, minimal=minimal))
        return summary

    async def aclose(self) -> None:
        await self.http.aclose()
