"""Errors of CWR intake."""

from service.errors import Conflict, Invalid


class CwrFileInvalid(Invalid):
    """The file's structure is broken (control records, counts, version): nothing applies."""

    code = "cwr_file_invalid"

    def __init__(self, detail: str, *, line: int) -> None:
        super().__init__(detail, errors=[{"loc": ["body", "line", line], "msg": detail}])


class RegistrationRejected(Conflict):
    """One transaction conflicts with the catalogue (e.g. an NWR renaming a registered work);
    caught per transaction and acknowledged as rejected, never answered as a problem."""

    code = "cwr_registration_rejected"
