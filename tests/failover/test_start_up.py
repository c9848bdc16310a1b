"""Start-up on a multi-host URL (an HA pair): when no node answers, the one line names
every host tried, not a localhost:5432 that was never asked."""

from tests.startup.test_first_run import _one_line


def test_an_unreachable_pair_names_every_host() -> None:
    url = (
        "postgresql+psycopg://postgres@/ledger"
        "?host=127.0.0.1,127.0.0.2&port=9,10&target_session_attrs=read-write"
    )
    message = _one_line(url)
    assert message.startswith("no PostgreSQL server answers at 127.0.0.1:9, 127.0.0.2:10")
