"""The conformance checker's own rule table for DDEX DSR BasicAudioProfile 1.2 flat files.

Written from the standard, not from our writer (nothing here imports ``service``). Facts and
where each came from (files read through the search tool's look-up verbs; no file copied):

- Records, cell order, cell types, mandatory flags (``minOccurs``), multi-value cells
  (``maxOccurs="unbounded"``), patterns and which AVS list a cell uses: ddexnet/dsrf
  ``schemas/BasicAudioProfile/1.2/BasicAudioProfile.xsd`` at commit
  aeabd12a8653024839e270008a308d799079db68. Record sequence from the same file: element
  ``BasicAudioProfile`` (multi-record blocks: HEAD, one or more of SY01.01/SY02.02/SY04.01/
  SY05.02, zero or more blocks, FOOT) and ``BasicAudioProfileSRB`` (single-record blocks:
  HEAD, summaries incl. SY06.02, SR01s or SR02s, SRFO); a block is ``RE01? (AS01.01 MW01.01+
  | AS02.02)+ RE02* (SU01 | SU02)+`` (types ``BasicAudioProfileBlock`` and
  ``ResourceIdentificationGroupingForBasicAudioProfile``). Conditional rules in the cells'
  ``ddex:Definition`` texts: RecipientPartyId/RecipientName mandatory for one recipient and
  absent for several; ServiceDescription without spaces or underscores; exactly one of
  TransactedRelease/TransactedResource; price mandatory for PayAsYouGoModel; at most one
  PartyId per name; RightsTypePercentage only with a RightsType; FileNumber <= NumberOfFiles.
- Code lists: ddexnet/dsrf ``schemas/avs/current/avs.xsd`` (the XSD imports it) at commit
  ef8d91dd1e9a808da11f2629803ae9f998d5fece: ProfileId, CommercialModelType, UseType,
  RightsCoverage, ResourceType, ReleaseType (its ReleaseType_ERN4 member; the deprecated
  member list was not read), CurrencyCode (ISO 4217 plus the DeprecatedCurrencyCode list),
  CurrentTerritoryCode (ISO 3166-1 alpha-2 and selected ISO 3166-2 codes, CISAC TIS codes,
  ``Worldwide``). ISO lists come from pycountry, not re-typed; TIS codes are checked as
  1-4 digits only (the full TIS enumeration was not transcribed).
- BlockId is ``xs:string`` in the XSD, but DSR Part 1 clause 6.4.2 (dsr1.ddex.net, "BlockIDs")
  says the first Block has BlockId 1, the next 2, and so on; DDEX's reference parser
  (ddexnet/dsrf ``parsers/dsrf_file_parser.py`` at 1dc231ef911e9ee4fbf2fae77ceaef08755f3f7e,
  ``get_block_number``) reads it with ``int()`` and drops the row otherwise. So: integer.
- MessageVersion's XSD pattern is the bare ``dsrf/`` (anchored, it would allow nothing
  else); its definition asks for ``dsrf/xxx/yyy/zzz`` (Parts 1, 2 and 8), which is checked.
- Escaping, DSR Part 1 clause 6.6.4 (dsr1.ddex.net, "Communicating Delimiters"): TAB in a
  value is ``\\`` + TAB, ``|`` is two backslashes + ``|``, a backslash is three backslashes;
  an unescaped ``|`` in a single-value cell and any other escape are errors. Secondary
  delimiter ``|`` and records one per line: Part 1 clause 7.3.
- File structure: Part 1 clause 6.2 (one HEAD, one or more summaries, blocks, one FOOT) and
  6.3 (multi-file: every file repeats HEAD and the same summaries; blocks never split
  between files). FOOT counts: the XSD's and DSR Part 8 clause 5.1.2's FOOT definitions
  (lines include HEAD, FOOT, empty and commented-out records; "InReport" cells mandatory in
  the last file and equal to the "InFile" ones for a single file).
- File name, DSR Part 1 clause 8.1 (dsr1.ddex.net, "File Naming Convention"):
  ``DSR_MessageRecipient_MessageSender_ServiceDescription_MessageNotificationPeriod_
  TerritoryOfUseOrSale_xofy_MessageCreatedDateTime.ext`` -- recipient first. No element
  contains ``_`` or a space; an omitted element leaves two adjacent underscores (recipient:
  several recipients; xofy: single file); period is yyyy, yyyy-mm, yyyy-mm-dd, yyyy-Qq,
  yyyy-Www or yyyy-mm-dd--yyyy-mm-dd; the time stamp is basic ISO 8601 without a zone
  (yyyymmddThhmmss); ext is tsv (tsv.gz when compressed). Recipient, sender and service
  must be "the same as the information conveyed in the file Header". Which HEAD cells:
  ddexnet/dsrf ``constants.py`` at 174c085faa9ae7f243c7fe30fe93431058b00e3b
  (MESSAGE_RECIPIENT_MATCH = RecipientPartyId or RecipientName, MESSAGE_SENDER_MATCH =
  SenderPartyId or SenderName, and FileNumber = x, NumberOfFiles = y, ServiceDescription).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from tests.dsr_conformance.codes import CODE_LISTS as CODE_LISTS

Kind = Literal[
    "string", "integer", "decimal", "boolean", "duration", "datetime", "isodate", "block_id"
]
Role = Literal["head", "summary", "block", "foot", "single"]


@dataclass(frozen=True, slots=True)
class Cell:
    name: str
    kind: Kind = "string"
    mandatory: bool = False
    repeated: bool = False  # maxOccurs="unbounded": values separated by "|"
    pattern: str | None = None  # XSD pattern: must match the whole value
    codes: str | None = None  # key of CODE_LISTS


@dataclass(frozen=True, slots=True)
class Record:
    record_type: str
    role: Role
    cells: tuple[Cell, ...]
    srb: bool = False  # only in the single-record-block variant


def m(
    name: str,
    kind: Kind = "string",
    *,
    repeated: bool = False,
    pattern: str | None = None,
    codes: str | None = None,
) -> Cell:
    """A mandatory cell (no ``minOccurs="0"`` in the XSD)."""
    return Cell(name, kind, True, repeated, pattern, codes)


def o(
    name: str,
    kind: Kind = "string",
    *,
    repeated: bool = False,
    pattern: str | None = None,
    codes: str | None = None,
) -> Cell:
    """An optional or conditional cell (``minOccurs="0"``)."""
    return Cell(name, kind, False, repeated, pattern, codes)


DPID = "PADPIDA[a-zA-Z0-9]+"
NAMESPACED = ".*::.*"
ISRC = "[a-zA-Z]{2}[a-zA-Z0-9]{3}[0-9]{7}"
ISWC = "T[0-9]{10}"
ICPN = "[0-9]{12,14}"
NO_SPACE_OR_UNDERSCORE = "[^\\s_]+"
MESSAGE_VERSION = "dsrf/[^/\\s]+/[^/\\s]+/[^/\\s]+"


# Cells shared by several records, in XSD order.
SUMMARY_START = (
    m("SummaryRecordId"),
    o("DistributionChannel"),
    o("DistributionChannelDPID", pattern=DPID),
    m("CommercialModel", codes="CommercialModelType"),
    m("UseType", codes="UseType"),
    m("Territory", codes="CurrentTerritoryCode"),
)
WORK_PARTIES = tuple(
    cell
    for role in ("ComposerAuthor", "Arranger", "MusicPublisher", "WorkContributor")
    for cell in (o(role, repeated=True), o(f"{role}PartyId", repeated=True, pattern=NAMESPACED))
)
RELEASE_CELLS = (
    o("DspReleaseId"),
    o("ProprietaryReleaseId", repeated=True, pattern=NAMESPACED),
    o("ReleaseCatalogNumber"),
    o("ICPN", pattern=ICPN),
    m("ReleaseDisplayArtistName"),
    o("ReleaseDisplayArtistPartyId", pattern=NAMESPACED),
    m("ReleaseTitle"),
    o("ReleaseSubTitle"),
    o("ReleaseType", codes="ReleaseType"),
    o("ReleaseLabel"),
    o("PLine"),
    o("ReleaseDataProvider"),
)
SR_RESOURCE = (
    m("SummaryRecordId"),
    m("DspResourceId"),
    o("ISRC", pattern=ISRC),
    m("ResourceTitle"),
    o("ResourceSubTitle"),
    m("ResourceDisplayArtistName"),
    o("ResourceDisplayArtistPartyId", pattern=NAMESPACED),
    o("Duration", "duration"),
    m("ResourceType", codes="ResourceType"),
    o("ProprietaryWorkId", pattern=NAMESPACED),
    o("ISWC", pattern=ISWC),
    *WORK_PARTIES,
    *RELEASE_CELLS,
)
HEAD_START = (
    m("MessageVersion", pattern=MESSAGE_VERSION),
    m("Profile", codes="ProfileId"),
    m("ProfileVersion"),
    m("MessageId"),
    m("MessageCreatedDateTime", "datetime"),
)
HEAD_END = (
    m("UsageStartDate", "isodate"),
    m("UsageEndDate", "isodate"),
    m("SenderPartyId", pattern=DPID),
    m("SenderName"),
    o("ServiceDescription", pattern=NO_SPACE_OR_UNDERSCORE),
    o("RecipientPartyId", pattern=DPID),
    o("RecipientName"),
    o("RepresentedRepertoire", repeated=True),
)


def _record(record_type: str, role: Role, *cells: Cell, srb: bool = False) -> Record:
    return Record(record_type, role, (m("RecordType", pattern=record_type), *cells), srb)


RECORDS: dict[str, Record] = {
    r.record_type: r
    for r in (
        _record(
            "HEAD",
            "head",
            *HEAD_START,
            m("FileNumber", "integer"),
            m("NumberOfFiles", "integer"),
            *HEAD_END,
        ),
        _record(
            "SY01.01",
            "summary",
            *SUMMARY_START,
            o("ServiceDescription", pattern=NO_SPACE_OR_UNDERSCORE),
            m("Usages", "integer"),
            o("Subscribers", "decimal"),
            m("CurrencyOfReporting", codes="CurrencyCode"),
            m("NetRevenue", "decimal"),
            o("IndirectNetRevenue", "decimal"),
            o("CurrencyOfTransaction", codes="CurrencyCode"),
            o("ExchangeRate", "decimal"),
        ),
        _record(
            "SY02.02",
            "summary",
            *SUMMARY_START,
            m("ServiceDescription", pattern=NO_SPACE_OR_UNDERSCORE),
            m("Usages", "integer"),
            o("Users", "integer"),
            m("CurrencyOfReporting", codes="CurrencyCode"),
            m("NetRevenue", "decimal"),
            o("RightsController"),
            o("RightsControllerPartyId", pattern=NAMESPACED),
            o("AllocatedUsages", "decimal", repeated=True),
            o("AllocatedRevenue", "decimal", repeated=True),
            o("AllocatedNetRevenue", "decimal"),
            o("RightsType", codes="RightsCoverage"),
            m("ContentCategory"),
            o("CurrencyOfTransaction", codes="CurrencyCode"),
            o("ExchangeRate", "decimal"),
            o("RightsTypePercentage", "decimal"),
        ),
        _record(
            "SY04.01",
            "summary",
            *SUMMARY_START,
            m("ServiceDescription", pattern=NO_SPACE_OR_UNDERSCORE),
            m("SubscriberType"),
            m("Subscribers", "decimal"),
            o("SubPeriodStartDate", "isodate"),
            o("SubPeriodEndDate", "isodate"),
            o("UsagesInSubPeriod", "integer"),
            o("UsagesInReportingPeriod", "integer"),
            m("CurrencyOfReporting", codes="CurrencyCode"),
            o("CurrencyOfTransaction", codes="CurrencyCode"),
            o("ExchangeRate", "decimal"),
            m("ConsumerPaidUnitPrice", "decimal"),
            m("NetRevenue", "decimal"),
            m("MusicUsagePercentage", "decimal"),
        ),
        _record(
            "SY05.02",
            "summary",
            *SUMMARY_START,
            o("ServiceDescription", pattern=NO_SPACE_OR_UNDERSCORE),
            o("RightsController"),
            o("RightsControllerPartyId", pattern=NAMESPACED),
            m("RightsType", codes="RightsCoverage"),
            o("TotalUsages", "integer"),
            o("AllocatedUsages", "decimal", repeated=True),
            o("MusicUsageRatio", "decimal"),
            o("AllocatedNetRevenue", "decimal", repeated=True),
            o("AllocatedRevenue", "decimal"),
            o("RightsControllerMarketShare", "decimal"),
            o("CurrencyOfReporting", codes="CurrencyCode"),
            o("CurrencyOfTransaction", codes="CurrencyCode"),
            o("ExchangeRate", "decimal"),
            o("SubscriberType"),
            o("SubPeriodStartDate", "isodate"),
            o("SubPeriodEndDate", "isodate"),
            m("ContentCategory"),
            o("RightsTypePercentage", "decimal"),
        ),
        _record(
            "SY06.02",
            "summary",
            *SUMMARY_START,
            m("ServiceDescription", pattern=NO_SPACE_OR_UNDERSCORE),
            m("Usages", "integer"),
            o("Subscribers", "decimal"),
            m("CurrencyOfReporting", codes="CurrencyCode"),
            o("NumberOfReleases", "integer"),
            o("NetRevenue", "decimal"),
            o("IndirectNetRevenue", "decimal"),
            o("PreviewAvailable", "boolean"),
            o("CurrencyOfTransaction", codes="CurrencyCode"),
            o("ExchangeRate", "decimal"),
            o("ViewingHours", "decimal"),
            srb=True,
        ),
        _record(
            "RE01",
            "block",
            m("BlockId", "block_id"),
            m("ReleaseReference"),
            m("DspReleaseId"),
            o("ProprietaryReleaseId", repeated=True, pattern=NAMESPACED),
            o("CatalogNumber"),
            o("ICPN", pattern=ICPN),
            m("DisplayArtistName"),
            o("DisplayArtistPartyId", pattern=NAMESPACED),
            m("Title"),
            o("SubTitle"),
            o("ReleaseType", codes="ReleaseType"),
            o("Label"),
            o("PLine"),
            o("DataProvider"),
        ),
        _record(
            "AS01.01",
            "block",
            m("BlockId", "block_id"),
            m("ResourceReference"),
            m("DspResourceId"),
            o("ISRC", repeated=True, pattern=ISRC),
            m("Title"),
            o("SubTitle"),
            m("DisplayArtistName"),
            o("DisplayArtistPartyId", pattern=NAMESPACED),
            o("Duration", "duration"),
            m("ResourceType", codes="ResourceType"),
            o("IsMasterRecording", "boolean"),
        ),
        _record(
            "MW01.01",
            "block",
            m("BlockId", "block_id"),
            m("DspWorkId"),
            o("ISWC", pattern=ISWC),
            m("Title"),
            o("SubTitle"),
            *WORK_PARTIES,
            o("DataProvider"),
            o("ProprietaryWorkId", pattern=NAMESPACED),
        ),
        _record(
            "AS02.02",
            "block",
            m("BlockId", "block_id"),
            m("ResourceReference"),
            m("DspResourceId"),
            o("ISRC", repeated=True, pattern=ISRC),
            m("Title"),
            o("SubTitle"),
            m("DisplayArtistName"),
            o("DisplayArtistPartyId", pattern=NAMESPACED),
            o("Duration", "duration"),
            m("ResourceType", codes="ResourceType"),
            o("ISWC", pattern=ISWC),
            *WORK_PARTIES,
            o("ProprietaryWorkId", pattern=NAMESPACED),
            o("IsMasterRecording", "boolean"),
        ),
        _record(
            "RE02",
            "block",
            m("BlockId", "block_id"),
            m("ReleaseReference"),
            m("DspSubReleaseId"),
            o("ProprietarySubReleaseId", repeated=True, pattern=NAMESPACED),
            m("UsedResources", repeated=True),
        ),
        _record(
            "SU01",
            "block",
            m("BlockId", "block_id"),
            m("SummaryRecordId"),
            m("SalesTransactionId"),
            o("TransactedRelease"),
            o("TransactedResource"),
            m("IsRoyaltyBearing", "boolean"),
            m("SalesUpgrade", "boolean"),
            m("Usages", "integer"),
            m("Returns", "integer"),
            o("PriceConsumerPaidExcSalesTax", "decimal"),
            o("PromotionalActivity"),
        ),
        _record(
            "SU02",
            "block",
            m("BlockId", "block_id"),
            m("SummaryRecordId"),
            m("SalesTransactionId"),
            o("TransactedRelease"),
            o("TransactedResource"),
            o("IsRoyaltyBearing", "boolean"),
            m("NumberOfStreams", "integer"),
            o("PriceConsumerPaidExcSalesTax", "decimal"),
            o("PromotionalActivity"),
        ),
        _record(
            "FOOT",
            "foot",
            m("NumberOfLinesInFile", "integer"),
            o("NumberOfLinesInReport", "integer"),
            m("NumberOfSummaryRecords", "integer"),
            m("NumberOfBlocksInFile", "integer"),
            o("NumberOfBlocksInReport", "integer"),
        ),
        _record(
            "SR01",
            "single",
            *SR_RESOURCE,
            m("NumberOfTransactedResources", "integer"),
            m("SalesTransactionId"),
            m("IsRoyaltyBearing", "boolean"),
            m("SalesUpgrade", "boolean"),
            m("Downloads", "integer"),
            m("Returns", "integer"),
            o("PriceConsumerPaidExcSalesTax", "decimal"),
            o("CalculatedPriceConsumerPaidForResourceExcSalesTax", "decimal"),
            o("PromotionalActivity"),
            srb=True,
        ),
        _record(
            "SR02",
            "single",
            *SR_RESOURCE,
            m("SalesTransactionId"),
            m("IsRoyaltyBearing", "boolean"),
            m("NumberOfStreams", "decimal"),
            o("PromotionalActivity"),
            srb=True,
        ),
        _record(
            "SRFO",
            "foot",
            m("NumberOfLinesInReport", "integer"),
            m("NumberOfSummaryRecords", "integer"),
            srb=True,
        ),
    )
}
# The single-record-block HEAD (type RecordType-SRHE) reuses the record type HEAD but pins
# FileNumber and NumberOfFiles to "1": such reports are never split.
SRB_HEAD = _record(
    "HEAD",
    "head",
    *HEAD_START,
    m("FileNumber", pattern="1"),
    m("NumberOfFiles", pattern="1"),
    *HEAD_END,
)
MRB_SUMMARIES = frozenset(("SY01.01", "SY02.02", "SY04.01", "SY05.02"))
SRB_SUMMARIES = MRB_SUMMARIES | {"SY06.02"}
# Block grammar over one letter per record (BasicAudioProfileBlock in the XSD).
BLOCK_LETTER = {"RE01": "R", "AS01.01": "A", "MW01.01": "W", "AS02.02": "S", "RE02": "E"}
BLOCK_LETTER |= {"SU01": "U", "SU02": "U"}
BLOCK_GRAMMAR = "R?(?:AW+|S)+E*U+"
BLOCK_GRAMMAR_TEXT = "RE01? (AS01.01 MW01.01+ | AS02.02)+ RE02* (SU01 | SU02)+"
# Pairs whose PartyId list may not be longer than the name list ("a maximum of one ... for
# each ..." in the XSD definitions).
NAME_ID_PAIRS = tuple(
    (role, f"{role}PartyId")
    for role in ("ComposerAuthor", "Arranger", "MusicPublisher", "WorkContributor")
)
PAY_AS_YOU_GO = "PayAsYouGoModel"
PROFILE = "BasicAudioProfile"
PROFILE_VERSION = "1.2"
