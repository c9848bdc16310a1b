"""From a parsed CWR transaction to what the ledger registers: a work, its holders, their
shares per right type and territory, its other titles and recordings.

Pure: no database. Rules that reject the transaction are ``rejections``; problems the
ledger works around (a share it cannot pay for want of an IPI name number, a recording it
cannot link) are ``corrections``, and the transaction is accepted with changes.

Shares: a controlled party (SPU, SWR) collects what its territory records (SPT, SWT) give
it, inclusion and exclusion applied in order; a publisher without territory records (an
original publisher whose administrator collects) collects nothing itself. A non-controlled
party (OPU, OWR) holds its ownership share world-wide. PR shares are the ledger's
performance right, MR its mechanical right; SR (synchronisation) has no counterpart here.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache

from service.catalog.cwr.layouts import REGISTRATION_TYPES
from service.catalog.cwr.parser import Problem, Record, Transaction
from service.catalog.cwr.territories import (
    TerritoryClaim,
    UnknownTerritory,
    countries_of,
    is_world,
    known,
    shares_by_country,
    world_countries,
)
from service.identifiers import WORLD, normalize_ipi, normalize_isrc, normalize_iswc
from service.rights import HolderKind, RightType

RIGHTS = (RightType.performance, RightType.mechanical)  # CWR PR, MR
_LYRICISTS = {"A", "SR", "TR", "PA"}  # writer designations of words (CWR table)
_NO_IPI = "00000000000"


@dataclass(slots=True)
class Party:
    ip_number: str  # the interested party # inside the file
    name: str
    kind: HolderKind
    controlled: bool
    ipi: str | None
    societies: dict[RightType, str]
    ownership: dict[RightType, Decimal]
    claims: list[TerritoryClaim] = field(default_factory=list)
    line: int = 0


@dataclass(frozen=True, slots=True)
class RecordingRef:
    isrc: str
    title: str
    artist: str | None
    line: int


@dataclass(slots=True)
class Registration:
    transaction: Transaction
    iswc: str | None = None
    title: str = ""
    alternative_titles: set[tuple[str, str]] = field(default_factory=set)
    parties: dict[str, Party] = field(default_factory=dict)
    # right type -> territory (WORLD or a country) -> IPI -> share
    shares: dict[RightType, dict[str, dict[str, Decimal]]] = field(default_factory=dict)
    recordings: list[RecordingRef] = field(default_factory=list)
    rejections: list[Problem] = field(default_factory=list)
    corrections: list[Problem] = field(default_factory=list)


def registration_of(transaction: Transaction) -> Registration:
    reg = Registration(transaction=transaction, rejections=list(transaction.problems))
    header = transaction.header
    reg.title = header.get("Work Title") or ""
    if transaction.transaction_type not in REGISTRATION_TYPES:
        reg.rejections.append(
            _problem(header, None, "the ledger registers works from NWR and REV transactions")
        )
        return reg
    reg.iswc = _iswc(reg, header)
    if reg.rejections:
        return reg
    reg.alternative_titles = {
        (r.get("Alternate Title"), r.get("Title Type")) for r in transaction.of_type("ALT")
    }
    _read_parties(reg)
    _read_recordings(reg)
    if not reg.rejections:
        _resolve_shares(reg)
    return reg


def _problem(record: Record, field_name: str | None, reason: str) -> Problem:
    return Problem(record.line, record.record_type, field_name, reason)


def _iswc(reg: Registration, header: Record) -> str | None:
    raw = header.get("ISWC")
    if raw is None:
        reg.rejections.append(_problem(header, "ISWC", "blank: the ledger keys works by ISWC"))
        return None
    try:
        return normalize_iswc(raw)
    except ValueError as exc:
        reg.rejections.append(_problem(header, "ISWC", str(exc)))
        return None


def _ipi(reg: Registration, record: Record, field_name: str) -> str | None:
    raw = record.get(field_name)
    if raw is None or raw == _NO_IPI:
        return None
    try:
        return normalize_ipi(raw)
    except ValueError as exc:
        reg.corrections.append(_problem(record, field_name, f"{exc}; its share stays unclaimed"))
        return None


def _party(reg: Registration, record: Record) -> Party:
    if record.record_type in ("SPU", "OPU"):
        name = record.get("Publisher Name") or ""
        kind = HolderKind.publisher
        ipi = _ipi(reg, record, "Publisher IPI Name #")
    else:
        first, last = record.get("Writer First Name"), record.get("Writer Last Name")
        name = " ".join(part for part in (first, last) if part)
        designation = record.get("Writer Designation Code")
        kind = HolderKind.lyricist if designation in _LYRICISTS else HolderKind.composer
        ipi = _ipi(reg, record, "Writer IPI Name #")
    societies = {
        right: number
        for right, number in (
            (RightType.performance, record.get("PR Affiliation Society #")),
            (RightType.mechanical, record.get("MR Society")),
        )
        if number is not None and int(number) != 0
    }
    return Party(
        ip_number=record.get("Interested Party #") or "",
        name=name or "(unnamed)",
        kind=kind,
        controlled=record.record_type in ("SPU", "SWR"),
        ipi=ipi,
        societies=societies,
        ownership={
            RightType.performance: record.get("PR Ownership Share"),
            RightType.mechanical: record.get("MR Ownership Share"),
        },
        line=record.line,
    )


def _read_parties(reg: Registration) -> None:
    """Every SPU/OPU/SWR/OWR record is a party (a publisher named in two chains is two
    parties whose shares add up); SPT/SWT records belong to the SPU/SWR they follow."""
    latest: tuple[str, Party] | None = None  # the last party record read, and its type
    for record in reg.transaction.details:
        kind = record.record_type
        if kind in ("SPU", "OPU", "SWR", "OWR"):
            party = reg.parties[f"line {record.line}"] = _party(reg, record)
            latest = (kind, party)
        elif kind in ("SPT", "SWT"):
            owner = "SPU" if kind == "SPT" else "SWR"
            _add_claim(reg, record, latest[1] if latest and latest[0] == owner else None)


def _add_claim(reg: Registration, record: Record, party: Party | None) -> None:
    owner = "SPU" if record.record_type == "SPT" else "SWR"
    if party is None or party.ip_number != record.get("Interested Party #"):
        reg.rejections.append(
            _problem(record, "Interested Party #", f"is not the {owner} this record follows")
        )
        return
    indicator = record.get("Inclusion/ Exclusion Indicator")
    if indicator not in ("I", "E"):
        reg.rejections.append(
            _problem(record, "Inclusion/ Exclusion Indicator", f"{indicator!r} is not I or E")
        )
        return
    if not known(record.get("TIS Numeric Code")):
        reg.rejections.append(
            _problem(record, "TIS Numeric Code", "not a current CISAC TIS territory")
        )
        return
    party.claims.append(
        TerritoryClaim(
            include=indicator == "I",
            tis=record.get("TIS Numeric Code"),
            shares=(record.get("PR Collection Share"), record.get("MR Collection Share")),
        )
    )


def _read_recordings(reg: Registration) -> None:
    performers = [
        " ".join(
            p
            for p in (r.get("Performing Artist First Name"), r.get("Performing Artist Last Name"))
            if p
        )
        for r in reg.transaction.of_type("PER")
    ]
    for record in reg.transaction.of_type("REC"):
        raw = record.get("ISRC")
        if raw is None:
            continue
        try:
            isrc = normalize_isrc(raw)
        except ValueError as exc:
            reg.corrections.append(_problem(record, "ISRC", f"{exc}; not linked"))
            continue
        artist = record.get("Display Artist") or (performers[0] if performers else None)
        title = record.get("Recording Title") or reg.title
        reg.recordings.append(RecordingRef(isrc, title, artist, record.line))


@lru_cache(maxsize=1024)
def _everywhere(pr: Decimal, mr: Decimal) -> dict[str, tuple[Decimal, Decimal]]:
    return dict.fromkeys(world_countries(), (pr, mr))


def _party_shares(reg: Registration, party: Party) -> dict[str, tuple[Decimal, Decimal]]:
    """Country -> (PR, MR) share this party collects."""
    if not party.controlled:
        return _everywhere(
            party.ownership[RightType.performance], party.ownership[RightType.mechanical]
        )
    try:
        return shares_by_country(tuple(party.claims))
    except UnknownTerritory as exc:
        reg.rejections.append(Problem(party.line, "SPT/SWT", "TIS Numeric Code", str(exc)))
        return {}


def _resolve_shares(reg: Registration) -> None:
    """Shares per right type and territory. Countries no territory record names apart from
    World all get the same shares, so one of them stands for the rest ("WORLD" in
    messages), weighted by how many it stands for: most files name World alone."""
    named = {
        country
        for party in reg.parties.values()
        if party.controlled
        for claim in party.claims
        if not is_world(claim.tis)
        for country in countries_of(claim.tis)
    }
    rest = [c for c in world_countries() if c not in named]
    weights = dict.fromkeys(sorted(named), 1)
    if rest:
        weights[rest[0]] = len(rest)
    # country -> right -> ip key -> share; parties without IPI count toward the totals only
    per_country: dict[str, dict[RightType, dict[str, Decimal]]] = {
        c: {right: defaultdict(Decimal) for right in RIGHTS} for c in weights
    }
    for key, party in reg.parties.items():
        holder = party.ipi or f"?{key}"
        shares = _party_shares(reg, party)
        for country, rights in per_country.items():
            pr, mr = shares.get(country, (Decimal(0), Decimal(0)))
            for right, share in ((RightType.performance, pr), (RightType.mechanical, mr)):
                if share:
                    rights[right][holder] += share
    _check_totals(reg, per_country, rest[0] if rest else None)
    if reg.rejections:
        return
    for right in RIGHTS:
        by_country = {c: dict(per_country[c][right]) for c in weights}
        reg.shares[right] = _compress(reg, right, by_country, weights, rest)


def _check_totals(
    reg: Registration,
    per_country: dict[str, dict[RightType, dict[str, Decimal]]],
    rest: str | None,
) -> None:
    header = reg.transaction.header
    for right in RIGHTS:
        owned = sum((p.ownership[right] for p in reg.parties.values()), Decimal(0))
        if owned > 1:
            reg.rejections.append(
                _problem(header, None, f"{right} ownership shares total {owned * 100:.2f}% > 100%")
            )
        over = sorted(
            country for country, rights in per_country.items() if sum(rights[right].values()) > 1
        )
        if over:
            total = sum(per_country[over[0]][right].values())
            names = ["WORLD" if c == rest else c for c in over]
            reg.rejections.append(
                _problem(
                    header,
                    None,
                    f"{right} collection shares total {total * 100:.2f}% > 100% in "
                    f"{', '.join(names[:5])}{'…' if len(names) > 5 else ''}",
                )
            )


def _compress(
    reg: Registration,
    right: RightType,
    by_country: dict[str, dict[str, Decimal]],
    weights: dict[str, int],
    rest: list[str],
) -> dict[str, dict[str, Decimal]]:
    """WORLD for the shares most countries have, a row set per country that differs (the
    ledger's shares: a territory's own rows replace WORLD's). Parties without an IPI name
    number are dropped here: their part stays unclaimed."""
    known = {
        c: {h: s for h, s in shares.items() if not h.startswith("?")}
        for c, shares in by_country.items()
    }
    patterns: Counter[frozenset[tuple[str, Decimal]]] = Counter()
    for country, shares in known.items():
        patterns[frozenset(shares.items())] += weights[country]
    world = dict(patterns.most_common(1)[0][0]) if patterns else {}
    result = {WORLD: world} if world else {}
    for country, shares in sorted(known.items()):
        if shares == world:
            continue
        stands_for = rest if rest and country == rest[0] else [country]
        if not shares:
            where = f"{len(stands_for)} countries" if len(stands_for) > 1 else country
            reg.corrections.append(
                _problem(
                    reg.transaction.header,
                    None,
                    f"no holder collects {right} in {where}; the ledger cannot leave a "
                    "territory unpaid while WORLD shares apply, so WORLD's shares apply there",
                )
            )
            continue
        for each in stands_for:
            result[each] = shares
    return result
