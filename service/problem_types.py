"""Every problem type the API answers with: its code, status, title and what it means.

One entry per ``code`` (a problem's ``type`` is ``/problems/<code>``, a page the app
serves from this table). Codes raised as :class:`~service.errors.DomainError` subclasses
are collected from the classes themselves; the ones the web layer produces (validation,
body limits, unknown paths, the database) are listed here. A test checks that every code
the code base can raise has a meaning below.
"""

from dataclasses import dataclass

from service.errors import DomainError


@dataclass(frozen=True, slots=True)
class ProblemType:
    code: str
    status: int
    title: str
    meaning: str


# What each code means to the caller, and what to do about it.
MEANINGS: dict[str, str] = {
    "malformed": "The body cannot be read as its Content-Type says (JSON, CSV, NDJSON, "
    "a DSR file): nothing was written. Fix the syntax and send it again.",
    "invalid": "A field, parameter or row breaks the contract; `errors` lists each one "
    "(`loc`, `msg`). Nothing was written.",
    "too_large": "The body is larger than the server accepts (`LEDGER_MAX_BODY_BYTES`) or a "
    "batch holds more rows than allowed: split it.",
    "unsupported_media_type": "The Content-Type is not one this operation reads; the "
    "detail names those it does.",
    "not_found": "No such resource, or one the caller may not see (someone else's is never "
    "revealed: 404, not 403).",
    "method_not_allowed": "The path exists but not with this method; `Allow` lists the "
    "methods it has.",
    "not_acceptable": "None of the media types in `Accept` can be served; the detail names "
    "those that can.",
    "unauthenticated": "No `Authorization: Bearer <token>`, or a token that is unknown or revoked.",
    "key_expired": "The API key's `expires_at` has passed: ask an admin for a new key.",
    "forbidden": "The caller's role may not use this operation.",
    "insufficient_scope": "The key's scopes do not cover this operation (docs/api-keys.md).",
    "rate_limited": "Over the key's rate limit: wait `Retry-After` seconds (`RateLimit` "
    "headers say how much is left).",
    "too_many_downloads": "The party (or the service) runs as many statement downloads at "
    "once as it may: retry when one has finished.",
    "conflict": "The request conflicts with what is recorded (an existing resource, the "
    "same idempotency key with other content, a state that does not allow it).",
    "withdrawn": "A takedown withdraws this recording in this territory from the sale's "
    "date on (`takedown_id` names it): the sale is not recorded (HTTP 451).",
    "unlicensed": "No tariff licenses this sale in its territory on its date: it is not "
    "recorded (HTTP 451).",
    "refund_exceeds_sale": "The refund asks for more units than the sale has left to refund.",
    "no_share": "The claimant holds no share of the recording or its work in every "
    "territory named, on the decision date.",
    "period_not_ended": "The month has not ended yet: it can be closed from its last day on.",
    "earlier_period_open": "An earlier month with entries is still open: close it first.",
    "missing_fx_rate": "The close needs FX rates it does not have; the detail names the "
    "pairs and dates. Add them with POST /v1/fx-rates.",
    "statement_not_pinned": "The statement's month was closed before the transparency log "
    "signed tree heads: it has no signed file digests.",
    "tree_size_unknown": "No signed tree head of that size exists (yet).",
    "bad_proof_request": "The proof asked for is impossible (e.g. a first tree larger than "
    "the second).",
    "bad_witness": "Not a usable witness: its verifier key is not a cosignature/v1 key or "
    "its URL is not http(s) (docs/transparency.md).",
    "signer_refused": "The log no longer extends the tree head the operator last signed: "
    "the signer will not sign a contradicting head (docs/transparency.md); nothing was "
    "closed or signed.",
    "dsr_structure": "The DSR file breaks the BasicAudioProfile structure; the detail names "
    "its first broken line. Nothing was booked.",
    "dsr_file_name": "The DSR file name does not follow the DSR naming convention or "
    "disagrees with its HEAD record.",
    "cwr_file_invalid": "The CWR file cannot be read (its first broken record is named); "
    "nothing was imported.",
    "cwr_registration_rejected": "A CWR transaction was rejected; the rest of the file "
    "still applies.",
    "unbalanced": "A ledger transaction did not balance: a bug, nothing was written.",
    "database_unavailable": "The database is not reachable (a failover): retry after "
    "`Retry-After` seconds; nothing was written.",
    "read_only": "The database accepts no writes right now (a standby, or maintenance): "
    "retry after `Retry-After` seconds.",
    "not_ready": "The service or its database is not ready (`/healthz`, `/readyz`).",
    "internal_error": "An unexpected error: nothing was written, and it is logged with the "
    "request's `X-Request-ID`; report that id.",
}

# Codes no DomainError subclass carries: (status, title).
_WEB_LAYER: dict[str, tuple[int, str]] = {
    "malformed": (400, "The body cannot be parsed"),
    "invalid": (422, "Invalid request"),
    "too_large": (413, "The body is too large"),
    "not_found": (404, "Not found"),
    "method_not_allowed": (405, "Method Not Allowed"),
    "database_unavailable": (503, "The database is not reachable; retry shortly"),
    "read_only": (503, "The database is read-only"),
    "not_ready": (503, "Not ready"),
    "internal_error": (500, "Internal Server Error"),
}


def _subclasses(cls: type[DomainError]) -> list[type[DomainError]]:
    found = [cls]
    for sub in cls.__subclasses__():
        found += _subclasses(sub)
    return found


def problem_types() -> dict[str, ProblemType]:
    """Every known code (DomainError subclasses of the modules loaded, and the web layer's),
    the first class to declare a code giving its status and title."""
    types = {
        code: ProblemType(code, status, title, MEANINGS.get(code, title))
        for code, (status, title) in _WEB_LAYER.items()
    }
    for cls in _subclasses(DomainError)[1:]:
        if cls.code not in types:
            types[cls.code] = ProblemType(
                cls.code, cls.status, cls.title, MEANINGS.get(cls.code, cls.title)
            )
    return types


def example(kind: ProblemType) -> dict[str, object]:
    """A problem body of this type, as the API writes one."""
    return {
        "type": f"/problems/{kind.code}",
        "title": kind.title,
        "status": kind.status,
        "detail": kind.meaning.split(". ")[0].rstrip(".") + ".",
        "code": kind.code,
    }
