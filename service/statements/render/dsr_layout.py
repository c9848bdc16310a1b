"""The DSR BasicAudioProfile 1.2 record layouts and the writer's own cell checks.

Cell order and patterns as in ddexnet/dsrf ``schemas/BasicAudioProfile/1.2``, code lists
from ``schemas/avs/current``; conformance is checked independently in ``tests/dsr_conformance``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

import pycountry

PROFILE = "BasicAudioProfile"
PROFILE_VERSION = "1.2"
WORLDWIDE = "Worldwide"


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Allowed values copied from the AVS of the DSR standard (schemas/avs/current/avs.xsd).
COMMERCIAL_MODELS = _words("""
    AdvertisementSupportedModel AsPerContract DeviceFeeModel FreeOfChargeModel PayAsYouGoModel
    PerformanceRoyaltiesModel RightsClaimModel SubscriptionModel Unknown UserDefined""")
USE_TYPES = _words("""
    AsPerContract Broadcast Cable ConditionalDownload ContentInfluencedStream Display Download
    DubForAdvertisement DubForLivePerformance DubForMovies DubForMusicOnHold
    DubForPublicPerformance DubForRadio DubForTV ExtractForInternet KioskDownload Narrowcast
    NonInteractiveStream OnDemandStream PerformAsMusicOnHold PerformInLivePerformance
    PerformInPublic PermanentDownload Playback PlayInPublic Podcast Print PrivateCopy
    PurchaseAsPhysicalProduct Rent Simulcast Stream TetheredDownload TimeInfluencedStream
    Unknown UseAsAlertTone UseAsDevice UseAsKaraoke UseAsRingbackTone UseAsRingbackTune
    UseAsRingtone UseAsRingtune UseAsScreensaver UseAsVoiceMail UseAsWallpaper
    UseForIdentification UseInMobilePhoneMessaging UseInPhoneListening UserDefined
    UserMakeAvailableLabelProvided UserMakeAvailableUserProvided Webcast""")
RIGHTS_TYPES = _words("""
    MakeAvailableRight MechanicalRight PerformingRight PrintRight ReproductionRight
    SynchronizationRight UserDefined""")
RESOURCE_TYPES = _words(
    "Image MIDI SheetMusic Software SoundRecording Text UserDefinedResource Video"
)
_OTHER_BAP12_TYPES = _words("RE01 RE02 AS01.01 MW01.01 SU02 SY01.01 SY04.01 SY05.02")


class DsrSyntaxError(ValueError):
    """A record that cannot be read as cells: bad escape, unknown type or wrong cell count."""

    def __init__(self, message: str, record_type: str | None = None) -> None:
        super().__init__(message)
        self.record_type = record_type


# The three escape codes are prefix-free, so a left-to-right regex scan decodes them exactly;
# a backslash matching none of them falls through to "." and is reported.
_TOKEN = re.compile(r"\\\t|\\\\\\|\\\\\||[^\\\t|]+|.", re.DOTALL)


def split_record(line: str) -> list[list[str]]:
    """Split one record (without its line terminator) into cells of unescaped values."""
    if "\\" not in line:  # fast path: nothing escaped, plain splits are exact
        return [cell.split("|") for cell in line.split("\t")]
    cells: list[list[str]] = []
    values: list[str] = []
    buf: list[str] = []
    for match in _TOKEN.finditer(line):
        piece = match.group()
        if piece in ("\t", "|"):
            values.append("".join(buf))
            buf = []
            if piece == "\t":
                cells.append(values)
                values = []
        elif piece == "\\":
            raise DsrSyntaxError(f"invalid escape sequence at column {match.start() + 1}")
        else:
            buf.append(piece[-1] if piece[0] == "\\" else piece)
    values.append("".join(buf))
    cells.append(values)
    return cells


# --- cell checks: each returns an error message, or None when the value is fine -------------

Check = Callable[[str], "str | None"]


def _regex(pattern: str, what: str) -> Check:
    compiled = re.compile(pattern)
    return lambda v: None if compiled.fullmatch(v) else f"{v!r} is not {what}"


def _one_of(allowed: frozenset[str], what: str) -> Check:
    return lambda v: None if v in allowed else f"{v!r} is not an allowed {what}"


def _fixed(expected: str) -> Check:
    return lambda v: None if v == expected else f"expected {expected!r}, got {v!r}"


_DECIMAL_RE = re.compile(r"-?[0-9]+(?:\.[0-9]*)?")


def _decimal(v: str) -> str | None:
    if not _DECIMAL_RE.fullmatch(v):
        return f"{v!r} is not a plain decimal (no exponent, sign '+', or thousands separator)"
    if v != "0" and not v.strip("-0."):
        return f"zero must be written '0', not {v!r}"
    return None


def _parsed(pattern: str, parse: Callable[[str], object], what: str) -> Check:
    compiled = re.compile(pattern)

    def check(v: str) -> str | None:
        if not compiled.fullmatch(v):
            return f"{v!r} is not {what}"
        try:
            parse(v)
        except ValueError:
            return f"{v!r} is not a real date or time"
        return None

    return check


def _iswc(v: str) -> str | None:
    if not re.fullmatch(r"T[0-9]{10}", v):
        return f"{v!r} is not an ISWC as DSR writes it (T + 10 digits, no punctuation)"
    digits = [int(d) for d in v[1:]]
    total = 1 + sum(i * d for i, d in enumerate(digits[:9], start=1))
    if (10 - total % 10) % 10 != digits[9]:
        return f"{v!r} has a wrong ISWC check digit"
    return None


def _coded(pattern: str, known: Callable[[str], object], what: str) -> Check:
    compiled = re.compile(pattern)
    return lambda v: None if compiled.fullmatch(v) and known(v) is not None else f"{v!r} {what}"


@dataclass(frozen=True, slots=True)
class CellSpec:
    name: str
    check: Check
    mandatory: bool = True
    repeatable: bool = False


_CHECKS: dict[str, Check] = {
    "text": lambda v: None,  # free text: being present is all that is asked
    "int": _regex(r"-?[0-9]+", "an integer"),
    "count": _regex(r"[0-9]+", "a non-negative integer"),
    "dec": _decimal,
    "bool": _one_of(frozenset({"true", "false", "1", "0"}), "boolean"),
    # DSR dates may be YYYY, YYYY-MM or YYYY-MM-DD; padding lets date.fromisoformat judge them.
    "date": _parsed(
        r"\d{4}(?:-\d{2}){0,2}",
        lambda v: date.fromisoformat((v + "-01-01")[:10]),
        "an ISO 8601 date YYYY[-MM[-DD]]",
    ),
    "datetime": _parsed(
        r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})",
        datetime.fromisoformat,
        "YYYY-MM-DDThh:mm:ssTZD",
    ),
    "duration": _regex(r"PT(?=\d)(?:\d+H)?(?:\d+M)?(?:\d+(?:\.\d+)?S)?", "ISO 8601 PT#H#M#S"),
    "dpid": _regex(r"PADPIDA[A-Za-z0-9]+", "a DDEX party id (PADPIDA...)"),
    "nsid": _regex(r".+::.+", "a namespaced id (namespace::id)"),
    "isrc": _regex(r"[A-Z]{2}[A-Z0-9]{3}[0-9]{7}", "an ISRC (12 characters, upper case)"),
    "iswc": _iswc,
    "currency": _coded(
        r"[A-Z]{3}",
        lambda v: pycountry.currencies.get(alpha_3=v),
        "is not an ISO 4217 currency code",
    ),
    "territory": _coded(
        r"[A-Z]{2}|Worldwide",
        lambda v: v == WORLDWIDE or pycountry.countries.get(alpha_2=v),
        "is not an ISO 3166-1 alpha-2 code or 'Worldwide'",
    ),
    "service": _regex(r"[^\s_]+", "free of spaces and underscores"),
    "version": _regex(r"dsrf/(?:30|\d+(?:\.\d+)*/\d+(?:\.\d+)*/\d+(?:\.\d+)*)", "dsrf/x/y/z"),
    "profile": _fixed(PROFILE),
    "profile_version": _fixed(PROFILE_VERSION),
    "commercial_model": _one_of(COMMERCIAL_MODELS, "CommercialModel"),
    "use_type": _one_of(USE_TYPES, "UseType"),
    "rights_type": _one_of(RIGHTS_TYPES, "RightsType"),
    "resource_type": _one_of(RESOURCE_TYPES, "ResourceType"),
}


def _layout(text: str) -> tuple[CellSpec, ...]:
    """Parse ``Name[?|*][=check]`` items: ``?`` optional, ``*`` optional and repeatable."""
    specs = []
    for item in text.split():
        name, _, check = item.partition("=")
        flag = name[-1] if name[-1] in "?*" else ""
        specs.append(
            CellSpec(name.rstrip("?*"), _CHECKS[check or "text"], not flag, repeatable=flag == "*")
        )
    return tuple(specs)


# Cell order after RecordType, exactly as in the BasicAudioProfile 1.2 XSD.
SCHEMAS: dict[str, tuple[CellSpec, ...]] = {
    "HEAD": _layout("""
        MessageVersion=version Profile=profile ProfileVersion=profile_version MessageId
        MessageCreatedDateTime=datetime FileNumber=count NumberOfFiles=count
        UsageStartDate=date UsageEndDate=date SenderPartyId=dpid SenderName
        ServiceDescription?=service RecipientPartyId?=dpid RecipientName?
        RepresentedRepertoire*"""),
    "SY02.02": _layout("""
        SummaryRecordId DistributionChannel? DistributionChannelDPID?=dpid
        CommercialModel=commercial_model UseType=use_type Territory=territory
        ServiceDescription=service Usages=int Users?=int CurrencyOfReporting=currency
        NetRevenue=dec RightsController? RightsControllerPartyId?=nsid AllocatedUsages*=dec
        AllocatedRevenue*=dec AllocatedNetRevenue?=dec RightsType?=rights_type ContentCategory
        CurrencyOfTransaction?=currency ExchangeRate?=dec RightsTypePercentage?=dec"""),
    "AS02.02": _layout("""
        BlockId ResourceReference DspResourceId ISRC*=isrc Title SubTitle? DisplayArtistName
        DisplayArtistPartyId?=nsid Duration?=duration ResourceType=resource_type ISWC?=iswc
        ComposerAuthor* ComposerAuthorPartyId*=nsid Arranger* ArrangerPartyId*=nsid
        MusicPublisher* MusicPublisherPartyId*=nsid WorkContributor* WorkContributorPartyId*=nsid
        ProprietaryWorkId?=nsid IsMasterRecording?=bool"""),
    "SU01": _layout("""
        BlockId SummaryRecordId SalesTransactionId TransactedRelease? TransactedResource?
        IsRoyaltyBearing=bool SalesUpgrade=bool Usages=int Returns=int
        PriceConsumerPaidExcSalesTax?=dec PromotionalActivity?"""),
    "FOOT": _layout("""
        NumberOfLinesInFile=count NumberOfLinesInReport?=count NumberOfSummaryRecords=count
        NumberOfBlocksInFile=count NumberOfBlocksInReport?=count"""),
}

Cells = dict[str, list[str]]


def parse_record(line: str) -> tuple[str, Cells]:
    """Parse one record into (record type, {cell name: values}); DsrSyntaxError if malformed."""
    raw = split_record(line)
    rtype = "|".join(raw[0])
    schema = SCHEMAS.get(rtype)
    if schema is None:
        raise DsrSyntaxError(unknown_type(rtype), rtype)
    if len(raw) != len(schema) + 1:
        raise DsrSyntaxError(f"needs {len(schema) + 1} cells, found {len(raw)}", rtype)
    return rtype, {spec.name: values for spec, values in zip(schema, raw[1:], strict=True)}


def unknown_type(rtype: str) -> str:
    if rtype in ("SY02", "AS02"):
        return f"bare {rtype} is not a record type; BasicAudioProfile 1.2 uses {rtype}.02"
    if rtype in ("SY02.01", "AS02.01"):
        return f"{rtype} belongs to BasicAudioProfile 1.1; version 1.2 uses {rtype[:4]}.02"
    if rtype in _OTHER_BAP12_TYPES:
        return f"{rtype} is legal in BasicAudioProfile 1.2 but not supported by this validator"
    return f"unknown record type {rtype!r}"


def check_cell(kind: str, value: str) -> str | None:
    """Run one named cell check (e.g. ``"isrc"``, ``"currency"``); None means valid."""
    return _CHECKS[kind](value)
