"""A synthetic but realistic catalogue, written straight into a migrated database.

Deterministic (seeded): the same arguments give the same catalogue, so runs compare.
Loaded with multi-row inserts through the service's own tables and column types.
"""

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Engine

from service.auth.models import ApiKey
from service.auth.service import hash_token
from service.catalog.models import BEGINNING, Recording, Share, ShareVersion, Work
from service.identifiers import iswc_check_digit
from service.parties.models import Mandate, RightsHolder, Society, Store
from service.sql import table_of
from service.tariffs.models import FxRate, Tariff

START = date(2006, 1, 1)
NOW = datetime(2006, 1, 1, tzinfo=UTC)

# territory -> (society per right type, currency, tariffs)
SOCIETIES = [
    # code, country, currency, right types, commission, ECL
    ("ROMS", "RU", "RUB", ["mechanical", "performance"], "0.15", True),
    ("FAIR", "RU", "RUB", ["neighbouring"], "0.10", True),
    ("HFA", "US", "USD", ["mechanical"], "0.085", False),
    ("MCPS", "GB", "GBP", ["mechanical"], "0.12", False),
    ("PRS", "GB", "GBP", ["performance"], "0.12", False),
    ("GEMA", "DE", "EUR", ["mechanical", "performance"], "0.14", False),
    ("SACEM", "FR", "EUR", ["mechanical", "performance"], "0.15", True),
    ("PPL", "GB", "GBP", ["neighbouring"], "0.10", False),
]
TERRITORIES = ["US", "GB", "RU", "DE", "FR", "UA"]
CURRENCY_OF = {"US": "USD", "GB": "GBP", "RU": "RUB", "DE": "EUR", "FR": "EUR", "UA": "USD"}


@dataclass
class Catalogue:
    isrcs: list[str] = field(default_factory=list)
    store_token: str = "bench-store-token-0000000000000000"
    admin_token: str = "bench-admin-token-0000000000000000"
    store_code: str = "benchstore"


def _iswc(n: int) -> str:
    digits = f"{n:09d}"
    return f"T-{digits[:3]}.{digits[3:6]}.{digits[6:]}-{iswc_check_digit(digits)}"


def _isrc(n: int) -> str:
    return f"RUB01{6 + n // 100000:02d}{n % 100000:05d}"


def _tariffs() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []

    def add(territory: str, right: str, currency: str, **parts: Any) -> None:
        rows.append(
            {
                "territory": territory,
                "right_type": right,
                "currency": currency,
                "valid_from": START,
                "valid_to": None,
                "percent_of_gross": parts.get("percent"),
                "per_unit": parts.get("per_unit"),
                "per_minute_rate": parts.get("per_minute"),
                "per_minute_over_seconds": parts.get("over", 0),
                "created_at": NOW,
            }
        )

    add(
        "US", "mechanical", "USD", per_unit=Decimal("0.091"), per_minute=Decimal("0.0175"), over=300
    )
    add("GB", "mechanical", "GBP", percent=Decimal("0.06"))
    add("GB", "performance", "GBP", percent=Decimal("0.02"))
    add("GB", "neighbouring", "GBP", percent=Decimal("0.03"))
    add("RU", "mechanical", "RUB", percent=Decimal("0.15"))
    add("RU", "neighbouring", "RUB", percent=Decimal("0.25"))
    add("DE", "mechanical", "EUR", percent=Decimal("0.0675"), per_unit=Decimal("0.06"))
    add("DE", "performance", "EUR", percent=Decimal("0.0225"))
    add("FR", "mechanical", "EUR", percent=Decimal("0.08"))
    add("FR", "performance", "EUR", percent=Decimal("0.02"))
    add("UA", "mechanical", "USD", per_unit=Decimal("0.05"))
    return rows


