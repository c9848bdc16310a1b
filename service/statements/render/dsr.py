"""DDEX DSR flat-file writer: BasicAudioProfile 1.2, multi-record-block variant.

Pure (no database, no HTTP, no clock): callers pass frozen dataclasses and get lines back.
Decisions, and where they were confirmed:

- Records and cell order are those of ddexnet/dsrf ``schemas/BasicAudioProfile/1.2``:
  HEAD, SY02.02 (summaries), blocks of one AS02.02 followed by its SU01 rows, FOOT.
  Profile ``BasicAudioProfile`` and ProfileVersion ``1.2`` as DSR Part 3 prescribes.
- MessageVersion: DSR Part 8 (HEAD cell 2) requires ``dsrf/<Part 1>/<Part 2>/<Part 8>``
  version numbers (``dsrf/30`` meaning the 2016 originals), so ``dsrf/basicaudio/1.2``
  would be invalid. Part 3 1.2 names no triplet, so ours is a declared choice, kept in a
  header field to be agreed per society: Part 1 1.1 (first version with this field and the
  clause 6.6.4 escaping below; 1.2 revised secondary delimiters, not verified here), Part 2
  1.2 (every code we write exists there) and Part 8 1.1 (it updated the Part 3-5 records).
- Escaping (Part 1, 6.6.4): TAB -> ``\\<TAB>``, ``|`` -> ``\\\\|``, ``\\`` -> ``\\\\\\``.
  There is no escape for CR, LF or other control characters, so such values are refused.
- Decimals (Part 1, 6.6.11): plain notation, never exponents; zero is ``0``; floats refused.
- ``#`` heading lines (Part 1, 6.6.17, recommended) are written once per record type right
  after HEAD; NumberOfLinesInFile counts them, as Part 8's FOOT definition requires.
- Streaming: summaries are few and materialised (SU01 rows must reference them); blocks and
  their sales are pulled lazily and the FOOT counts are accumulated while lines are yielded.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Literal, get_args

from service.statements.render import dsr_cells as cell
from service.statements.render.dsr_layout import (
    PROFILE,
    PROFILE_VERSION,
)

DEFAULT_MESSAGE_VERSION = "dsrf/1.1/1.2/1.1"
RightsType = Literal["MechanicalRight", "PerformingRight", "MakeAvailableRight"]
# API.md "Periods and statements": ledger right types -> DSR RightsType.
RIGHTS_TYPE_FOR: dict[str, RightsType] = {
    "mechanical": "MechanicalRight",
    "performance": "PerformingRight",
    "neighbouring": "MakeAvailableRight",
}


@dataclass(frozen=True, slots=True)
class DsrHeader:
    message_id: str
    created_at: datetime  # timezone-aware; written in UTC
    usage_start: date
    usage_end: date
    sender_party_id: str  # DDEX party id, e.g. "PADPIDA2014120301U"
    sender_name: str
    service_description: str  # no spaces or underscores (it is also a file-name element)
    recipient_party_id: str | None
    recipient_name: str | None
    file_number: int = 1
    number_of_files: int = 1
    represented_repertoire: tuple[str, ...] = ()
    message_version: str = DEFAULT_MESSAGE_VERSION


@dataclass(frozen=True, slots=True)
class DsrSummary:
    summary_record_id: str
    territory: str  # ISO 3166-1 alpha-2, or "Worldwide" (the API's "WORLD" is accepted)
    service_description: str
    usages: int
    currency: str  # ISO 4217, the CurrencyOfReporting
    net_revenue: Decimal
    rights_controller: str | None
    rights_controller_party_id: str | None  # "namespace::id", e.g. "DPID::PADPIDA..."
    allocated_usages: int
    allocated_revenue: Decimal
    rights_type: RightsType | None  # optional in SY02.02; None for "nothing reported"
    content_category: str = "Music"  # mandatory, free text agreed with the recipient
    commercial_model: str = "PayAsYouGoModel"
    use_type: str = "PermanentDownload"
    users: int | None = None
    allocated_net_revenue: Decimal | None = None
    distribution_channel: str | None = None
    distribution_channel_dpid: str | None = None
    currency_of_transaction: str | None = None
    exchange_rate: Decimal | None = None
    rights_type_percentage: Decimal | None = None


@dataclass(frozen=True, slots=True)
class DsrRecording:
    block_id: int  # 1, 2, ... in file order (DSR Part 1 6.4.2)
    resource_reference: str
    dsp_resource_id: str
    isrc: str | None  # hyphens and lower case are normalised away
    title: str
    display_artist: str
    duration_s: int | None = None  # written as ISO 8601, e.g. PT4M5S
    iswc: str | None = None  # "T-034.524.680-1" or "T0345246801"; written as the latter
    composers: tuple[str, ...] = ()
    publishers: tuple[str, ...] = ()
    sub_title: str | None = None


@dataclass(frozen=True, slots=True)
class DsrSale:
    summary_record_id: str
    sales_transaction_id: str
    usages: int
    returns: int
    price_consumer_paid_exc_sales_tax: Decimal | None  # mandatory for PayAsYouGoModel
    is_royalty_bearing: bool = True
    sales_upgrade: bool = False
    promotional_activity: str | None = None


@dataclass(frozen=True, slots=True)
class Rendered:
    """Several SU01 lines formatted together by their producer (PostgreSQL: a whole block)."""

    text: str
    lines: int


# A sale is a DsrSale (checked cell by cell here), an SU01 line its producer formatted from
# typed database values (``render.dsr_document.su01_line``: the statement's bulk) or a run
# of such lines (``Rendered``).
Block = tuple[DsrRecording, Iterable[DsrSale | str | Rendered]]

_UNSAFE_FILE_ELEMENT = re.compile(r"[\s_/\\]")


def _head(h: DsrHeader) -> str:
    if not 1 <= h.file_number <= h.number_of_files:
        raise ValueError(f"file {h.file_number} of {h.number_of_files} is impossible")
    if h.usage_start > h.usage_end:
        raise ValueError("usage_start is after usage_end")
    recipient = h.recipient_party_id
    return cell.line([
        "HEAD",
        cell.checked("version", h.message_version, "MessageVersion"),
        PROFILE,
        PROFILE_VERSION,
        cell.text(h.message_id, "MessageId"),
        cell.utc(h.created_at, "created_at").strftime("%Y-%m-%dT%H:%M:%SZ"),
        cell.integer(h.file_number, "FileNumber"),
        cell.integer(h.number_of_files, "NumberOfFiles"),
        h.usage_start.isoformat(),
        h.usage_end.isoformat(),
        cell.checked("dpid", h.sender_party_id, "SenderPartyId"),
        cell.text(h.sender_name, "SenderName"),
        cell.coded("service", h.service_description, "HEAD ServiceDescription"),
        cell.checked("dpid", recipient, "RecipientPartyId") if recipient else "",
        cell.text(h.recipient_name, "RecipientName", required=False),
        cell.many(h.represented_repertoire, "RepresentedRepertoire"),
    ])  # fmt: skip


def _summary(s: DsrSummary) -> str:
    if s.rights_type is not None and s.rights_type not in get_args(RightsType):
        raise ValueError(f"RightsType {s.rights_type!r} is not one of {get_args(RightsType)}")
    party, dpid, fx = (
        s.rights_controller_party_id,
        s.distribution_channel_dpid,
        s.currency_of_transaction,
    )
    return cell.line([
        "SY02.02",
        cell.text(s.summary_record_id, "SummaryRecordId"),
        cell.text(s.distribution_channel, "DistributionChannel", required=False),
        cell.checked("dpid", dpid, "DistributionChannelDPID") if dpid else "",
        cell.checked("commercial_model", s.commercial_model, "CommercialModel"),
        cell.checked("use_type", s.use_type, "UseType"),
        cell.checked("territory", cell.territory(s.territory), "Territory"),
        cell.coded("service", s.service_description, "SY02.02 ServiceDescription"),
        cell.integer(s.usages, "Usages"),
        cell.integer(s.users, "Users", required=False),
        cell.checked("currency", s.currency, "CurrencyOfReporting"),
        cell.dec(s.net_revenue, "NetRevenue"),
        cell.text(s.rights_controller, "RightsController", required=False),
        cell.coded("nsid", party, "RightsControllerPartyId") if party else "",
        cell.integer(s.allocated_usages, "AllocatedUsages"),
        cell.dec(s.allocated_revenue, "AllocatedRevenue"),
        cell.dec(s.allocated_net_revenue, "AllocatedNetRevenue", required=False),
        s.rights_type or "",
        cell.text(s.content_category, "ContentCategory"),
        cell.checked("currency", fx, "CurrencyOfTransaction") if fx else "",
        cell.dec(s.exchange_rate, "ExchangeRate", required=False),
        cell.dec(s.rights_type_percentage, "RightsTypePercentage", required=False),
    ])  # fmt: skip


def _resource(r: DsrRecording) -> str:
    block = cell.integer(r.block_id, "BlockId")
    reference = cell.text(r.resource_reference, "ResourceReference")
    described = _described(
        r.dsp_resource_id, r.isrc, r.title, r.sub_title, r.display_artist, r.duration_s,
        r.iswc, r.composers, r.publishers,
    )  # fmt: skip
    return f"AS02.02\t{block}\t{reference}\t{described}"


# A month's files describe the same popular recordings again and again (one block per
# statement that earned from them): their checked cells are written once per process.
# Nothing is cached for a value that fails a check (the exception propagates each time).
@lru_cache(maxsize=1 << 16)
def _described(
    dsp_resource_id: str,
    isrc_code: str | None,
    title: str,
    sub_title: str | None,
    display_artist: str,
    duration_s: int | None,
    iswc_code: str | None,
    composers: tuple[str, ...],
    publishers: tuple[str, ...],
) -> str:
    """The AS02.02 cells after ResourceReference, and the line's end."""
    isrc = (isrc_code or "").replace("-", "").upper()
    iswc = (iswc_code or "").replace("-", "").replace(".", "").upper()
    return cell.line([
        cell.text(dsp_resource_id, "DspResourceId"),
        cell.checked("isrc", isrc, "ISRC") if isrc else "",
        cell.text(title, "Title"),
        cell.text(sub_title, "SubTitle", required=False),
        cell.text(display_artist, "DisplayArtistName"),
        "",  # DisplayArtistPartyId
        cell.duration(duration_s),
        "SoundRecording",
        cell.checked("iswc", iswc, "ISWC") if iswc else "",
        cell.many(composers, "ComposerAuthor"),
        "", "", "",  # ComposerAuthorPartyId, Arranger, ArrangerPartyId
        cell.many(publishers, "MusicPublisher"),
        "", "", "", "", "",  # MusicPublisherPartyId .. IsMasterRecording: not known to us
    ])  # fmt: skip


