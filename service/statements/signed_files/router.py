"""``GET /v1/statements/{id}/digests``: the operator's signature over a statement's files."""

from typing import Annotated

from fastapi import APIRouter, Depends

from service.auth.dependencies import IdPath, SettingsDep
from service.db import SessionDep
from service.statements import service
from service.statements.router import PartyReader
from service.statements.signed_files import service as digests
from service.statements.signed_files.schemas import DigestsPublic
from service.transparency.signing import OperatorKey, settings_key

router = APIRouter(prefix="/v1", tags=["transparency"])


def _key(settings: SettingsDep) -> OperatorKey:
    return settings_key(settings)


@router.get("/statements/{statement_id}/digests")
def statement_digests(
    statement_id: IdPath,
    session: SessionDep,
    caller: PartyReader,
    key: Annotated[OperatorKey, Depends(_key)],
) -> DigestsPublic:
    """The operator's signature over the SHA-256 of the statement's CSV and DSR files under
    its pinned tree head: what `royalty-ledger verify-statement --file` checks a saved file
    against. 409 `statement_not_pinned` for a month closed before the log existed."""
    statement = service.get_statement(session=session, caller=caller, statement_id=statement_id)
    signed = digests.signed_digests(session=session, statement=statement, key=key)
    return DigestsPublic(**vars(signed))
