"""Rights holders known by their IPI name number, and their society affiliations.

Used by intake of industry files (CWR), where a writer or publisher arrives with an IPI
name number rather than the ledger's holder id.
"""

from sqlmodel import Session, select

from service.parties import service
from service.parties.models import RightsHolder, SocietyAffiliation
from service.parties.schemas import RightsHolderCreate
from service.rights import HolderKind, RightType


def holder_by_ipi(*, session: Session, ipi: str) -> RightsHolder | None:
    return session.exec(select(RightsHolder).where(RightsHolder.ipi == ipi)).first()


def ensure_holder(
    *, session: Session, ipi: str, name: str, kind: HolderKind
) -> tuple[RightsHolder, bool]:
    """The holder with this IPI name number, created if new (True). An existing holder
    keeps its name and kind: the ledger's record, not each file, is the reference."""
    holder = holder_by_ipi(session=session, ipi=ipi)
    if holder is not None:
        return holder, False
    data = RightsHolderCreate(name=name, kind=kind, ipi=ipi)
    return service.create_holder(session=session, data=data), True


def set_affiliation(
    *, session: Session, holder_id: str, right_type: RightType, society_number: str
) -> bool:
    """Record the holder's society for a right type; True when that changed anything."""
    current = session.get(SocietyAffiliation, (holder_id, right_type.value))
    if current is not None and current.society_number == society_number:
        return False
    if current is None:
        current = SocietyAffiliation(
            holder_id=holder_id, right_type=right_type.value, society_number=society_number
        )
    current.society_number = society_number
    session.add(current)
    session.flush()
    return True


def affiliations_of(*, session: Session, holder_id: str) -> dict[str, str]:
    """Right type -> CISAC society number."""
    rows = session.exec(select(SocietyAffiliation).where(SocietyAffiliation.holder_id == holder_id))
    return {row.right_type: row.society_number for row in rows}
