"""Receiving a DSR file: the body streamed into a spooled temporary file, decompressed
(``Content-Encoding: gzip``) and hashed on the way, never held whole in memory."""

import hashlib
import tempfile
import zlib
from collections.abc import AsyncIterator
from email.message import EmailMessage
from typing import Annotated

from fastapi import Depends, Header, Request

from service.auth.dependencies import HEADER_MAX_LENGTH
from service.sales.dependencies import ActingStore
from service.sales.dsr_intake.exceptions import DsrMediaType, DsrTooLarge, DsrUnreadable
from service.sales.dsr_intake.service import Upload

MEDIA_TYPE = "text/tab-separated-values"
SPOOL_IN_MEMORY = 1024 * 1024  # bytes kept in memory before the spool moves to disk
# Decompressed bytes a file may have (~60 bytes a line: some 10^8 lines); guards the disk
# against a compressed bomb as much as against a runaway upload.
MAX_DSR_BYTES = 8 * 1024 * 1024 * 1024


def _file_name(disposition: str | None) -> str | None:
    """The ``filename`` of a Content-Disposition header (RFC 6266, ``filename*`` too)."""
    if not disposition:
        return None
    message = EmailMessage()
    message["Content-Disposition"] = disposition
    name = message.get_filename()
    return name.rsplit("/", 1)[-1] if name else None


async def _decoded(request: Request, encoding: str) -> AsyncIterator[bytes]:
    if encoding in ("", "identity"):
        async for chunk in request.stream():
            yield chunk
        return
    if encoding not in ("gzip", "x-gzip"):
        raise DsrMediaType(f"Content-Encoding {encoding!r}: send the file plain or gzip.")
    inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        async for chunk in request.stream():
            # Bounded output per step, so a small compressed chunk cannot inflate at once.
            data = inflate.decompress(chunk, SPOOL_IN_MEMORY)
            yield data
            while inflate.unconsumed_tail:
                yield inflate.decompress(inflate.unconsumed_tail, SPOOL_IN_MEMORY)
        yield inflate.flush()
    except zlib.error as exc:
        raise DsrUnreadable(f"The body is not valid gzip ({exc}).") from None
    if not inflate.eof:
        raise DsrUnreadable("The gzip stream ends early: the upload is incomplete.")


async def dsr_upload(
    request: Request,
    # The store first: a request naming none, or no store's code, is answered before its
    # file is read (a dependency with invalid inputs is not run, so neither is this one).
    _store: ActingStore,
    content_type: Annotated[str | None, Header(include_in_schema=False)] = None,
    content_encoding: Annotated[str | None, Header(include_in_schema=False)] = None,
    content_disposition: Annotated[
        str | None,
        Header(
            max_length=HEADER_MAX_LENGTH,
            description='`attachment; filename="DSR_..._..tsv"`: the DSR Part 1 file name, '
            "checked against the HEAD.",
        ),
    ] = None,
) -> AsyncIterator[Upload]:
    """The request's DSR file, spooled (memory up to 1 MiB, then a temporary file)."""
    media = (content_type or "").split(";")[0].strip().lower()
    if media != MEDIA_TYPE:
        raise DsrMediaType(
            f"Cannot read {media or 'a body without Content-Type'!r}; send "
            f"{MEDIA_TYPE} (a DSR flat file)."
        )
    digest = hashlib.sha256()
    size = 0
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as spool:
        async for chunk in _decoded(request, (content_encoding or "").strip().lower()):
            size += len(chunk)
            if size > MAX_DSR_BYTES:
                raise DsrTooLarge(f"The file exceeds {MAX_DSR_BYTES} bytes; split the report.")
            digest.update(chunk)
            spool.write(chunk)
        yield Upload(spool, digest.hexdigest(), _file_name(content_disposition))  # type: ignore[arg-type]


DsrUpload = Annotated[Upload, Depends(dsr_upload)]
