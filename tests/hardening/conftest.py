"""The hardening tests post sales through the sales fixtures, against one priced recording."""

from tests.factories import Api, isrc
from tests.sales.conftest import other_store, store

__all__ = ["other_store", "priced_recording", "store"]


def priced_recording(api: Api, per_unit: str = "0.01") -> tuple[str, str]:
    """(holder id, ISRC) of a recording whose every sale in RU books ``per_unit`` USD a
    unit, all of it to one holder (neighbouring right)."""
    api.tariff(territory="RU", right_type="neighbouring", currency="USD", per_unit=per_unit)
    holder = api.holder()["id"]
    code = isrc()
    share = {"holder_id": holder, "right_type": "neighbouring", "share": "1", "territory": "WORLD"}
    api.recording(code, [share])
    return holder, code