def _sale(r: DsrRecording, s: DsrSale, models: dict[str, str]) -> str:
    model = models.get(s.summary_record_id)
    if model is None:
        raise ValueError(f"sale {s.sales_transaction_id!r}: no summary {s.summary_record_id!r}")
    priced = model == "PayAsYouGoModel"  # DSR Part 8: price mandatory for pay-as-you-go
    return cell.line([
        "SU01",
        cell.integer(r.block_id, "BlockId"),
        cell.text(s.summary_record_id, "SummaryRecordId"),
        cell.text(s.sales_transaction_id, "SalesTransactionId"),
        "",  # TransactedRelease: no release records are written
        cell.text(r.resource_reference, "TransactedResource"),
        cell.boolean(s.is_royalty_bearing),
        cell.boolean(s.sales_upgrade),
        cell.integer(s.usages, "Usages"),
        cell.integer(s.returns, "Returns"),
        cell.dec(
            s.price_consumer_paid_exc_sales_tax, "PriceConsumerPaidExcSalesTax", required=priced
        ),
        cell.text(s.promotional_activity, "PromotionalActivity", required=False),
    ])  # fmt: skip


def render_dsr(
    header: DsrHeader,
    summaries: Iterable[DsrSummary],
    blocks: Iterable[Block],
    *,
    column_headings: bool = True,
    lines_in_earlier_files: int = 0,
    blocks_in_earlier_files: int = 0,
) -> Iterator[str]:
    """Yield the DSR file line by line, each ending in ``\\n``, without holding the blocks.

    HEAD and the summaries are checked before this returns, so a bad header fails before the
    first byte is sent; a bad recording or sale raises ``ValueError`` when it is reached.
    For the last file of a multi-file report pass the earlier files' line and block totals
    so that FOOT's report-wide counts can be filled in.
    """
    if header.number_of_files == 1 and (lines_in_earlier_files or blocks_in_earlier_files):
        raise ValueError("a single-file report has no earlier files")
    models: dict[str, str] = {}
    opening = [_head(header)]
    if column_headings:
        opening += [cell.heading(t) for t in ("HEAD", "SY02.02", "AS02.02", "SU01", "FOOT")]
    for summary in summaries:
        if summary.summary_record_id in models:
            raise ValueError(f"duplicate SummaryRecordId {summary.summary_record_id!r}")
        opening.append(_summary(summary))
        models[summary.summary_record_id] = summary.commercial_model
    last = header.file_number == header.number_of_files
    totals = (lines_in_earlier_files, blocks_in_earlier_files) if last else None
    return _stream(opening, len(models), models, blocks, totals)


