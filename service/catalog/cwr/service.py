"""Importing a CWR file: each registration applied through the catalog and parties services
in a savepoint of its own, so a transaction that breaks a rule is rejected alone."""

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from pydantic import ValidationError
from sqlmodel import Session

from service.catalog import service as catalog
from service.catalog import titles
from service.catalog.cwr.exceptions import RegistrationRejected
from service.catalog.cwr.mapping import Registration, registration_of
from service.catalog.cwr.parser import CwrFile, Problem, decode, parse
from service.catalog.exceptions import AssetNotFound
from service.catalog.schemas import RecordingCreate, RecordingUpdate, ShareIn, WorkCreate
from service.errors import DomainError
from service.parties import affiliations


class Status(StrEnum):
    """CWR Transaction Status codes (CISAC lookup table) the ledger answers with."""

    accepted = "AS"  # Registration Accepted
    accepted_with_changes = "AC"  # Registration Accepted with Changes
    rejected = "RJ"  # Rejected


@dataclass(frozen=True, slots=True)
class Message:
    """A MSG record: ``type`` says what was rejected (T transaction, F field), ``level``
    where the problem was found (T transaction, R record, F field)."""

    type: str
    level: str
    line: int
    record_sequence: int
    record_type: str
    field: str | None
    text: str


@dataclass(slots=True)
class TransactionOutcome:
    group_id: int
    sequence: int
    transaction_type: str
    submitter_work_number: str | None
    title: str
    iswc: str | None
    status: Status
    changed: bool
    messages: list[Message] = field(default_factory=list)


@dataclass(slots=True)
class ImportOutcome:
    file: CwrFile
    valid_from: date
    transactions: list[TransactionOutcome]


def import_cwr(*, session: Session, body: bytes, valid_from: date | None = None) -> ImportOutcome:
    """Apply every registration of a CWR file. Shares of works already registered change
    from ``valid_from`` (default: the file's creation date), like shares put through the
    API; a registration identical to what the ledger holds changes nothing."""
    cwr = parse(decode(body))
    effective = valid_from or cwr.created
    parties = _Parties()
    outcomes = [
        _import_one(session, registration_of(t), effective, parties) for t in cwr.transactions
    ]
    return ImportOutcome(file=cwr, valid_from=effective, transactions=outcomes)


@dataclass(slots=True)
class _Parties:
    """Holders and affiliations already settled by this import: a file names the same few
    publishers and writers in most of its transactions. Filled only from transactions whose
    savepoint was kept, so a rolled-back holder is never reused."""

    holders: dict[str, str] = field(default_factory=dict)  # IPI name number -> holder id
    affiliations: set[tuple[str, str, str]] = field(default_factory=set)
    pending_holders: dict[str, str] = field(default_factory=dict)
    pending_affiliations: set[tuple[str, str, str]] = field(default_factory=set)

    def settle(self, *, keep: bool) -> None:
        if keep:
            self.holders.update(self.pending_holders)
            self.affiliations |= self.pending_affiliations
        self.pending_holders.clear()
        self.pending_affiliations.clear()


def _import_one(
    session: Session, reg: Registration, valid_from: date, parties: _Parties
) -> TransactionOutcome:
    changed = False
    if not reg.rejections:
        savepoint = session.begin_nested()
        try:
            changed = _apply(session, reg, valid_from, parties)
            savepoint.commit()
            parties.settle(keep=True)
        except (DomainError, ValidationError) as exc:
            savepoint.rollback()
            parties.settle(keep=False)
            reg.rejections.append(
                Problem(
                    reg.transaction.header.line,
                    reg.transaction.transaction_type,
                    None,
                    _reason(exc),
                )
            )
    return _outcome(reg, changed=changed and not reg.rejections)


def _reason(exc: DomainError | ValidationError) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(str(e["msg"]) for e in exc.errors())
    return exc.detail


def _holders(session: Session, reg: Registration, parties: _Parties) -> tuple[dict[str, str], bool]:
    """IPI name number -> holder id for every party with one, created when new, with its
    societies recorded; and whether anything changed."""
    changed = False
    for party in reg.parties.values():
        if party.ipi is None:
            continue
        holder_id = parties.holders.get(party.ipi) or parties.pending_holders.get(party.ipi)
        if holder_id is None:
            holder, created = affiliations.ensure_holder(
                session=session, ipi=party.ipi, name=party.name, kind=party.kind
            )
            holder_id = parties.pending_holders[party.ipi] = holder.id
            changed |= created
        for right, number in party.societies.items():
            key = (holder_id, right.value, number)
            if key in parties.affiliations or key in parties.pending_affiliations:
                continue
            changed |= affiliations.set_affiliation(
                session=session, holder_id=holder_id, right_type=right, society_number=number
            )
            parties.pending_affiliations.add(key)
    return {**parties.holders, **parties.pending_holders}, changed


