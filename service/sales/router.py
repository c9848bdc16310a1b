"""HTTP endpoints of the sales domain: sales, refunds and suspense."""

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response

from service.auth.dependencies import (
    HEADER_MAX_LENGTH,
    AdminCaller,
    IsrcFilter,
    PageDep,
    StoreCaller,
    TerritoryFilter,
)
from service.db import SessionDep
from service.errors import DomainError
from service.pagination import Page
from service.preferences import wants_minimal
from service.problems import problem_codes
from service.rights import RightType
from service.sales import service
from service.sales.dependencies import (
    ActingStore,
    OwnSale,
    SaleIdPath,
    StoreParam,
    SuspenseReason,
)
from service.sales.intake.ingest import parse, parse_refunds
from service.sales.models import Sale
from service.sales.refunds.schemas import REFUNDS_BODY, RefundBatchResult, RefundBatchSummary
from service.sales.schemas import (
    MAX_BATCH,
    SALE_EXAMPLE,
    BatchResult,
    BatchSummary,
    RefundIn,
    RefundPublic,
    ReleaseRun,
    SaleBatchIn,
    SaleDetail,
    SaleIn,
    SalePublic,
    SaleResult,
    SuspensePublic,
)
from service.telemetry.metrics import BATCH_SECONDS, count_sales, timed
from service.timeutil import utcnow

router = APIRouter(prefix="/v1", tags=["sales"])


async def _raw_body(request: Request) -> bytes:
    return await request.body()


_SALES_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "oneOf": [
                        SaleIn.model_json_schema(),
                        {
                            "type": "object",
                            "properties": {
                                "sales": {
                                    "type": "array",
                                    "maxItems": MAX_BATCH,
                                    "items": SaleIn.model_json_schema(),
                                }
                            },
                            "required": ["sales"],
                            "additionalProperties": False,
                        },
                    ]
                },
                "examples": {
                    "bare": {"value": SALE_EXAMPLE},
                    "batch": {
                        "value": SaleBatchIn.model_validate({"sales": [SALE_EXAMPLE]}).model_dump(
                            mode="json"
                        )
                    },
                },
            },
            "application/x-ndjson": {
                "schema": {"type": "string"},
                "example": "".join(
                    json.dumps({**SALE_EXAMPLE, **row}, separators=(",", ":")) + "\n"
                    for row in ({"sale_id": "o-1002-1"}, {"sale_id": "o-1002-2", "quantity": 2})
                ),
            },
            "text/csv": {
                "schema": {"type": "string"},
                "example": "sale_id,isrc,territory,sold_at,quantity,unit_price,currency\n"
                "o-1001-1,RUA010600001,US,2006-11-03T10:00:00Z,1,0.10,USD\n",
            },
        },
    }
}


@router.post(
    "/sales",
    response_model=SaleResult | BatchResult | BatchSummary,
    openapi_extra=_SALES_BODY,
    responses={
        200: {
            "description": "A batch's results (its counts and rejections with "
            "`Prefer: return=minimal`), or a bare sale already recorded (duplicate)",
            "headers": {
                "Preference-Applied": {
                    "description": "`return=minimal` when the batch was answered minimally",
                    "schema": {"type": "string"},
                }
            },
        },
        201: {"model": SaleResult, "description": "A bare sale, recorded"},
        409: problem_codes(
            "conflict", description="A bare sale whose sale_id was recorded with other content"
        ),
        415: problem_codes("unsupported_media_type", description="Not JSON, NDJSON or CSV"),
        451: problem_codes(
            "withdrawn", "unlicensed", description="A bare sale that is withdrawn or unlicensed"
        ),
    },
)
def post_sales(
    request: Request,
    response: Response,
    session: SessionDep,
    store_code: ActingStore,
    body: Annotated[bytes, Depends(_raw_body)],
    prefer: Annotated[
        str | None,
        Header(
            max_length=HEADER_MAX_LENGTH,
            description="`return=minimal` (RFC 7240): a batch answers its counts and "
            "rejected rows only (`BatchSummary`), not one result per row.",
            examples=["return=minimal"],
        ),
    ] = None,
) -> SaleResult | BatchResult | BatchSummary:
    """Record sales: one bare sale, `{"sales": [...]}` (≤ 10,000), NDJSON or CSV rows.

    A batch answers 200 with one result per row, in order; each row is atomic on its
    own. A bare sale answers 201 (recorded), 200 (duplicate: the first result again) or a
    problem with `code` `invalid` (422), `conflict` (409), `withdrawn` or `unlicensed`
    (451). `royalties` are in the sale's currency, gross of commission. A batch sent
    with `Prefer: return=minimal` answers counts plus the rejected rows, with their
    position (`Preference-Applied: return=minimal`); a bare sale ignores it.
    """
    with timed(BATCH_SECONDS):
        parsed = parse(body, request.headers.get("content-type"), now=utcnow())
        if parsed.bare:
            try:
                result = service.record_sale(
                    session=session, store_code=store_code, row=parsed.rows[0]
                )
            except DomainError as exc:  # a bare sale's rejection is a problem response
                request.state.sales_rows = count_sales([("rejected", exc.code)])
                raise
            request.state.sales_rows = count_sales([(result.status, None)])
            response.status_code = 201 if result.status == "recorded" else 200
            return SaleResult.model_validate(result, from_attributes=True)
        # Every Prefer field counts (the parameter above documents it; FastAPI keeps one).
        minimal = wants_minimal(request.headers.getlist("prefer"))
        batch = service.record_sales(
            session=session, store_code=store_code, rows=parsed.rows, minimal=minimal
        )
    request.state.sales_rows = count_sales(
        [(r.status, r.error.code if r.error else None) for r in batch.results]
    )
    response.headers["Vary"] = "Prefer"
    if minimal:
        response.headers["Preference-Applied"] = "return=minimal"
        return BatchSummary.of(batch)
    return BatchResult.model_validate(batch, from_attributes=True)