def _stream(
    opening: list[str],
    summary_count: int,
    models: dict[str, str],
    blocks: Iterable[Block],
    earlier: tuple[int, int] | None,
) -> Iterator[str]:
    yield from opening
    lines, block_count = len(opening), 0
    for recording, sales in blocks:
        resource_line = _resource(recording)  # written only once a first sale exists
        sale_count = 0
        for sale in sales:
            if isinstance(sale, Rendered):
                line, count = sale.text, sale.lines
            else:
                line = sale if isinstance(sale, str) else _sale(recording, sale, models)
                count = 1
            if not sale_count:
                yield resource_line
            sale_count += count
            yield line
        if not sale_count:
            raise ValueError(f"block {recording.block_id!r} has no sales; a block needs an SU01")
        lines += 1 + sale_count
        block_count += 1
    lines += 1  # the FOOT line counts itself
    report = (
        ["", ""] if earlier is None else [str(lines + earlier[0]), str(block_count + earlier[1])]
    )
    yield cell.line(
        ["FOOT", str(lines), report[0], str(summary_count), str(block_count), report[1]]
    )


def _period(start: date, end: date) -> str:
    if start > end:
        raise ValueError("period_start is after period_end")
    month_end = date(start.year, start.month, calendar.monthrange(start.year, start.month)[1])
    if start == end:
        return start.isoformat()
    if start.day == 1 and end == month_end:
        return f"{start:%Y-%m}"
    return f"{start.isoformat()}--{end.isoformat()}"


