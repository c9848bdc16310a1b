"""HTTP endpoint of CWR intake: ``POST /v1/catalog/cwr`` (admin)."""

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import Response

from service.auth.dependencies import HEADER_MAX_LENGTH, AdminCaller
from service.catalog.cwr import service
from service.catalog.cwr.ack import ack_file
from service.catalog.cwr.schemas import CwrAck, ack_of
from service.db import SessionDep
from service.timeutil import utcnow

router = APIRouter(prefix="/v1", tags=["catalog"])

_CWR_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "A CWR 2.1 or 2.2 file (fixed-width EDI records).",
        "content": {"text/plain": {"schema": {"type": "string"}}},
    }
}


async def _raw_body(request: Request) -> bytes:
    return await request.body()


@router.post(
    "/catalog/cwr",
    response_model=CwrAck,
    openapi_extra=_CWR_BODY,
    responses={
        200: {
            "description": "One acknowledgement per transaction; with `Accept: text/plain`, "
            "a CWR ACK file",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        },
        422: {"description": "The file's structure is broken (`code` cwr_file_invalid)"},
    },
)
def import_cwr(
    session: SessionDep,
    _: AdminCaller,
    body: Annotated[bytes, Depends(_raw_body)],
    valid_from: Annotated[
        date | None,
        Query(description="When revised shares take effect (default: the file's creation date)."),
    ] = None,
    accept: Annotated[str | None, Header(max_length=HEADER_MAX_LENGTH)] = None,
) -> CwrAck | Response:
    """Register works, writers, publishers, shares and recordings from a CISAC CWR file.

    Each transaction is applied alone: one that breaks a rule (shares over 100 %, an
    unknown record type, a bad ISWC, a malformed field) is rejected and the rest applies.
    Importing the same file again changes nothing."""
    outcome = service.import_cwr(session=session, body=body, valid_from=valid_from)
    if accept and "text/plain" in accept and "json" not in accept:
        return Response(ack_file(outcome, now=utcnow()), media_type="text/plain; charset=utf-8")
    return ack_of(outcome)
