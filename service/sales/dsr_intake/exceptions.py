"""Problems of DSR intake (each an RFC 9457 problem with its ``code``)."""

from service.errors import Conflict, DomainError, Invalid


class DsrBroken(Invalid):
    """The file's structure is broken: nothing is booked. Carries the first broken line."""

    code = "dsr_structure"
    title = "The DSR file's structure is broken"

    def __init__(
        self, reason: str, *, line: int, record_type: str | None, cell: str | None = None
    ) -> None:
        where = f"line {line}" + (f", {record_type}" if record_type else "")
        where += f" ({cell})" if cell else ""
        super().__init__(
            f"{where}: {reason}. Nothing was booked.",
            errors=[{"loc": ["body", "line", line, *([cell] if cell else [])], "msg": reason}],
            line=line,
            record_type=record_type,
            cell=cell,
        )


class DsrFileName(Invalid):
    code = "dsr_file_name"
    title = "The file name breaks DSR Part 1's naming rule or disagrees with the HEAD"


class DsrMessageConflict(Conflict):
    title = "Another file was posted under this MessageId"


class DsrUnreadable(DomainError):
    status = 400
    code = "malformed"
    title = "The body cannot be read as a DSR file"


class DsrTooLarge(DomainError):
    status = 413
    code = "too_large"
    title = "The DSR file is too large"


class DsrMediaType(DomainError):
    status = 415
    code = "unsupported_media_type"
    title = "Not a DSR flat file"