def build(
    engine: Engine, *, recordings: int = 10_000, holders: int = 4_000, seed: int = 7
) -> Catalogue:
    rng = random.Random(seed)
    cat = Catalogue()
    with engine.begin() as conn:
        conn.execute(
            sa.insert(table_of(Society)),
            [
                {
                    "code": code,
                    "name": f"{code} (bench)",
                    "country": country,
                    "currency": currency,
                    "right_types": rights,
                    "commission_rate": Decimal(rate),
                    "extended_collective_licensing": ecl,
                    "payout_threshold": None,
                    "dsr_name": code,
                    "created_at": NOW,
                }
                for code, country, currency, rights, rate, ecl in SOCIETIES
            ],
        )
        conn.execute(
            sa.insert(table_of(Store)),
            [{"code": cat.store_code, "name": "Bench store", "country": "RU", "created_at": NOW}],
        )
        conn.execute(
            sa.insert(table_of(ApiKey)),
            [
                {
                    "id": "benchstorekey",
                    "role": "store",
                    "subject": cat.store_code,
                    "token_hash": hash_token(cat.store_token),
                    "created_at": NOW,
                },
                {
                    "id": "benchadminkey",
                    "role": "admin",
                    "subject": None,
                    "token_hash": hash_token(cat.admin_token),
                    "created_at": NOW,
                },
            ],
        )
        holder_rows = [
            {
                "id": f"h{n:06d}",
                "name": f"Holder {n}",
                "kind": rng.choice(["composer", "lyricist", "publisher", "label", "performer"]),
                "currency": rng.choice(["USD", "EUR", "RUB", "GBP"]),
                "dsr_name": f"h{n:06d}",
                "created_at": NOW,
            }
            for n in range(holders)
        ]
        conn.execute(sa.insert(table_of(RightsHolder)), holder_rows)
        mandates = []
        for row in holder_rows:
            if rng.random() < 0.7:
                society = rng.choice(SOCIETIES)
                for right in society[3]:
                    mandates.append(
                        {
                            "holder_id": row["id"],
                            "society_code": society[0],
                            "right_type": right,
                            "territories": ["WORLD"],
                            "valid_from": START,
                            "valid_to": None,
                            "created_at": NOW,
                        }
                    )
        conn.execute(sa.insert(table_of(Mandate)), mandates)

        works, recs, versions, shares = [], [], [], []
        version_id = 0
        for n in range(recordings):
            iswc, isrc = _iswc(n + 1), _isrc(n)
            cat.isrcs.append(isrc)
            works.append({"iswc": iswc, "title": f"Work {n}", "created_at": NOW})
            recs.append(
                {
                    "isrc": isrc,
                    "title": f"Recording {n}",
                    "artist": f"Artist {n % 997}",
                    "duration_s": rng.choice([150, 200, 245, 300, 301, 421, 600]),
                    "iswc": iswc,
                    "created_at": NOW,
                }
            )
            owners = rng.sample(holder_rows, rng.randint(2, 4))
            weights = _shares(rng, len(owners), claimed=rng.random() < 0.95)
            version_id += 1
            versions.append(
                {
                    "id": version_id,
                    "asset_kind": "work",
                    "asset_id": iswc,
                    "valid_from": BEGINNING,
                    "created_at": NOW,
                }
            )
            for owner, weight in zip(owners, weights, strict=True):
                for right in ("mechanical", "performance"):
                    shares.append(
                        {
                            "version_id": version_id,
                            "holder_id": owner["id"],
                            "right_type": right,
                            "territory": "WORLD",
                            "share": weight,
                        }
                    )
            version_id += 1
            versions.append(
                {
                    "id": version_id,
                    "asset_kind": "recording",
                    "asset_id": isrc,
                    "valid_from": BEGINNING,
                    "created_at": NOW,
                }
            )
            shares.append(
                {
                    "version_id": version_id,
                    "holder_id": rng.choice(holder_rows)["id"],
                    "right_type": "neighbouring",
                    "territory": "WORLD",
                    "share": Decimal(1),
                }
            )
        conn.execute(sa.insert(table_of(Work)), works)
        conn.execute(sa.insert(table_of(Recording)), recs)
        conn.execute(sa.insert(table_of(ShareVersion)), versions)
        conn.execute(sa.insert(table_of(Share)), shares)
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql(
                "SELECT setval(pg_get_serial_sequence('share_version', 'id'), "
                "(SELECT max(id) FROM share_version))"
            )
        conn.execute(sa.insert(table_of(Tariff)), _tariffs())
        conn.execute(
            sa.insert(table_of(FxRate)),
            [
                {
                    "date": date(2006, 10, 31),
                    "from_currency": f,
                    "to_currency": t,
                    "rate": Decimal(r),
                    "created_at": NOW,
                }
                for f, t, r in [
                    ("USD", "RUB", "26.7"),
                    ("GBP", "USD", "1.9"),
                    ("EUR", "USD", "1.27"),
                    ("GBP", "RUB", "50.9"),
                    ("EUR", "RUB", "33.9"),
                    ("GBP", "EUR", "1.49"),
                ]
            ],
        )
    return cat


def _shares(rng: random.Random, n: int, *, claimed: bool) -> list[Decimal]:
    """n shares with four decimals summing to 1 (or a little below, left unclaimed)."""
    cuts = sorted(rng.sample(range(1, 10_000), n - 1))
    parts = [b - a for a, b in zip([0, *cuts], [*cuts, 10_000], strict=True)]
    if not claimed:
        parts[-1] = max(parts[-1] - 500, 1)
    return [Decimal(p) / 10_000 for p in parts]
