"""The request-scoped session: the one place that commits or rolls back (HTTP layer; the
engines themselves are built by ``service/engines.py``, which imports no web framework)."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlmodel import Session

from service.engines import Replicas


def get_session(request: Request) -> Iterator[Session]:
    # The engine create_app built from its settings (one per app, so per process).
    engine: Engine = request.app.state.engine
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


# scope="function": commit (or roll back) as soon as the endpoint returns, BEFORE the
# response is sent, so a failed commit can never be reported to the client as success.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def get_read_session(request: Request, primary: SessionDep) -> Iterator[Session]:
    """A session on the next replica, or the primary's request session when there is none.

    A replica session never commits (a standby refuses writes anyway); routes that need
    fresh data compare it with ``primary`` (``service/replication.py``), so both are
    handed out and only the one used connects.
    """
    replicas: Replicas = request.app.state.replicas
    engine = replicas.next()
    if engine is None:
        yield primary
        return
    # Closed, not rolled back: a rollback would expire the rows a streamed response
    # still reads after the endpoint returned; closing ends the transaction all the same.
    with Session(engine, expire_on_commit=False) as session:
        yield session


ReadSessionDep = Annotated[Session, Depends(get_read_session, scope="function")]