def _apply(session: Session, reg: Registration, valid_from: date, parties: _Parties) -> bool:
    assert reg.iswc is not None
    holder_ids, changed = _holders(session, reg, parties)
    shares = [
        ShareIn(holder_id=holder_ids[ipi], right_type=right, share=share, territory=territory)
        for right, by_territory in reg.shares.items()
        for territory, by_holder in sorted(by_territory.items())
        for ipi, share in sorted(by_holder.items())
    ]
    changed |= _apply_work(session, reg, shares, valid_from)
    changed |= titles.set_alternative_titles(
        session=session, iswc=reg.iswc, titles=reg.alternative_titles
    )
    changed |= _link_recordings(session, reg)
    return changed


def _same_shares(rows: tuple[catalog.ShareRow, ...], shares: list[ShareIn]) -> bool:
    have = {(r.holder_id, r.right_type, r.territory, r.share) for r in rows}
    want = {(s.holder_id, s.right_type.value, s.territory, s.share) for s in shares}
    return have == want


def _apply_work(
    session: Session, reg: Registration, shares: list[ShareIn], valid_from: date
) -> bool:
    assert reg.iswc is not None
    try:
        work = catalog.get_work(session=session, iswc=reg.iswc)
    except AssetNotFound:
        catalog.create_work(
            session=session, data=WorkCreate(iswc=reg.iswc, title=reg.title, shares=shares)
        )
        return True
    changed = False
    if work.title != reg.title:
        if reg.transaction.transaction_type == "NWR":
            raise RegistrationRejected(
                f"work {reg.iswc} is registered as {work.title!r}; a REV changes its title"
            )
        titles.rename_work(session=session, iswc=reg.iswc, title=reg.title)
        changed = True
    versions = catalog.versions_of(session=session, asset_kind=catalog.WORK, asset_id=reg.iswc)
    in_force = [v for v in versions if v.valid_from <= valid_from]
    if in_force and _same_shares(in_force[-1].rows, shares):
        return changed
    catalog.put_shares(
        session=session,
        asset_kind=catalog.WORK,
        asset_id=reg.iswc,
        valid_from=valid_from,
        shares=shares,
    )
    return True


def _link_recordings(session: Session, reg: Registration) -> bool:
    changed = False
    for ref in reg.recordings:
        try:
            recording = catalog.get_recording(session=session, isrc=ref.isrc)
        except AssetNotFound:
            if ref.artist is None:
                reg.corrections.append(
                    Problem(
                        ref.line,
                        "REC",
                        "ISRC",
                        "unknown recording and no artist named: not created",
                    )
                )
                continue
            data = RecordingCreate(isrc=ref.isrc, title=ref.title, artist=ref.artist, iswc=reg.iswc)
            catalog.create_recording(session=session, data=data)
            changed = True
            continue
        if recording.iswc == reg.iswc:
            continue
        if recording.iswc is not None:
            reg.corrections.append(
                Problem(
                    ref.line, "REC", "ISRC", f"already linked to work {recording.iswc}; left so"
                )
            )
            continue
        catalog.update_recording(
            session=session, isrc=ref.isrc, data=RecordingUpdate(iswc=reg.iswc)
        )
        changed = True
    return changed


def _message(reg: Registration, problem: Problem, *, rejected: bool) -> Message:
    header = reg.transaction.header
    if problem.field is not None:
        level = "F"
    elif problem.line == header.line:
        level = "T"
    else:
        level = "R"
    return Message(
        type="T" if rejected else "F",
        level=level,
        line=problem.line,
        record_sequence=max(problem.line - header.line, 0),
        record_type=problem.record_type,
        field=problem.field,
        text=problem.reason,
    )


def _outcome(reg: Registration, *, changed: bool) -> TransactionOutcome:
    t = reg.transaction
    if reg.rejections:
        status = Status.rejected
        messages = [_message(reg, p, rejected=True) for p in reg.rejections]
    else:
        status = Status.accepted_with_changes if reg.corrections else Status.accepted
        messages = [_message(reg, p, rejected=False) for p in reg.corrections]
    return TransactionOutcome(
        group_id=t.group_id,
        sequence=t.sequence,
        transaction_type=t.transaction_type,
        submitter_work_number=t.header.get("Submitter Work #"),
        title=reg.title,
        iswc=reg.iswc,
        status=status,
        changed=changed,
        messages=messages,
    )
