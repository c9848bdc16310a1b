"""Demo data: a small, realistic catalogue (2006: AllofMP3, ROMS, FAIR, HFA, MCPS, PRS).

Loaded into an empty database by `royalty-ledger demo` / `make demo` (any engine) and by
`make run` on an empty embedded database (``service.startup.run``); the credentials are kept
in a shell-sourceable file so every later start can print them again.
"""

from datetime import UTC, date, datetime
from decimal import Decimal

from sqlmodel import Session
from stdnum.iso7064 import mod_37_36

from service.auth.schemas import ApiKeyCreate
from service.catalog import service as catalog
from service.catalog.schemas import RecordingCreate, ShareIn, WorkCreate
from service.config import get_settings
from service.parties import service as parties
from service.parties.schemas import (
    MandateCreate,
    RightsHolderCreate,
    SocietyCreate,
    StoreCreate,
    StoreLicence,
)
from service.rights import HolderKind, RightType, Role
from service.sales.intake.ingest import validate
from service.sales.recording import record_sales
from service.statements.close.service import Issuer, close_period, issuer_of
from service.statements.payments import create_payment
from service.statements.schemas import PaymentCreate
from service.tariffs import service as tariffs
from service.tariffs.schemas import FxRateCreate, PerMinute, TariffCreate
from service.timeutil import utcnow

M, P, N = RightType.mechanical, RightType.performance, RightType.neighbouring


def _demo_dpid(n: int) -> str:
    """A made-up DDEX Party ID (``PADPIDA`` + 10 characters + ISO 7064 MOD 37,36 check) for
    the demo's parties, so their DSR files carry a recipient id as the standard asks."""
    base = f"PADPIDA2006110{n:03d}"
    return base + mod_37_36.calc_check_digit(base)


def _societies(session: Session) -> None:
    for n, (code, name, country, currency, rights, rate, ecl) in enumerate(
        [
            (
                "ROMS",
                "Russian Organisation for Multimedia and Digital Networks",
                "RU",
                "RUB",
                [M, P],
                "0.15",
                True,
            ),
            (
                "FAIR",
                "Federation of Authors and Rightholders (neighbouring rights)",
                "RU",
                "RUB",
                [N],
                "0.10",
                True,
            ),
            ("HFA", "Harry Fox Agency", "US", "USD", [M], "0.085", False),
            ("MCPS", "Mechanical-Copyright Protection Society", "GB", "GBP", [M], "0.12", False),
            ("PRS", "PRS for Music", "GB", "GBP", [P], "0.12", False),
        ]
    ):
        parties.create_society(
            session=session,
            data=SocietyCreate(
                code=code,
                name=name,
                country=country,
                currency=currency,
                right_types=rights,
                commission_rate=Decimal(rate),
                extended_collective_licensing=ecl,
                payout_threshold=Decimal("50") if code == "HFA" else None,
                dpid=_demo_dpid(n + 1),
            ),
        )


# Fixed ids, so that the OpenAPI examples (service/*/schemas.py) name the demo's holders
# and run against it as written (tests/test_openapi_examples.py checks they do).
PUBLISHER_ID = "5f0c7c1e2b8e4f6f9a3d2c1b0a987654"
LABEL_ID = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
DIRECT_ID = "7d1a2b3c4d5e6f708192a3b4c5d6e7f8"


def _holder(
    session: Session,
    name: str,
    kind: HolderKind,
    currency: str,
    ipi: str | None = None,
    holder_id: str | None = None,
) -> str:
    # Holders paid directly get DSR statements too: each its own DPID, from its name.
    number = 100 + sum(name.encode()) % 900
    data = RightsHolderCreate(
        name=name, kind=kind, ipi=ipi, currency=currency, dpid=_demo_dpid(number)
    )
    return parties.create_holder(session=session, data=data, holder_id=holder_id).id


