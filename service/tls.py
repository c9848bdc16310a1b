"""Served behind TLS (``LEDGER_PUBLIC_URL=https://…``, e.g. the compose ``tls`` profile's
Caddy): every answer carries ``Strict-Transport-Security`` (RFC 6797), so a browser that
once reached the portal over HTTPS never sends its session cookie over plain HTTP again.

Set by the app rather than the proxy, so any TLS terminator in front gets it right. A
plain ASGI wrapper (no HTTP framework import), wired in ``main.create_app``.
"""

from service.asgi import ASGIApp, Message, Receive, Scope, Send

# One year, this host and its subdomains (RFC 6797 §6.1); no `preload`: that is a
# commitment to browser vendors an operator makes on purpose, not a default.
HSTS = b"max-age=31536000; includeSubDomains"


def behind_tls(public_url: str | None) -> bool:
    return bool(public_url) and str(public_url).lower().startswith("https://")


class StrictTransportSecurity:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_hsts(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    *message.get("headers", []),
                    (b"strict-transport-security", HSTS),
                ]
            await send(message)

        await self.app(scope, receive, send_with_hsts)
