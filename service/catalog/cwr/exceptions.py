"""Errors of CWR intake."""

from service.errors import Invalid


class CwrFileInvalid(Invalid):
    """The file's structure is broken (control records, counts, version): nothing applies."""

    code = "cwr_file_invalid"

    def __init__(self, detail: str, *, line: int) -> None:
        super().__init__(detail, errors=[{"loc": ["body", "line", line], "msg": detail}])
