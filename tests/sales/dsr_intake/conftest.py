"""Posting DSR files as a store."""

import gzip
from typing import Any

from httpx import Response

from tests.sales.conftest import Store

TSV = "text/tab-separated-values"


def post_dsr(
    store: Store, text: str, *, gzipped: bool = False, file_name: str | None = None, **params: Any
) -> Response:
    headers = {**store.headers, "Content-Type": TSV}
    body = text.encode()
    if gzipped:
        body = gzip.compress(body)
        headers["Content-Encoding"] = "gzip"
    if file_name:
        headers["Content-Disposition"] = f'attachment; filename="{file_name}"'
    return store.client.post("/v1/sales/dsr", content=body, headers=headers, params=params)
