"""Request dependencies of the sales routes: the store a request acts for, and the
caller's own sale. Both raise the sales domain's problems, so a route gets a value it
may use as is."""

from typing import Annotated, Literal

from fastapi import Depends, Path, Query

from service.auth.dependencies import StoreCaller
from service.db import SessionDep
from service.ledger import accounts
from service.parties.service import party_exists
from service.sales import repository
from service.sales.exceptions import StoreRequired, StoreUnknown
from service.sales.models import Sale

# A store's code is at most 64 characters (store.code); no `min_length`: an empty `store=`
# is answered as a missing one (StoreRequired), which says what to do.
StoreParam = Annotated[
    str | None,
    Query(
        max_length=64,
        description="Admin only: the store acted for (a store is always itself).",
    ),
]
# No longer than the column (sale.sale_id). Only a length: the ids the DSR intake derives
# are not spelled through `schemas.ClientId`, and a path must reach every stored sale.
SaleIdPath = Annotated[str, Path(max_length=100)]
# Why suspense holds money (the engine's SUSPENSE_REASONS; a test holds the two equal).
SuspenseReason = Literal["unknown_recording", "unknown_work", "unclaimed_share", "missing_fx_rate"]


def acting_store(session: SessionDep, caller: StoreCaller, store: StoreParam = None) -> str:
    """The store a request acts for: a store key's own, or the admin's `store=`."""
    if not caller.is_admin:
        assert caller.subject is not None
        return caller.subject
    if not store:
        raise StoreRequired(
            "Admin requests on a store's sales name it with `?store=`.",
            errors=[{"loc": ["query", "store"], "msg": "required for admin"}],
        )
    if not party_exists(session=session, party=accounts.store(store)):
        raise StoreUnknown(
            f"No store {store}.", errors=[{"loc": ["query", "store"], "msg": "unknown store"}]
        )
    return store


ActingStore = Annotated[str, Depends(acting_store)]


def own_sale(sale_id: SaleIdPath, session: SessionDep, store_code: ActingStore) -> Sale:
    """The sale ``sale_id`` of the store the request acts for (404 for anyone else's)."""
    return repository.get_sale(session=session, store_code=store_code, sale_id=sale_id)


OwnSale = Annotated[Sale, Depends(own_sale)]
