"""Refuses requests a browser page sends to the dev server's own endpoints from elsewhere.

The Invoke API runs functions with the developer's AWS credentials, so a page on another
site must not reach it: neither by a simple cross-origin POST (the browser sends it
without asking, CORS only hides the answer) nor through DNS rebinding (a hostile name
resolving to 127.0.0.1, so the Host header is foreign). As LocalStack and Jupyter do,
the Host must name this machine and an Origin, when sent, must be the server's own; a
request a browser marks as from another site (Sec-Fetch-Site) is refused even without an
Origin. boto3 and the AWS CLI send no Origin and a loopback Host. Bound to every interface
(`--host 0.0.0.0`), the server takes any address and the names no public DNS can serve, as
Vite's dev server does: a public name could be an attacker's, rebound to this machine.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from urllib.parse import urlsplit

from .._core._types import Scope

__all__ = ["HostGuard"]

LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})
# Bound to every interface: the developer chose to be reached by any name of the machine.
_WILDCARD_HOSTS = frozenset({"", "0.0.0.0", "::"})
# Sec-Fetch-Site values of a request from the server's own page, or typed by the user.
_OWN_FETCHES = frozenset({"same-origin", "none"})
# Names only this network resolves: RFC 6761 (.localhost), RFC 6762 (.local, mDNS),
# RFC 8375 (.home.arpa), ICANN's .internal, and the undelegated ones routers hand out.
# No attacker's DNS answers for them, so none can be rebound to this machine.
_PRIVATE_SUFFIXES = (".localhost", ".local", ".home.arpa", ".internal", ".lan", ".home",
                     ".localdomain")  # fmt: skip


class HostGuard:
    """`refusal(scope)`: why a request is foreign, or None when it may be served."""

    def __init__(self, server_hosts: Iterable[str] = ()) -> None:
        hosts = {_bare(host) for host in server_hosts}
        self.any_host = bool(hosts & _WILDCARD_HOSTS)
        self.hosts = LOOPBACK_NAMES | hosts

    def refusal(self, scope: Scope) -> str | None:
        hosts: list[str] = []
        origin = fetch_site = None
        for name, value in scope["headers"]:
            if name == b"host":
                hosts.append(value.decode("latin-1"))
            elif name == b"origin":
                origin = value.decode("latin-1")
            elif name == b"sec-fetch-site":
                fetch_site = value.decode("latin-1").strip().lower()
        if len(hosts) > 1:
            # RFC 9112 3.2: a 400 (LocalHttpProtocol answers it before the app is called).
            return f"{len(hosts)} Host headers: {hosts!r}"
        host = hosts[0] if hosts else None
        if host is not None and not self._allowed(_hostname(host)):
            if self.any_host:
                return (
                    f"Host {host!r} is a public name, which DNS rebinding can point at this"
                    " machine: use its IP address, or pass --host with that name"
                )
            return f"Host {host!r} is not this machine (a DNS rebinding attack?)"
        if origin is not None:
            parts = urlsplit(origin) if origin != "null" else None
            if parts is None or not parts.netloc or parts.netloc.lower() != (host or "").lower():
                return f"Origin {origin!r} is another site's page"
        if fetch_site is not None and fetch_site not in _OWN_FETCHES:
            # A browser sends no Origin on some requests (a form's GET, a navigation)
            # but always says where they come from.
            return f"Sec-Fetch-Site {fetch_site!r}: a page of another origin sent it"
        return None

    def _allowed(self, hostname: str) -> bool:
        return hostname in self.hosts or (self.any_host and _not_rebindable(hostname))


def _not_rebindable(hostname: str) -> bool:
    """An address (a browser connects to the very one it names), a single label (resolved
    through this network's own search domains) or a name under a private suffix."""
    try:
        ipaddress.ip_address(hostname)
    except ValueError:
        return "." not in hostname or hostname.endswith(_PRIVATE_SUFFIXES)
    return True


def _hostname(host: str) -> str:
    """'LocalHost:8000' -> 'localhost', '[::1]:8000' -> '::1'."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].partition("]")[0]
    name, colon, port = host.rpartition(":")
    return _bare(name if colon and port.isdigit() else host)


def _bare(host: str) -> str:
    host = host.strip().strip("[]").lower()
    # One trailing dot is the root of DNS ("localhost." is localhost); "localhost.." is
    # no valid name: with one dot removed it still names nothing of ours.
    return host[:-1] if host.endswith(".") else host