def _public(sale: Sale, refunded: int) -> SalePublic:
    return SalePublic(
        sale_id=sale.sale_id,
        store=sale.store_code,
        isrc=sale.isrc,
        iswc=sale.iswc,
        territory=sale.territory,
        sold_at=sale.sold_at,
        period=sale.period,
        quantity=sale.quantity,
        refunded_quantity=refunded,
        unit_price=sale.unit_price,
        currency=sale.currency,
        held=sale.held,
        recorded_at=sale.recorded_at,
    )


@router.get("/sales")
def list_sales(
    session: SessionDep,
    caller: StoreCaller,
    page: PageDep,
    store: StoreParam = None,
    isrc: IsrcFilter = None,
    territory: TerritoryFilter = None,
    period: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$", examples=["2006-11"])] = None,
) -> Page[SalePublic]:
    """A store's own sales; an admin sees every store's (filter with `store=`)."""
    store_code = caller.subject if not caller.is_admin else store
    rows, cursor = service.list_sales(
        session=session,
        page=page,
        store_code=store_code,
        isrc=isrc,
        territory=territory,
        period=period,
    )
    return Page(data=[_public(sale, refunded) for sale, refunded in rows], next_cursor=cursor)


@router.get("/sales/{sale_id}")
def get_sale(sale: OwnSale, session: SessionDep) -> SaleDetail:
    """One sale with its first result's royalties, its refunds and its suspense releases."""
    history = service.sale_history(session=session, sale=sale)
    booked = history.booked
    return SaleDetail.model_validate(
        {
            **_public(sale, history.refunded).model_dump(),
            "booked_period": booked.period if booked is not None else None,
            "adjustment": booked.adjustment if booked is not None else None,
            "royalties": booked.royalties if booked is not None else [],
            "refunds": history.refunds,
            "releases": history.releases,  # entries: a release's fields by name
        },
        from_attributes=True,
    )


@router.post(
    "/sales/{sale_id}/refunds",
    status_code=201,
    responses={
        200: {"description": "Already recorded: the first result again"},
        409: problem_codes("conflict", description="The refund_id was used with other content"),
        422: problem_codes("refund_exceeds_sale"),
    },
)
def post_refund(
    sale_id: SaleIdPath,
    data: RefundIn,
    response: Response,
    session: SessionDep,
    store_code: ActingStore,
) -> RefundPublic:
    """Refund units of one of your sales; its royalties are reversed exactly.

    Idempotent on `refund_id` (a replay answers 200 with the first result; other content
    under the same id is a 409). More units than were sold in total → 422
    `refund_exceeds_sale`.
    """
    refund, created = service.refund(
        session=session, store_code=store_code, sale_id=sale_id, data=data
    )
    if not created:
        response.status_code = 200
    return RefundPublic.model_validate(refund, from_attributes=True)