def _catalogue(session: Session) -> str:
    """Holders, mandates, works and recordings; the id of the publisher Kalinka Music."""
    writer = _holder(session, "Vladimir Composer", HolderKind.composer, "RUB", "00033188001")
    publisher = _holder(
        session, "Kalinka Music Publishing", HolderKind.publisher, "USD", holder_id=PUBLISHER_ID
    )
    indie_publisher = _holder(session, "Westside Songs (non-member)", HolderKind.publisher, "USD")
    label = _holder(session, "Soyuz Records", HolderKind.label, "RUB", holder_id=LABEL_ID)
    us_label = _holder(session, "Brooklyn Indie Label", HolderKind.label, "USD")
    # No mandate anywhere and no extended collective licence where its work sells (US, GB):
    # paid directly, so a holder signing in to the portal has statements of its own.
    direct = _holder(
        session, "Nevsky Songs (paid directly)", HolderKind.publisher, "USD", holder_id=DIRECT_ID
    )
    for holder, society, right, territories in [
        (writer, "ROMS", M, ["WORLD"]),
        (writer, "ROMS", P, ["WORLD"]),
        (publisher, "HFA", M, ["US"]),
        (publisher, "MCPS", M, ["GB"]),
        (publisher, "PRS", P, ["GB"]),
        (label, "FAIR", N, ["RU"]),
    ]:
        parties.create_mandate(
            session=session,
            data=MandateCreate(
                holder_id=holder,
                society_code=society,
                right_type=right,
                territories=territories,
                valid_from=date(2006, 1, 1),
            ),
        )
    works = [
        ("T-034.524.680-1", "Kalinka (new arrangement)", [(writer, "0.5"), (publisher, "0.5")]),
        ("T-070.000.000-5", "Moscow Nights Remix", [(writer, "0.5"), (indie_publisher, "0.5")]),
        ("T-101.010.101-4", "Brooklyn Bridge", [(publisher, "0.75")]),
        ("T-200.000.000-7", "Nevsky Prospect", [(direct, "1")]),
    ]
    for iswc, title, owners in works:
        shares = [
            ShareIn(holder_id=h, right_type=r, share=Decimal(s)) for h, s in owners for r in (M, P)
        ]
        catalog.create_work(session=session, data=WorkCreate(iswc=iswc, title=title, shares=shares))
    recordings: list[tuple[str, str, str, int, str | None, str]] = [
        ("RUA010600001", "Kalinka", "Soyuz Ensemble", 245, "T-034.524.680-1", label),
        (
            "RUA010600002",
            "Moscow Nights (Extended)",
            "Soyuz Ensemble",
            421,
            "T-070.000.000-5",
            label,
        ),
        ("USBRK0600001", "Brooklyn Bridge", "The Indies", 300, "T-101.010.101-4", us_label),
        ("USBRK0600002", "Brooklyn Bridge (Live)", "The Indies", 301, None, us_label),
        ("RUA010600003", "Nevsky Prospect", "Soyuz Ensemble", 212, "T-200.000.000-7", label),
    ]
    for isrc, title, artist, duration, work_iswc, owner in recordings:
        catalog.create_recording(
            session=session,
            data=RecordingCreate(
                isrc=isrc,
                title=title,
                artist=artist,
                duration_s=duration,
                iswc=work_iswc,
                shares=[ShareIn(holder_id=owner, right_type=N, share=Decimal(1))],
            ),
        )
    return publisher


def _tariffs(session: Session) -> None:
    start = date(2006, 1, 1)
    rows = [
        # AllofMP3 said it paid 15% of gross to ROMS and 25% to FAIR.
        TariffCreate(
            territory="RU",
            right_type=M,
            currency="RUB",
            valid_from=start,
            percent_of_gross=Decimal("0.15"),
        ),
        TariffCreate(
            territory="RU",
            right_type=N,
            currency="RUB",
            valid_from=start,
            percent_of_gross=Decimal("0.25"),
        ),
        # US statutory mechanical 2006-2022: 9.1c, or 1.75c per started minute over 5 minutes.
        TariffCreate(
            territory="US",
            right_type=M,
            currency="USD",
            valid_from=start,
            valid_to=date(2023, 1, 1),
            per_unit=Decimal("0.091"),
            per_minute=PerMinute(rate=Decimal("0.0175"), over_seconds=300),
        ),
        # UK Joint Online Licence: 8% of gross, 75% MCPS mechanical / 25% PRS performance.
        TariffCreate(
            territory="GB",
            right_type=M,
            currency="GBP",
            valid_from=start,
            percent_of_gross=Decimal("0.06"),
        ),
        TariffCreate(
            territory="GB",
            right_type=P,
            currency="GBP",
            valid_from=start,
            percent_of_gross=Decimal("0.02"),
        ),
    ]
    for row in rows:
        tariffs.create_tariff(session=session, data=row)
    for day, pair, rate in [
        (date(2006, 10, 31), ("USD", "RUB"), "26.7"),
        (date(2006, 10, 31), ("GBP", "USD"), "1.9"),
        (date(2006, 10, 31), ("GBP", "RUB"), "50.9"),
    ]:
        tariffs.create_fx_rate(
            session=session,
            data=FxRateCreate(
                date=day, from_currency=pair[0], to_currency=pair[1], rate=Decimal(rate)
            ),
        )


