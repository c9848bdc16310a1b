"""A work's title and its other titles (alternative, translated, first line...)."""

from collections.abc import Iterable

from sqlmodel import Session, select

from service.catalog.models import Work, WorkTitle
from service.catalog.service import get_work


def alternative_titles(*, session: Session, iswc: str) -> list[tuple[str, str]]:
    """(title, CWR title type) pairs, sorted."""
    rows = session.exec(select(WorkTitle).where(WorkTitle.iswc == iswc))
    return sorted((row.title, row.title_type) for row in rows)


def set_alternative_titles(
    *, session: Session, iswc: str, titles: Iterable[tuple[str, str]]
) -> bool:
    """Make the work's other titles exactly ``titles``; True when that changed anything."""
    get_work(session=session, iswc=iswc)
    wanted = set(titles)
    rows = {
        (r.title, r.title_type): r
        for r in session.exec(select(WorkTitle).where(WorkTitle.iswc == iswc))
    }
    if set(rows) == wanted:
        return False
    for key, row in rows.items():
        if key not in wanted:
            session.delete(row)
    session.add_all(
        WorkTitle(iswc=iswc, title=title, title_type=kind)
        for title, kind in sorted(wanted - set(rows))
    )
    session.flush()
    return True


def rename_work(*, session: Session, iswc: str, title: str) -> Work:
    """A new main title (a CWR revision); royalties do not depend on it."""
    work = get_work(session=session, iswc=iswc)
    if work.title != title:
        work.title = title
        session.add(work)
        session.flush()
    return work
