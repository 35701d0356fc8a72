"""The API's and the worker metrics' listening sockets, taken before anything else starts.

`convoflow up` starts the embedded Temporal server first, and that server binds its HTTP API and
metrics on ports the kernel picks at random from the ephemeral range (`temporal server start-dev
--help`). While the API bound its own port only once Temporal and the worker were up, that port could
be the dev server's by then: `up` failed with "address already in use" on a port found free a second
before (a user's port in the ephemeral range, a test's free port). Listening from the first moment
closes that window, and the "port taken" check is the bind itself rather than a probe then a bind.

A connection that arrives before the API serves waits in the listen backlog and is answered once it
does, instead of being refused.
"""

from __future__ import annotations

import errno
import socket
from dataclasses import dataclass, field

from aiohttp import web

# aiohttp's default for a site; asyncio sets it again when it starts serving a socket.
BACKLOG = 128


class PortTaken(RuntimeError):
    """Another process listens on a port this process is configured to serve on."""

    def __init__(self, what: str, host: str, port: int, setting: str) -> None:
        super().__init__(
            f"{what} port {port} is already in use on {host} by another process: "
            f"stop it or choose another {setting}"
        )


@dataclass
class Listeners:
    """Sockets bound and listening, by what they will serve; closed together if the start fails."""

    api: list[socket.socket] = field(default_factory=list)
    worker_metrics: list[socket.socket] | None = None

    def close(self) -> None:
        """Closes every socket: before a server serves them (a start that failed), or after its
        cleanup (which closed those it served; a second close does nothing). Never while one serves:
        asyncio serves the very socket object it is given."""
        for sock in [*self.api, *(self.worker_metrics or [])]:
            sock.close()


def listen(host: str, port: int, *, what: str, setting: str) -> list[socket.socket]:
    """Sockets listening on (host, port), one for each address the host resolves to.

    Bound as asyncio's `create_server` binds a host and port (every address of the name, a family
    the kernel lacks skipped, SO_REUSEADDR, IPv6 sockets IPv6-only), so serving them behaves as
    serving the host and port did.
    """
    infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    sockets: list[socket.socket] = []
    try:
        for family, kind, proto, _, address in dict.fromkeys(infos):
            try:
                sock = socket.socket(family, kind, proto)
            except OSError:  # a family this kernel has not (IPv6 off): skipped, as asyncio skips it
                continue
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                sock.bind(address)
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE:
                    raise PortTaken(what, host, port, setting) from None
                raise
            sock.listen(BACKLOG)
            sock.setblocking(False)
    except BaseException:
        for sock in sockets:
            sock.close()
        raise
    return sockets


def sites(
    runner: web.AppRunner, sockets: list[socket.socket] | None, host: str, port: int
) -> list[web.BaseSite]:
    """The runner's sites: on the sockets taken at the start, or on the host and port (tests and
    benchmarks that serve a runner on its own)."""
    if sockets:
        return [web.SockSite(runner, sock) for sock in sockets]
    return [web.TCPSite(runner, host, port)]