def dsr_file_name(
    *,
    recipient: str | None,
    sender: str,
    service: str,
    period_start: date,
    period_end: date,
    territory: str,
    created_at: datetime,
    x: int = 1,
    y: int = 1,
) -> str:
    """``DSR_<Recipient>_<Sender>_<Service>_<Period>_<Territory>_<x>of<y>_<yyyymmddThhmmss>.tsv``.

    Per DSR Part 1 "File naming convention": elements never contain ``_`` or spaces and an
    omitted recipient (several recipients) leaves two adjacent underscores. Period is
    ``yyyy-mm`` for a calendar month (our statement periods), ``yyyy-mm-dd`` for one day and
    ``yyyy-mm-dd--yyyy-mm-dd`` otherwise. Territory is the single ISO code when there is one;
    otherwise the standard leaves the value to bilateral agreement and we write ``Worldwide``
    (the DDEX territory code for the whole world; the API's ``WORLD`` maps to it) or
    ``multi`` for several territories, the two values the ddexnet/dsrf reference validator
    accepts. The time stamp is basic ISO 8601 without a zone designator, written in UTC.
    """
    if not 1 <= x <= y:
        raise ValueError(f"file {x} of {y} is impossible")
    named = {"recipient": recipient or "", "sender": sender, "service": service}
    for what, element in named.items():
        if _UNSAFE_FILE_ELEMENT.search(element) or cell.CONTROL.search(element):
            raise ValueError(f"{what} {element!r} contains a space, underscore or slash")
    if not sender or not service:
        raise ValueError("sender and service are mandatory file-name elements")
    place = cell.territory(territory)
    if place != "multi":
        cell.checked("territory", place, "territory")
    stamp = cell.utc(created_at, "created_at").strftime("%Y%m%dT%H%M%S")
    period = _period(period_start, period_end)
    return f"DSR_{recipient or ''}_{sender}_{service}_{period}_{place}_{x}of{y}_{stamp}.tsv"
