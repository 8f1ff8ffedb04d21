"""The web side of the login throttle: which address a request comes from, and 429s.

``client_address`` believes ``X-Forwarded-For`` only when the direct peer is one of
``SPINESTEP_TRUSTED_PROXIES``; it then walks the header from the right and takes the
first address that is not itself a trusted proxy. Anything left of that was written by
the client and could be anything, so it is never used. From any other peer the header
is ignored: a client cannot choose its own address.
"""

from __future__ import annotations

from collections.abc import Sequence
from ipaddress import IPv4Address, IPv6Address, ip_address
from typing import TYPE_CHECKING

from starlette.exceptions import HTTPException
from starlette.requests import Request

from spinestep.services import accounts, login_throttle
from spinestep.services.login_throttle import LoginThrottled
from spinestep.services.records import UserRecord
from spinestep.settings import Network

if TYPE_CHECKING:
    from spinestep.web.context import WebContext

Address = IPv4Address | IPv6Address


def _parse(text: str) -> Address | None:
    """An address, also from ``1.2.3.4:port`` or ``[v6]:port``; IPv4-mapped IPv6 as IPv4."""
    text = text.strip()
    if text.startswith("[") and "]" in text:
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        address = ip_address(text)
    except ValueError:
        return None
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(address: Address | None, proxies: Sequence[Network]) -> bool:
    return address is not None and any(address in network for network in proxies)


def client_address(request: Request, trusted_proxies: Sequence[Network]) -> str:
    """The address the request came from, as the login throttle and the logs see it."""
    peer_text = request.client.host if request.client else ""
    peer = _parse(peer_text)
    if not _trusted(peer, trusted_proxies):
        return str(peer) if peer is not None else (peer_text or "unknown")
    assert peer is not None
    hops = [
        hop
        for header in request.headers.getlist("x-forwarded-for")
        for hop in header.split(",")
        if hop.strip()
    ]
    nearest: Address = peer
    for hop in reversed(hops):
        address = _parse(hop)
        if address is None:  # garbage after our own proxies: go no further left
            break
        if not _trusted(address, trusted_proxies):
            return str(address)
        nearest = address
    return str(nearest)


def begin_login(ctx: WebContext, request: Request, account: str) -> str:
    """Count an attempt of (account, address); raises ``LoginThrottled`` while blocked."""
    address = client_address(request, ctx.settings.trusted_proxies)
    return login_throttle.begin_attempt(ctx.services, account, address, ctx.login_policy)


def too_many(blocked: LoginThrottled) -> HTTPException:
    """The API's answer to a blocked pair: 429 with ``Retry-After``."""
    return HTTPException(429, str(blocked), headers={"retry-after": str(blocked.retry_after_s)})


def begin_login_or_429(ctx: WebContext, request: Request, account: str) -> str:
    """``begin_login`` for the API: a blocked pair is an HTTP 429 with ``Retry-After``."""
    try:
        return begin_login(ctx, request, account)
    except LoginThrottled as blocked:
        raise too_many(blocked) from None


def login_succeeded(ctx: WebContext, key: str) -> None:
    login_throttle.attempt_succeeded(ctx.services, key)


def sign_in(ctx: WebContext, request: Request, account: str, password: str) -> UserRecord | None:
    """The account for this name and password, counted by the throttle (pages and API).

    Raises ``LoginThrottled`` while (account, address) is blocked, before the password
    is looked at. The password is taken as typed; only when that fails and it has
    surrounding whitespace is it tried once more without, because sign-in pages stripped
    passwords before, and so did the pages that set them.
    """
    key = begin_login(ctx, request, account)
    user = accounts.authenticate(ctx.services, account, password)
    if user is None and password.strip() and password != password.strip():
        user = accounts.authenticate(ctx.services, account, password.strip())
    if user is not None:
        login_succeeded(ctx, key)
    return user
