"""Which webhook URLs a store may register, and which addresses a webhook may reach
(issue #24, break 6: ``file:``, ``gopher:``, CR/LF, loopback and the cloud metadata
address 169.254.169.254 were accepted and contacted, a blind SSRF).

A URL is http or https, has a host, carries no credentials, and holds no whitespace or
control character. Its host, when it is an IP address, and every address its name
resolves to when a webhook is sent (``takedowns.delivery``) must be public: loopback,
private, link-local, shared, multicast and reserved ranges are refused unless the operator
allows them (``LEDGER_WEBHOOK_ALLOW_PRIVATE``, for a store on the operator's own network
and for tests). Names are resolved when sending, not at registration: what a name points
to may change, and the worker checks the address it actually connects to.
"""

import ipaddress
from urllib.parse import urlsplit

SCHEMES = ("http", "https")
_LOCAL_NAMES = ("localhost", "localhost.localdomain")


def syntax_problem(url: str) -> str | None:
    """Why ``url`` cannot be a webhook URL whatever the network, or None."""
    if any(ch.isspace() or ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0 for ch in url):
        return "may not contain spaces or control characters"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return f"is not a URL ({exc})"
    if parts.scheme.lower() not in SCHEMES:
        return "must be an http or https URL"
    if not parts.hostname:
        return "must name a host"
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        return "may not carry credentials (user:password@)"
    if port == 0:
        return "may not name port 0"
    return None


def address_problem(address: str, *, allow_private: bool) -> str | None:
    """Why a webhook may not be sent to the IP ``address``, or None."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return f"{address!r} is not an IP address"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if allow_private or (ip.is_global and not ip.is_multicast):
        return None
    return f"{ip} is not a public address (loopback, private, link-local or reserved)"


def problem(url: str, *, allow_private: bool) -> str | None:
    """Why ``url`` may not be registered, or None: its syntax, and its host if that is an
    IP address or a name of this machine."""
    found = syntax_problem(url)
    if found is not None:
        return found
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    if not allow_private and (host in _LOCAL_NAMES or host.endswith(".localhost")):
        return f"{host} is this machine: not a public address"
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return None  # a name: checked when it is resolved, at each delivery
    return address_problem(host, allow_private=allow_private)
