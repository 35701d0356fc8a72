"""Which network addresses an integrator's URL may reach: public ones only, unless allowed (SSRF).

A subscription's URL is the integrator's choice, and the worker POSTs to it from inside our network:
without this check `http://10.0.0.5/admin`, `http://169.254.169.254/` (cloud metadata) or a name
that resolves to 127.0.0.1 would make the service attack itself. Refused: loopback, private
(RFC 1918), link-local, CGNAT (100.64/10), multicast, unspecified, reserved and documentation ranges,
IPv6 unique-local and site-local, and IPv4 addresses wrapped in IPv6 (mapped, NAT64, 6to4, Teredo)
when the address inside is not public. Every address a name resolves to must be public: a resolver
that answers one public and one private address could otherwise pick the private one later.

Checked when a subscription is created and again at every delivery (DNS may change in between),
and before every attempt of a rule's `call_webhook` (activities/channels.py); the HTTP client then
resolves the name again through a resolver that refuses any address that is not public
(activities/http_session.py `PublicOnlyResolver`), and never follows a redirect.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
NAT64 = ipaddress.ip_network("64:ff9b::/96")


class AddressRefused(ValueError):
    """The URL's host is not a public address (or does not resolve); the message says which."""


class DoesNotResolve(AddressRefused):
    """The host did not resolve: a resolver that is down, or a name not (yet) in DNS, may answer later."""


def is_public(address: IpAddress) -> bool:
    """True for an address on the public internet; every special-purpose range is refused."""
    if isinstance(address, ipaddress.IPv6Address):
        inner: IpAddress | None = address.ipv4_mapped or address.sixtofour
        if inner is None and address.teredo is not None:
            inner = address.teredo[1]
        if inner is None and address in NAT64:
            inner = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if inner is not None:
            return is_public(inner)
        if address.is_site_local:
            return False
    return address.is_global and not address.is_multicast and not address.is_reserved


def host_and_port(url: str) -> tuple[str, int]:
    """The URL's host and port (80/443 by scheme); ValueError for anything but an http(s) URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("an http:// or https:// URL with a host")
    port = parts.port  # raises ValueError for a port out of range
    if port == 0:  # nothing listens there: taken, every delivery failed
        raise ValueError("port 0")
    return parts.hostname, port or (443 if parts.scheme == "https" else 80)


async def resolve(host: str, port: int) -> list[IpAddress]:
    """Every address `host` stands for (an IP literal is itself)."""
    if (literal := _literal(host)) is not None:
        return [literal]
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise DoesNotResolve(f"host {host!r} does not resolve") from exc
    found: list[IpAddress] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if address not in found:
            found.append(address)
    if not found:
        raise DoesNotResolve(f"host {host!r} does not resolve")
    return found


async def check_url(url: str, *, allow_private: bool) -> list[IpAddress]:
    """The addresses `url` may be reached at; AddressRefused when one of them is not public and
    private addresses are not allowed."""
    try:
        host, port = host_and_port(url)
    except ValueError as exc:
        raise AddressRefused(str(exc) if "URL" in str(exc) else "the port is not a valid port") from None
    if allow_private:
        return await resolve(host, port)
    # A name that does not resolve and one that resolves to a private address get one answer, which
    # names no address: the difference mapped the deployment's internal DNS for any integrator key.
    # Both said, neither told: "does not resolve to a public address" alone read as a private one to
    # a caller whose name did not resolve at all.
    unreachable = f"host {host!r} does not resolve to a public address (no address, or only private ones)"
    try:
        addresses = await resolve(host, port)
    except DoesNotResolve:
        raise DoesNotResolve(unreachable) from None
    refused = [a for a in addresses if not is_public(a)]
    if refused:
        literal = _literal(host) is not None  # an address the caller wrote may be named back
        raise AddressRefused(f"{refused[0]} is not a public address" if literal else unreachable)
    return addresses


def _literal(host: str) -> IpAddress | None:
    """The address `host` is written as, or None for a name."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None