def _credentials(session: Session, holder_id: str) -> dict[str, str]:
    """One key per role, named as the README's shell variables; ``HOLDER`` is the id of the
    rights holder whose key ``HOLDER_TOKEN`` is (it may file takedowns for the catalogue);
    ``DIRECT_HOLDER_TOKEN`` is the key of Nevsky Songs, a holder paid directly."""
    # Licensed in Russia by ROMS: what scenarios with territory=store_licence price by.
    licence = StoreLicence(territory="RU", society_code="ROMS")
    parties.create_store(
        session=session,
        data=StoreCreate(code="allofmp3", name="AllofMP3", country="RU", licence=licence),
    )
    credentials = {}
    for name, role, subject in [
        ("ADMIN", Role.admin, None),
        ("STORE", Role.store, "allofmp3"),
        ("SOCIETY", Role.society, "ROMS"),
        ("HOLDER_TOKEN", Role.rights_holder, holder_id),
        ("DIRECT_HOLDER_TOKEN", Role.rights_holder, DIRECT_ID),
    ]:
        _, token = parties.issue_api_key(
            session=session, data=ApiKeyCreate(role=role, subject=subject)
        )
        credentials[name] = token
    credentials["HOLDER"] = holder_id
    return credentials


def load_demo(session: Session, issuer: Issuer | None = None) -> dict[str, str]:
    """Load the demo (the caller commits); its credentials, by shell variable name.
    ``issuer`` closes the demo's months (default: the environment's settings)."""
    _societies(session)
    holder_id = _catalogue(session)
    _tariffs(session)
    credentials = _credentials(session, holder_id)
    load_portal_activity(session, issuer)
    return credentials


# AllofMP3's sales of 2006 for the portal: isrc, territory, currency, price, quantity.
_DEMO_SALES = [
    # isrc, territory, currency, unit price, base quantity
    ("RUA010600001", "RU", "USD", "0.10", 40),
    ("RUA010600002", "RU", "USD", "0.10", 25),
    ("RUA010600001", "US", "USD", "0.99", 6),
    ("USBRK0600001", "US", "USD", "0.99", 9),
    ("USBRK0600002", "US", "USD", "0.99", 3),  # no work yet: held as unknown_work
    ("RUA010600001", "GB", "GBP", "0.79", 4),
    ("USBRK0600001", "GB", "GBP", "0.79", 5),
    ("ZZXXX0600099", "RU", "USD", "0.10", 2),  # not in the catalogue: unknown_recording
    # Last, so the rows above keep their sale ids and quantities: Nevsky Songs' work.
    ("RUA010600003", "US", "USD", "0.99", 5),
    ("RUA010600003", "GB", "GBP", "0.79", 3),
]


# January to October: November stays open for the README's walkthrough (its sales, its close).
_CLOSED_MONTHS = range(1, 11)


def load_portal_activity(session: Session, issuer: Issuer | None = None) -> None:
    """Sales for January to October 2006, those months closed, a payment to ROMS, so the
    portal has statements, charts and suspense to show a society and a rights holder."""
    for day, pair, rate in [
        (date(2005, 12, 31), ("USD", "RUB"), "26.7"),
        (date(2005, 12, 31), ("GBP", "USD"), "1.9"),
        (date(2005, 12, 31), ("GBP", "RUB"), "50.9"),
    ]:
        tariffs.create_fx_rate(
            session=session,
            data=FxRateCreate(
                date=day, from_currency=pair[0], to_currency=pair[1], rate=Decimal(rate)
            ),
        )
    now = utcnow()
    for month in _CLOSED_MONTHS:
        rows = [
            validate(
                {
                    "sale_id": f"demo-2006-{month:02d}-{n}",
                    "isrc": isrc,
                    "territory": territory,
                    "sold_at": f"2006-{month:02d}-{10 + n:02d}T12:00:00Z",
                    "quantity": base + (month * (n + 3)) % 7,
                    "unit_price": price,
                    "currency": currency,
                },
                now,
            )
            for n, (isrc, territory, currency, price, base) in enumerate(_DEMO_SALES)
        ]
        record_sales(session=session, store_code="allofmp3", rows=rows)
        if month == 6:
            create_payment(
                session=session,
                data=PaymentCreate(
                    party="society:ROMS",
                    amount=Decimal("500.00"),
                    currency="RUB",
                    paid_at=datetime(2006, 6, 5, 12, tzinfo=UTC),
                    reference="demo-wire-2006-06",
                ),
                now=now,
            )
    issuer = issuer or issuer_of(get_settings())
    for month in _CLOSED_MONTHS:
        close_period(session=session, period=f"2006-{month:02d}", now=now, issuer=issuer)
