"""Exit 0 when the PostgreSQL server at the given URL answers (used by `make test`)."""

import sys

import psycopg
from sqlalchemy.engine import make_url


def main(argv: list[str]) -> int:
    url = make_url(argv[1]).set(drivername="postgresql")
    try:
        conn = psycopg.connect(url.render_as_string(hide_password=False), connect_timeout=3)
    except psycopg.Error:
        return 1
    conn.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
