"""The `Prefer` request header (RFC 7240): which preferences a client stated."""

from collections.abc import Iterable


def preferences(headers: Iterable[str]) -> dict[str, str]:
    """Each preference's token (lower case) and value (unquoted; "" when absent).

    ``Prefer: return=minimal, respond-async; wait=10`` → ``{"return": "minimal",
    "respond-async": ""}``. Parameters after ``;`` are ignored; the first occurrence of a
    token wins (RFC 7240 §2), also across several ``Prefer`` header fields.
    """
    found: dict[str, str] = {}
    for header in headers:
        for preference in header.split(","):
            token, _, value = preference.split(";", 1)[0].partition("=")
            token = token.strip().lower()
            if token and token not in found:
                found[token] = value.strip().strip('"')
    return found


def wants_minimal(headers: Iterable[str]) -> bool:
    """`Prefer: return=minimal`: the client wants no representation beyond the essentials."""
    return preferences(headers).get("return", "").lower() == "minimal"
