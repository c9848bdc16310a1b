"""Downloads cannot take the service down (issue #24, break 1), against a real server.

A statement whose evidence is a few MB; clients read 1 KB of a download and go away (or
stop reading), on a socket with a small receive buffer so that the server is mid-stream
when they do. Then the pool is whole: no connection of the server's is left "idle in
transaction", ``/healthz`` answers, sales are recorded.
"""

import socket
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass

import httpx
import pytest
import sqlalchemy as sa

from tests.conftest import ADMIN_TOKEN, PG_URL, create_pg_database, drop_pg_database
from tests.factories import Api, bearer, share
from tests.hardening.live import Live, serving

# Evidence of 12,000 transactions, ~8 MB: more than the kernel buffers between the server
# and a client that stopped reading (up to 4 MB), so the server is mid-stream when it goes.
SALES = 12_000


@dataclass(frozen=True)
class Seeded:
    url: str
    statement: str
    society_token: str
    store_token: str
    isrc: str


def _seed(live: Live, database_url: str) -> Seeded:
    with httpx.Client(base_url=live.url, timeout=120) as http:
        api = Api(http, ADMIN_TOKEN)  # type: ignore[arg-type]
        society = api.society(country="RU", currency="RUB")["code"]
        member = api.holder()["id"]
        api.mandate(holder_id=member, society_code=society, right_type="mechanical")
        api.work("T-034.524.680-1", [share(member, "mechanical", "1")])
        api.recording("RUA010600001", [], iswc="T-034.524.680-1")
        api.tariff(territory="RU", right_type="mechanical", currency="RUB", percent_of_gross="0.1")
        store = api.key("store", api.store()["code"])
        for first in range(0, SALES, 6000):
            _post_sales(http, store, range(first, first + 6000))
        closed = http.post("/v1/periods/2006-11/close", headers=api.admin)
        assert closed.status_code == 201, closed.text
        token = api.key("society", society)
        [statement] = http.get("/v1/statements", headers=bearer(token)).json()["data"]
        return Seeded(database_url, statement["id"], token, store, "RUA010600001")


def _post_sales(http: httpx.Client, store: str, numbers: range) -> None:
    sales = [
        {
            "sale_id": f"d-{n}",
            "isrc": "RUA010600001",
            "territory": "RU",
            "sold_at": "2006-11-03T10:00:00Z",
            "quantity": 1,
            "unit_price": "27.00",
            "currency": "RUB",
        }
        for n in numbers
    ]
    posted = http.post("/v1/sales", json={"sales": sales}, headers=bearer(store))
    assert posted.status_code == 200, posted.text


PER_PARTY = 18  # more than the pool's 15 connections
SERVER = {"LEDGER_DOWNLOADS_PER_PARTY": str(PER_PARTY), "LEDGER_DOWNLOADS_TOTAL": "20"}


@pytest.fixture(scope="module")
def seeded(database_url: str, pg_template: str) -> Iterator[tuple[Live, Seeded]]:
    """One server for the module (starting one costs seconds) on a private database."""
    if not database_url.startswith("postgresql") or PG_URL is None:
        pytest.skip("needs PostgreSQL")
    name = f"ledger_dl_{uuid.uuid4().hex[:10]}"
    url = create_pg_database(PG_URL, name, template=pg_template)
    try:
        with serving(url, **SERVER) as live:
            yield live, _seed(live, url)
    finally:
        drop_pg_database(PG_URL, name)


def _open(live: Live, path: str, token: str) -> tuple[socket.socket, bytes]:
    """A raw GET of ``path`` on a socket with a small receive buffer; its first 1 KB."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(30)
    sock.connect(("127.0.0.1", live.port))
    request = f"GET {path} HTTP/1.1\r\nHost: ledger\r\nAuthorization: Bearer {token}\r\n"
    sock.sendall(request.encode() + b"Accept: text/csv\r\n\r\n")
    first = b""
    while len(first) < 1024:
        got = sock.recv(1024 - len(first))
        if not got:
            break
        first += got
    return sock, first


def _stuck(database_url: str) -> int:
    """The server's connections left inside a transaction with nothing running."""
    engine = sa.create_engine(PG_URL or "", poolclass=sa.NullPool)
    name = sa.make_url(database_url).database
    with engine.connect() as connection:
        return int(
            connection.execute(
                sa.text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = :name"
                    " AND state LIKE 'idle in transaction%'"
                ),
                {"name": name},
            ).scalar_one()
        )


def _settled(database_url: str) -> int:
    """``_stuck`` once the server has seen the last sockets close (it may take a moment)."""
    deadline = time.monotonic() + 10
    while (stuck := _stuck(database_url)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return stuck


def _serves_everyone(live: Live, seeded: Seeded) -> None:
    with httpx.Client(base_url=live.url, timeout=10) as http:
        assert http.get("/healthz").status_code == 200
        sale = {
            "sale_id": f"after-{uuid.uuid4().hex[:8]}",
            "isrc": seeded.isrc,
            "territory": "RU",
            "sold_at": "2006-12-03T10:00:00Z",
            "quantity": 1,
            "unit_price": "27.00",
            "currency": "RUB",
        }
        posted = http.post("/v1/sales", json=sale, headers=bearer(seeded.store_token))
        assert posted.status_code == 201, posted.text


def test_a_hundred_abandoned_downloads_leave_the_pool_whole(
    seeded: tuple[Live, Seeded],
) -> None:
    live, data = seeded
    paths = [
        f"/v1/statements/{data.statement}/evidence",
        f"/v1/statements/{data.statement}",  # Accept: text/csv
        f"/v1/statements/{data.statement}?format=dsr",
    ]
    for n in range(100):
        sock, first = _open(live, paths[n % 3] if n % 5 == 4 else paths[0], data.society_token)
        sock.close()
        assert first.startswith(b"HTTP/1.1 200"), (n, first[:200])
    assert _settled(data.url) == 0
    _serves_everyone(live, data)


def test_slow_readers_hold_no_connection_and_one_too_many_is_429(
    seeded: tuple[Live, Seeded],
) -> None:
    live, data = seeded
    path = f"/v1/statements/{data.statement}/evidence"
    with ExitStack() as held:
        for _ in range(PER_PARTY):  # every one of them stalled after 1 KB
            sock, first = _open(live, path, data.society_token)
            held.callback(sock.close)
            assert first.startswith(b"HTTP/1.1 200"), first[:200]
        # A stream may be between two queries of a batch; none stays in a transaction.
        assert _settled(data.url) == 0
        _serves_everyone(live, data)
        sock, refused = _open(live, path, data.society_token)
        held.callback(sock.close)
        assert refused.startswith(b"HTTP/1.1 429"), refused[:300]
        assert b"too_many_downloads" in refused and b"application/problem+json" in refused
        # Another party is not refused.
        other = _open(live, path, ADMIN_TOKEN)
        held.callback(other[0].close)
        assert other[1].startswith(b"HTTP/1.1 200"), other[1][:300]
    # Once those end, the party downloads again (when the server has seen them go).
    deadline = time.monotonic() + 10
    while True:
        sock, again = _open(live, path, data.society_token)
        sock.close()
        if again.startswith(b"HTTP/1.1 200") or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert again.startswith(b"HTTP/1.1 200"), again[:300]
