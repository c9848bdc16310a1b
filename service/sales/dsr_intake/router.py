"""``POST /v1/sales/dsr``: a store's DDEX DSR sales report, booked as sales and refunds."""

from typing import Any

from fastapi import APIRouter

from service.db import SessionDep
from service.sales.dependencies import ActingStore
from service.sales.dsr_intake.dependencies import MAX_DSR_BYTES, MEDIA_TYPE, DsrUpload
from service.sales.dsr_intake.schemas import DsrReceipt
from service.sales.dsr_intake.service import ingest_dsr

PATH = "/v1/sales/dsr"
router = APIRouter(prefix="/v1", tags=["sales"])

_EXAMPLE = (
    "HEAD\tdsrf/1.1/1.2/1.1\tBasicAudioProfile\t1.2\tMSG-1\t2006-12-01T00:00:00Z\t1\t1\t"
    "2006-11-01\t2006-11-30\tPADPIDA2007040502I\tallofmp3\tDownloads\t\t\t\n"
    "SY02.02\tSR1\t\t\tPayAsYouGoModel\tPermanentDownload\tUS\tDownloads\t1\t\tUSD\t0.10"
    "\t\t\t\t\t\t\tMusic\t\t\t\n"
    "AS02.02\t1\tR1\tR1\tRUA010600001\tTitle\t\tArtist\t\t\tSoundRecording\t\t\t\t\t\t\t\t"
    "\t\t\t\n"
    "SU01\t1\tSR1\tT1\t\tR1\ttrue\tfalse\t1\t0\t0.10\t\n"
    "FOOT\t5\t5\t1\t1\t1\n"
)
_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            MEDIA_TYPE: {
                # The decompressed file's bytes (413 past them): no more characters than that.
                "schema": {"type": "string", "maxLength": MAX_DSR_BYTES},
                "example": _EXAMPLE,
            }
        },
    }
}


@router.post(
    "/sales/dsr",
    openapi_extra=_BODY,
    responses={
        409: {"description": "Another file was posted under this MessageId"},
        413: {"description": "The file is too large"},
        415: {"description": "Not text/tab-separated-values, or an encoding other than gzip"},
        422: {"description": "Broken structure (`dsr_structure`) or file name (`dsr_file_name`)"},
    },
)
def post_dsr(session: SessionDep, store_code: ActingStore, upload: DsrUpload) -> DsrReceipt:
    """Book a DDEX DSR flat file (BasicAudioProfile 1.2): each SU01 line a sale, its
    Returns a refund of it (docs/dsr-intake.md has the mapping).

    The file streams (`Content-Encoding: gzip` accepted): a structural pass refuses a
    broken file with its first broken line (`dsr_structure`, nothing booked), then the
    lines are booked in chunks, each committed on its own. Posting the same file again
    books what an interrupted post left and nothing twice; another file under the same
    MessageId is a 409. The receipt counts what was booked and lists rejected lines.
    """
    receipt = ingest_dsr(
        session=session, store_code=store_code, upload=upload, checkpoint=session.commit
    )
    return DsrReceipt.model_validate(receipt, from_attributes=True)
