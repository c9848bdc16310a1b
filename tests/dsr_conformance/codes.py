"""Allowed-value lists (AVS) used by BasicAudioProfile 1.2 cells.

Source: ddexnet/dsrf ``schemas/avs/current/avs.xsd`` at commit
ef8d91dd1e9a808da11f2629803ae9f998d5fece, the file BasicAudioProfile 1.2 imports. Values
typed here are the enumerations of the named simple types; the ISO 3166 and ISO 4217 members
come from pycountry (the AVS enumerates the same standards), the deprecated currencies from
the AVS's own DeprecatedCurrencyCode list. CurrentTerritoryCode also admits CISAC TIS codes,
which are checked by shape (``TIS_TERRITORY``) because their list was not transcribed.
"""

from __future__ import annotations

import pycountry


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


DEPRECATED_CURRENCIES = _words("CYP EEK LTL LVL MTL ROL SIT SKK")
CODE_LISTS: dict[str, frozenset[str]] = {
    "ProfileId": _words(
        "BasicAudioProfile UGCProfile AudioVisualProfile RoyaltyReportingProfile "
        "RadioBroadcastProfile"
    ),
    "CommercialModelType": _words(
        "AdvertisementSupportedModel AsPerContract DeviceFeeModel FreeOfChargeModel "
        "PayAsYouGoModel PerformanceRoyaltiesModel RightsClaimModel SubscriptionModel "
        "Unknown UserDefined"
    ),
    "UseType": _words(
        "AsPerContract Broadcast Cable ConditionalDownload ContentInfluencedStream Display "
        "Download DubForAdvertisement DubForLivePerformance DubForMovies DubForMusicOnHold "
        "DubForPublicPerformance DubForRadio DubForTV ExtractForInternet KioskDownload "
        "Narrowcast NonInteractiveStream OnDemandStream PerformAsMusicOnHold "
        "PerformInLivePerformance PerformInPublic PermanentDownload Playback PlayInPublic "
        "Podcast Print PrivateCopy PurchaseAsPhysicalProduct Rent Simulcast Stream "
        "TetheredDownload TimeInfluencedStream Unknown UseAsAlertTone UseAsDevice "
        "UseAsKaraoke UseAsRingbackTone UseAsRingbackTune UseAsRingtone UseAsRingtune "
        "UseAsScreensaver UseAsVoiceMail UseAsWallpaper UseForIdentification "
        "UseInMobilePhoneMessaging UseInPhoneListening UserDefined "
        "UserMakeAvailableLabelProvided UserMakeAvailableUserProvided Webcast"
    ),
    "RightsCoverage": _words(
        "MakeAvailableRight MechanicalRight PerformingRight PrintRight ReproductionRight "
        "SynchronizationRight UserDefined"
    ),
    "ResourceType": _words(
        "Image MIDI SheetMusic Software SoundRecording Text UserDefinedResource Video"
    ),
    "ReleaseType": _words(
        "AdvertisementVideo Album AlertToneRelease Animation AsPerContract AudioBookRelease "
        "AudioClipRelease BackCoverImageRelease BookletBackImageRelease "
        "BookletFrontImageRelease BookletRelease Bundle ClassicalAlbum ConcertVideo "
        "CorporateFilm DigitalBoxSetRelease DjMix Documentary DocumentImageRelease "
        "EBookRelease Episode FeatureFilm FilmBundle FrontCoverImageRelease IconRelease "
        "InfomercialVideo InteractiveBookletRelease KaraokeRelease LiveEventVideo "
        "LogoRelease LongFormMusicalWorkVideoRelease LongFormNonMusicalWorkVideoRelease "
        "LyricSheetRelease MultimediaAlbum MultimediaSingle MusicalWorkBasedGameRelease "
        "MusicalWorkClipRelease MusicalWorkReadalongVideoRelease MusicalWorkTrailerRelease "
        "MusicalWorkVideoChapterRelease News NonMusicalWorkBasedGameRelease "
        "NonMusicalWorkClipRelease NonMusicalWorkReadalongVideoRelease "
        "NonMusicalWorkTrailerRelease NonMusicalWorkVideoChapterRelease "
        "NonSerialAudioVisualRecording PhotographRelease RingbackToneRelease RingtoneRelease "
        "ScreensaverRelease Season Series SheetMusicRelease ShortFormMusicalWorkVideoRelease "
        "ShortFormNonMusicalWorkVideoRelease Single SingleResourceRelease "
        "SingleResourceReleaseWithCoverArt TrailerVideo TrayImageRelease Unknown UserDefined "
        "VideoAlbum VideoChapterRelease VideoClipRelease VideoScreenCaptureRelease "
        "VideoSingle VideoTrackRelease WallpaperRelease"
    ),
    "CurrencyCode": frozenset(c.alpha_3 for c in pycountry.currencies) | DEPRECATED_CURRENCIES,
    "CurrentTerritoryCode": frozenset(c.alpha_2 for c in pycountry.countries)
    | frozenset(s.code for s in pycountry.subdivisions)
    | {"Worldwide"},
}
TIS_TERRITORY = "[0-9]{1,4}"  # CurrentTerritoryCode's TIS member, by shape only
