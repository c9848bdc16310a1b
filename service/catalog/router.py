"""HTTP endpoints of the catalog (admin writes; any authenticated caller reads)."""

from datetime import date

from fastapi import APIRouter
from sqlmodel import Session

from service.auth.dependencies import (
    AdminCaller,
    AnyCaller,
    IdFilter,
    IsrcPath,
    IswcFilter,
    IswcPath,
    PageDep,
    TextFilter,
    valid_iswc,
)
from service.catalog import service, titles
from service.catalog.models import BEGINNING, Recording, Work
from service.catalog.schemas import (
    RecordingCreate,
    RecordingPublic,
    RecordingUpdate,
    SharePublic,
    SharesPut,
    ShareVersionPublic,
    Unclaimed,
    WorkCreate,
    WorkPublic,
)
from service.db import SessionDep
from service.pagination import Page
from service.timeutil import utcnow

router = APIRouter(prefix="/v1", tags=["catalog"])


def _versions(session: Session, kind: str, asset_id: str) -> list[ShareVersionPublic]:
    return [
        ShareVersionPublic(
            valid_from=None if v.valid_from == BEGINNING else v.valid_from,
            shares=[
                SharePublic(
                    holder_id=r.holder_id,
                    right_type=r.right_type,
                    share=r.share,
                    territory=r.territory,
                )
                for r in v.rows
            ],
            unclaimed=[
                Unclaimed(right_type=rt, territory=t, share=s)
                for (rt, t), s in sorted(service.unclaimed_of(v.rows).items())
            ],
        )
        for v in service.versions_of(session=session, asset_kind=kind, asset_id=asset_id)
    ]


def _current(versions: list[ShareVersionPublic]) -> ShareVersionPublic:
    today = utcnow().date()
    in_force = [v for v in versions if (v.valid_from or date.min) <= today]
    return (
        in_force[-1] if in_force else ShareVersionPublic(valid_from=None, shares=[], unclaimed=[])
    )


def _work_public(session: Session, work: Work) -> WorkPublic:
    versions = _versions(session, service.WORK, work.iswc)
    current = _current(versions)
    return WorkPublic(
        iswc=work.iswc,
        title=work.title,
        shares=current.shares,
        unclaimed=current.unclaimed,
        share_versions=versions,
        alternative_titles=[
            t for t, _ in titles.alternative_titles(session=session, iswc=work.iswc)
        ],
    )


def _recording_public(session: Session, recording: Recording) -> RecordingPublic:
    versions = _versions(session, service.RECORDING, recording.isrc)
    current = _current(versions)
    return RecordingPublic(
        isrc=recording.isrc,
        title=recording.title,
        artist=recording.artist,
        duration_s=recording.duration_s,
        iswc=recording.iswc,
        shares=current.shares,
        unclaimed=current.unclaimed,
        share_versions=versions,
    )


@router.post("/works", status_code=201)
def create_work(data: WorkCreate, session: SessionDep, _: AdminCaller) -> WorkPublic:
    """Register a work; a share total below 1 is accepted and the rest reported as unclaimed."""
    return _work_public(session, service.create_work(session=session, data=data))


@router.get("/works")
def list_works(
    session: SessionDep,
    _: AnyCaller,
    page: PageDep,
    holder_id: IdFilter = None,
    title: TextFilter = None,
) -> Page[WorkPublic]:
    rows, cursor = service.list_works(session=session, page=page, holder_id=holder_id, title=title)
    return Page(data=[_work_public(session, w) for w in rows], next_cursor=cursor)


@router.get("/works/{iswc}")
def get_work(iswc: IswcPath, session: SessionDep, _: AnyCaller) -> WorkPublic:
    return _work_public(session, service.get_work(session=session, iswc=iswc))


@router.put("/works/{iswc}/shares")
def put_work_shares(
    iswc: IswcPath, data: SharesPut, session: SessionDep, _: AdminCaller
) -> WorkPublic:
    """Add a share version effective from `valid_from`; earlier sales keep their shares."""
    service.put_shares(
        session=session,
        asset_kind=service.WORK,
        asset_id=iswc,
        valid_from=data.valid_from,
        shares=data.shares,
    )
    return _work_public(session, service.get_work(session=session, iswc=iswc))


@router.post("/recordings", status_code=201)
def create_recording(data: RecordingCreate, session: SessionDep, _: AdminCaller) -> RecordingPublic:
    return _recording_public(session, service.create_recording(session=session, data=data))


@router.get("/recordings")
def list_recordings(
    session: SessionDep,
    _: AnyCaller,
    page: PageDep,
    iswc: IswcFilter = None,
    artist: TextFilter = None,
    holder_id: IdFilter = None,
) -> Page[RecordingPublic]:
    rows, cursor = service.list_recordings(
        session=session,
        page=page,
        iswc=valid_iswc(iswc) if iswc else None,
        artist=artist,
        holder_id=holder_id,
    )
    return Page(data=[_recording_public(session, r) for r in rows], next_cursor=cursor)


@router.get("/recordings/{isrc}")
def get_recording(isrc: IsrcPath, session: SessionDep, _: AnyCaller) -> RecordingPublic:
    return _recording_public(session, service.get_recording(session=session, isrc=isrc))


@router.patch("/recordings/{isrc}")
def update_recording(
    isrc: IsrcPath, data: RecordingUpdate, session: SessionDep, _: AdminCaller
) -> RecordingPublic:
    """Change a recording, e.g. link its work; royalties held for want of it are released."""
    recording = service.update_recording(session=session, isrc=isrc, data=data)
    return _recording_public(session, recording)


@router.put("/recordings/{isrc}/shares")
def put_recording_shares(
    isrc: IsrcPath, data: SharesPut, session: SessionDep, _: AdminCaller
) -> RecordingPublic:
    service.put_shares(
        session=session,
        asset_kind=service.RECORDING,
        asset_id=isrc,
        valid_from=data.valid_from,
        shares=data.shares,
    )
    return _recording_public(session, service.get_recording(session=session, isrc=isrc))
