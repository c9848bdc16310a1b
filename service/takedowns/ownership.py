"""Proof of ownership: does a claimant hold a share of an asset where it asks a takedown?

"Holds a share in a territory" means: for some right type, the claimant is among the
holders that ``resolve_shares`` picks there on that date — of the recording or of its
work for an ISRC, of the work for an ISWC. For ``WORLD`` it means holding a share in
*every* territory: among the ``WORLD`` rows, and also in each territory whose own rows
replace the ``WORLD`` ones; otherwise a holder of a worldwide share could stop sales
where someone else holds the rights.
"""

from collections.abc import Sequence
from datetime import date

from sqlmodel import Session

from service.catalog.models import Recording
from service.catalog.service import (
    RECORDING,
    WORK,
    AssetKey,
    VersionShares,
    load_share_versions,
    resolve_shares,
)
from service.identifiers import WORLD
from service.rights import RightType


def assets_of(*, session: Session, isrc: str | None, iswc: str | None) -> list[AssetKey]:
    """The assets whose shares count: a recording and its work, or a work."""
    if iswc is not None:
        return [(WORK, iswc)]
    assert isrc is not None
    assets: list[AssetKey] = [(RECORDING, isrc)]
    recording = session.get(Recording, isrc)
    if recording is not None and recording.iswc is not None:
        assets.append((WORK, recording.iswc))
    return assets


def territories_without_share(
    *,
    session: Session,
    holder_id: str,
    assets: Sequence[AssetKey],
    territories: Sequence[str],
    on: date,
) -> list[str]:
    """Those of ``territories`` (or, for ``WORLD``, of every territory) where
    ``holder_id`` holds no share of ``assets`` on ``on``; empty when it holds everywhere."""
    versions = load_share_versions(session=session, assets=assets)
    to_check = list(territories)
    if WORLD in to_check:
        # Any territory without rows of its own falls back to the WORLD rows, so the WORLD
        # rows plus every territory named in some version cover the whole map. Checking a
        # territory that has no rows in the version in force only re-checks WORLD.
        named = {row.territory for key in assets for v in versions[key] for row in v.rows}
        to_check = [WORLD, *sorted(named - {WORLD})]
    return [t for t in to_check if not _holds(versions, holder_id, t, on)]


def _holds(
    versions: dict[AssetKey, list[VersionShares]], holder_id: str, territory: str, on: date
) -> bool:
    for asset_versions in versions.values():
        for right_type in RightType:
            shares = resolve_shares(
                asset_versions, right_type=right_type.value, territory=territory, on=on
            )
            if shares and any(s.holder_id == holder_id for s in shares):
                return True
    return False


def has_any_share(*, session: Session, holder_id: str, assets: Sequence[AssetKey]) -> bool:
    """Does ``holder_id`` appear in any share version of ``assets``, of any date or
    territory? A takedown filed without one could never be approved."""
    versions = load_share_versions(session=session, assets=assets)
    return any(
        row.holder_id == holder_id for key in assets for v in versions[key] for row in v.rows
    )