@router.post(
    "/refunds",
    response_model=RefundBatchResult | RefundBatchSummary,
    openapi_extra=REFUNDS_BODY,
    responses={
        200: {
            "description": "One result per row, in order (its counts and rejections with "
            "`Prefer: return=minimal`)",
            "headers": {
                "Preference-Applied": {
                    "description": "`return=minimal` when the batch was answered minimally",
                    "schema": {"type": "string"},
                }
            },
        },
        415: problem_codes("unsupported_media_type", description="Not JSON or NDJSON"),
    },
)
def post_refunds(
    request: Request,
    response: Response,
    session: SessionDep,
    store_code: ActingStore,
    body: Annotated[bytes, Depends(_raw_body)],
    prefer: Annotated[
        str | None,
        Header(
            max_length=HEADER_MAX_LENGTH,
            description="`return=minimal` (RFC 7240): answer the counts and rejected rows "
            "only (`RefundBatchSummary`), not one result per row.",
            examples=["return=minimal"],
        ),
    ] = None,
) -> RefundBatchResult | RefundBatchSummary:
    """Refund units of your sales in one batch: `{"refunds": [...]}` (≤ 10,000 rows).

    Each row is `POST /v1/sales/{sale_id}/refunds` with its `sale_id`: idempotent on
    `refund_id` (a replay is a `duplicate` answered with the first result), and its
    royalties are reversed exactly. The batch is one transaction and answers 200 with one
    result per row, in order; a rejected row writes nothing and does not stop the others.
    Rejection codes: `invalid` (a bad field; refunded_at in the future or before the
    sale), `not_found` (no such sale of yours), `conflict` (refund_id recorded, or sent
    earlier in the batch, with other content), `refund_exceeds_sale` (more units than
    are left, counting the batch's earlier rows). A body that is not such a batch is one
    problem (400/413/415/422) and writes nothing. With `Prefer: return=minimal` the
    answer is the counts plus the rejected rows, with their position.
    """
    rows = parse_refunds(body, request.headers.get("content-type"))
    # Every Prefer field counts (the parameter above documents it; FastAPI keeps one).
    minimal = wants_minimal(request.headers.getlist("prefer"))
    batch = service.record_refunds(
        session=session, store_code=store_code, rows=rows, minimal=minimal
    )
    response.headers["Vary"] = "Prefer"
    if minimal:
        response.headers["Preference-Applied"] = "return=minimal"
        return RefundBatchSummary.of(batch)
    return RefundBatchResult.model_validate(batch, from_attributes=True)


@router.get("/suspense")
def list_suspense(
    session: SessionDep,
    _: AdminCaller,
    page: PageDep,
    reason: SuspenseReason | None = None,
    territory: TerritoryFilter = None,
    isrc: IsrcFilter = None,
    right_type: RightType | None = None,
) -> Page[SuspensePublic]:
    """What suspense holds, by reason, territory, ISRC and right type, per currency.

    Reasons: `unknown_recording` (the ISRC is not in the catalog: every right type with a
    tariff is held whole), `unknown_work` (the recording has no ISWC: mechanical and
    performance are held), `unclaimed_share` (shares total below 1: the rest is held),
    `missing_fx_rate` (a fixed tariff amount needs a rate that is missing: the part that
    needs no rate, i.e. the percentage of the price or 0, is held; the rest is booked,
    and the store debited for it, when the rate arrives). Held money is released, by the
    shares, mandates and rates in force on the ORIGINAL sale date, when the catalog
    changes or by `POST /v1/suspense/release`, booked in the sale's month (or the oldest
    open one, as an adjustment). `units` counts the units whose royalty is held.
    """
    data, cursor = service.list_suspense(
        session=session,
        page=page,
        reason=reason,
        territory=territory.upper() if territory else None,
        isrc=isrc,
        right_type=right_type.value if right_type else None,
    )
    return Page(
        data=[SuspensePublic.model_validate(held, from_attributes=True) for held in data],
        next_cursor=cursor,
    )


@router.post("/suspense/release")
def release_suspense(session: SessionDep, _: AdminCaller) -> ReleaseRun:
    """Release whatever suspense can now be allocated (e.g. after adding FX rates).

    Catalog changes (a new recording, a work linked, new shares) release by themselves;
    this re-examines every sale that still holds something.
    """
    return ReleaseRun.model_validate(
        service.release_suspense(session=session), from_attributes=True
    )
