"""One webhook attempt that a receiver cannot turn against the service (issue #24).

- **A total deadline** (``ATTEMPT_S``) covers the whole attempt, connection, TLS, headers
  and body, enforced by cancellation: a receiver trickling one byte every few seconds no
  longer holds the worker (httpx's timeouts are per read).
- **A bounded read**: at most ``MAX_RESPONSE_BYTES`` of the answer are read, undecoded
  (``Accept-Encoding: identity``, raw bytes: no decompression bomb); only the status
  matters.
- **Public addresses only**: the host's addresses are resolved and checked
  (``parties.webhook_url``) before connecting, and the connection is made to the checked
  address (TLS still verifies the name), so a name cannot be re-pointed at loopback or
  169.254.169.254 between the check and the connection. A URL that can never be used
  (its syntax, a private address) fails the webhook at once: it is ``Permanent``.
- **A prompt stop**: the attempt is cancelled as soon as ``stop`` is set (SIGTERM, the
  app's shutdown); the webhook is then due again, not counted as a failure.

Each attempt runs on its own event loop in the worker's thread (``anyio.run``).
"""

import ipaddress
import threading
from dataclasses import dataclass

import anyio
import httpx

from service.parties import webhook_url

ATTEMPT_S = 15.0  # the whole attempt; the worker's lease (60 s) is far longer
CONNECT_S = 5.0
MAX_RESPONSE_BYTES = 64 * 1024
_STOP_POLL_S = 0.05


@dataclass(frozen=True, slots=True)
class Outcome:
    """None: delivered. Else why not, and whether trying again could help."""

    error: str | None
    permanent: bool = False
    stopped: bool = False


class Refused(Exception):
    """The URL or its addresses may not be called: a permanent failure."""


class _PublicOnly(httpx.AsyncBaseTransport):
    """Connects only to addresses ``parties.webhook_url`` allows, pinned after the check."""

    def __init__(self, *, allow_private: bool) -> None:
        self._allow_private = allow_private
        self._inner = httpx.AsyncHTTPTransport(retries=0)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        port = request.url.port or (443 if request.url.scheme == "https" else 80)
        infos = await anyio.getaddrinfo(host, port, type=0)
        # IPv4 first: the address connected to is the first (pinned, below).
        found = {ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos}
        addresses = [str(ip) for ip in sorted(found, key=lambda ip: (ip.version, ip))]
        for address in addresses:
            why = webhook_url.address_problem(address, allow_private=self._allow_private)
            if why is not None:
                raise Refused(f"{host}: {why}")
        if not addresses:
            raise httpx.ConnectError(f"{host} has no address")
        # Connect to the address just checked; the Host header and TLS (SNI and the
        # certificate's name) keep the URL's host.
        request.url = request.url.copy_with(host=addresses[0])
        request.extensions = {**request.extensions, "sni_hostname": host}
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


async def _post(
    url: str,
    body: str,
    headers: dict[str, str],
    transport: httpx.AsyncBaseTransport,
) -> Outcome:
    timeout = httpx.Timeout(ATTEMPT_S, connect=CONNECT_S)
    async with httpx.AsyncClient(transport=transport, timeout=timeout) as client:
        request = client.build_request(
            "POST", url, content=body, headers={**headers, "accept-encoding": "identity"}
        )
        response = await client.send(request, stream=True)
        try:
            read = 0
            async for chunk in response.aiter_raw():
                read += len(chunk)
                if read >= MAX_RESPONSE_BYTES:
                    break  # enough: the status is all that counts
        except httpx.StreamConsumed:
            pass  # a transport that answered with the body already read (tests)
        finally:
            await response.aclose()
    return Outcome(None if response.is_success else f"HTTP {response.status_code}")


async def _attempt(
    url: str,
    body: str,
    headers: dict[str, str],
    transport: httpx.AsyncBaseTransport,
    stop: threading.Event,
    deadline_s: float,
) -> Outcome:
    outcome = Outcome("stopped", stopped=True)
    async with anyio.create_task_group() as group:

        async def watch_stop() -> None:
            while not stop.is_set():
                await anyio.sleep(_STOP_POLL_S)
            group.cancel_scope.cancel()

        async def post() -> None:
            nonlocal outcome
            try:
                with anyio.fail_after(deadline_s):
                    outcome = await _post(url, body, headers, transport)
            except TimeoutError:
                outcome = Outcome(f"no complete answer within the {deadline_s:g} s deadline")
            except Refused as exc:
                outcome = Outcome(f"refused: {exc}", permanent=True)
            except httpx.UnsupportedProtocol as exc:
                outcome = Outcome(f"refused: {exc}", permanent=True)
            except (httpx.HTTPError, OSError, ValueError) as exc:
                outcome = Outcome(f"{type(exc).__name__}: {exc}"[:500])
            group.cancel_scope.cancel()

        group.start_soon(watch_stop)
        group.start_soon(post)
    return outcome


def post(
    url: str,
    body: str,
    headers: dict[str, str],
    *,
    stop: threading.Event,
    allow_private: bool = False,
    transport: httpx.AsyncBaseTransport | None = None,
    deadline_s: float | None = None,
) -> Outcome:
    """POST one webhook (see the module); ``transport`` replaces the network (tests)."""
    why = webhook_url.syntax_problem(url)
    if why is not None:
        return Outcome(f"refused: the webhook_url {why}", permanent=True)
    chosen = transport or _PublicOnly(allow_private=allow_private)
    deadline = ATTEMPT_S if deadline_s is None else deadline_s
    return anyio.run(_attempt, url, body, headers, chosen, stop, deadline)
