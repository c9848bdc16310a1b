"""Two admins deciding the same takedown at once: exactly one decision is kept."""

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlmodel import Session, col, select

from service.auth.caller import Caller
from service.catalog.schemas import RecordingCreate, ShareIn
from service.catalog.service import create_recording
from service.engines import make_engine
from service.errors import DomainError
from service.parties.schemas import RightsHolderCreate
from service.parties.service import create_holder
from service.rights import HolderKind, Role
from service.takedowns import service
from service.takedowns.models import TakedownEvent
from service.takedowns.schemas import DecisionIn, TakedownCreate
from tests.takedowns.conftest import evidence

ADMIN = Caller(role=Role.admin, subject=None, key_id=None)


def test_simultaneous_decisions_keep_exactly_one(pg_isolated_url: str) -> None:
    engine = make_engine(pg_isolated_url, pool_size=4)
    with Session(engine) as session:
        holder = create_holder(
            session=session, data=RightsHolderCreate(name="Label", kind=HolderKind.label)
        ).id
        share = ShareIn.model_validate(
            {"holder_id": holder, "right_type": "neighbouring", "share": "1"}
        )
        recording = RecordingCreate(isrc="RUA010699990", title="t", artist="a", shares=[share])
        create_recording(session=session, data=recording)
        takedown = service.request_takedown(
            session=session,
            caller=ADMIN,
            data=TakedownCreate.model_validate(
                {
                    "isrc": "RUA010699990",
                    "territories": ["US"],
                    "claimant_holder_id": holder,
                    "evidence": evidence(),
                }
            ),
        ).id
        session.commit()

    start = threading.Barrier(4)
    decisions = [
        DecisionIn(approve=True, reason="ok"),
        DecisionIn(approve=False, reason="no"),
    ] * 2

    def decide(data: DecisionIn) -> str:
        with Session(engine) as session:
            start.wait()
            try:
                result = service.decide(
                    session=session, caller=ADMIN, takedown_id=takedown, data=data
                ).status
                session.commit()
                return result
            except DomainError as exc:
                session.rollback()
                return str(exc.status)

    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = sorted(pool.map(decide, decisions))
    assert outcomes.count("409") == 3, outcomes
    with Session(engine) as session:
        actions = session.exec(
            select(TakedownEvent.action)
            .where(TakedownEvent.takedown_id == takedown)
            .order_by(col(TakedownEvent.id))
        ).all()
    engine.dispose()
    assert actions[0] == "requested" and len(actions) == 2
    assert actions[1] in ("approved", "rejected")
