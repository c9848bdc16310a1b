"""Right types and roles shared by every domain."""

from enum import StrEnum


class RightType(StrEnum):
    mechanical = "mechanical"
    performance = "performance"
    neighbouring = "neighbouring"


# Authors' and publishers' rights come from the work; neighbouring rights from the recording.
WORK_RIGHTS = frozenset({RightType.mechanical, RightType.performance})
RECORDING_RIGHTS = frozenset({RightType.neighbouring})


class Role(StrEnum):
    admin = "admin"
    store = "store"
    society = "society"
    rights_holder = "rights_holder"


class HolderKind(StrEnum):
    publisher = "publisher"
    composer = "composer"
    lyricist = "lyricist"
    label = "label"
    performer = "performer"
