"""The record types of a DSR BasicAudioProfile 1.2 file (multi-record-block variant), and
what this ledger does with each.

Cell order is the XSD's: ddexnet/dsrf ``schemas/BasicAudioProfile/1.2/BasicAudioProfile.xsd``
(elements ``BasicAudioProfile`` and ``BasicAudioProfileBlock``). Each layout lists the cells
after RecordType. Record types of the profile that carry no per-unit sale (streams,
subscription and allocation summaries) and those of the single-record-block variant are
refused by name, as are types of other profiles; see docs/dsr-intake.md for the mapping.
"""

from dataclasses import dataclass
from typing import Literal

Role = Literal["head", "summary", "resource", "release", "sub_release", "work", "usage", "foot"]

PROFILE = "BasicAudioProfile"
PROFILE_VERSIONS = frozenset({"1.2"})


@dataclass(frozen=True, slots=True)
class Layout:
    record_type: str
    role: Role
    cells: tuple[str, ...]  # after RecordType, in the XSD's order

    def index(self, name: str) -> int:
        """The position of ``name`` in a split record (RecordType is position 0)."""
        return self.cells.index(name) + 1


_WORK_PARTIES = (
    "ComposerAuthor ComposerAuthorPartyId Arranger ArrangerPartyId MusicPublisher "
    "MusicPublisherPartyId WorkContributor WorkContributorPartyId"
)
_SUMMARY_START = (
    "SummaryRecordId DistributionChannel DistributionChannelDPID CommercialModel UseType Territory"
)


def _layout(record_type: str, role: Role, cells: str) -> Layout:
    return Layout(record_type, role, tuple(cells.split()))


LAYOUTS: dict[str, Layout] = {
    layout.record_type: layout
    for layout in (
        _layout(
            "HEAD",
            "head",
            "MessageVersion Profile ProfileVersion MessageId MessageCreatedDateTime FileNumber "
            "NumberOfFiles UsageStartDate UsageEndDate SenderPartyId SenderName "
            "ServiceDescription RecipientPartyId RecipientName RepresentedRepertoire",
        ),
        _layout(
            "SY01.01",
            "summary",
            f"{_SUMMARY_START} ServiceDescription Usages Subscribers CurrencyOfReporting "
            "NetRevenue IndirectNetRevenue CurrencyOfTransaction ExchangeRate",
        ),
        _layout(
            "SY02.02",
            "summary",
            f"{_SUMMARY_START} ServiceDescription Usages Users CurrencyOfReporting NetRevenue "
            "RightsController RightsControllerPartyId AllocatedUsages AllocatedRevenue "
            "AllocatedNetRevenue RightsType ContentCategory CurrencyOfTransaction ExchangeRate "
            "RightsTypePercentage",
        ),
        _layout(
            "RE01",
            "release",
            "BlockId ReleaseReference DspReleaseId ProprietaryReleaseId CatalogNumber ICPN "
            "DisplayArtistName DisplayArtistPartyId Title SubTitle ReleaseType Label PLine "
            "DataProvider",
        ),
        _layout(
            "AS01.01",
            "resource",
            "BlockId ResourceReference DspResourceId ISRC Title SubTitle DisplayArtistName "
            "DisplayArtistPartyId Duration ResourceType IsMasterRecording",
        ),
        _layout(
            "MW01.01",
            "work",
            f"BlockId DspWorkId ISWC Title SubTitle {_WORK_PARTIES} DataProvider ProprietaryWorkId",
        ),
        _layout(
            "AS02.02",
            "resource",
            "BlockId ResourceReference DspResourceId ISRC Title SubTitle DisplayArtistName "
            f"DisplayArtistPartyId Duration ResourceType ISWC {_WORK_PARTIES} "
            "ProprietaryWorkId IsMasterRecording",
        ),
        _layout(
            "RE02",
            "sub_release",
            "BlockId ReleaseReference DspSubReleaseId ProprietarySubReleaseId UsedResources",
        ),
        _layout(
            "SU01",
            "usage",
            "BlockId SummaryRecordId SalesTransactionId TransactedRelease TransactedResource "
            "IsRoyaltyBearing SalesUpgrade Usages Returns PriceConsumerPaidExcSalesTax "
            "PromotionalActivity",
        ),
        _layout(
            "FOOT",
            "foot",
            "NumberOfLinesInFile NumberOfLinesInReport NumberOfSummaryRecords "
            "NumberOfBlocksInFile NumberOfBlocksInReport",
        ),
    )
}

# Legal in BasicAudioProfile 1.2 but not sales at a unit price: refused by name, with why.
REFUSED: dict[str, str] = {
    "SU02": "SU02 reports streams (NumberOfStreams) without a per-unit sale; the ledger "
    "books sales and returns (SU01) only",
    "SY04.01": "SY04.01 summarises subscriptions (revenue shared pro rata, not units at a "
    "price); the ledger books SU01 sales at the consumer's price",
    "SY05.02": "SY05.02 summarises rights-controller allocations, not units at a price; "
    "the ledger books SU01 sales at the consumer's price",
    "SY06.02": "SY06.02 belongs to the single-record-block variant, which this ledger "
    "does not read; send the multi-record-block variant (SY02.02, AS02.02, SU01)",
    "SR01": "SR01 belongs to the single-record-block variant, which this ledger does not "
    "read; send the multi-record-block variant (SY02.02, AS02.02, SU01)",
    "SR02": "SR02 belongs to the single-record-block variant, which this ledger does not "
    "read; send the multi-record-block variant (SY02.02, AS02.02, SU01)",
    "SRFO": "SRFO belongs to the single-record-block variant, which this ledger does not "
    "read; send the multi-record-block variant ending in FOOT",
    "SY02.01": "SY02.01 belongs to BasicAudioProfile 1.1; version 1.2 uses SY02.02",
    "AS02.01": "AS02.01 belongs to BasicAudioProfile 1.1; version 1.2 uses AS02.02",
}


def unknown(record_type: str) -> str:
    """Why a record type is refused: by name when it is known, else as another profile's."""
    if record_type in REFUSED:
        return REFUSED[record_type]
    return (
        f"{record_type!r} is not a record type of BasicAudioProfile 1.2 (another profile's "
        "record, e.g. of the audio-visual or UGC profiles, or not DSR at all)"
    )
