"""The dev server's HTTP/1.1 parser: uvicorn's httptools protocol, with RFC 9112's Host rules.

uvicorn keeps only the path of an absolute-form target (`POST http://evil.example/x`) and
passes every Host header on, so an app cannot tell which host a request names. Here a
request with several Host headers is a 400 (RFC 9112 3.2), and an absolute-form target's
authority replaces the Host header, as RFC 9112 3.2.2 makes the server do: the Invoke API's
HostGuard then judges the host the request really names.
"""

from __future__ import annotations

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

__all__ = ["LocalHttpProtocol"]


class LocalHttpProtocol(HttpToolsProtocol):
    def on_headers_complete(self) -> None:
        headers = self.headers
        hosts = sum(1 for name, _ in headers if name == b"host")
        if hosts > 1:
            # httptools turns a callback's exception into a parser error: uvicorn's 400.
            raise ValueError("more than one Host header")
        target = self.url
        if not target.startswith(b"/") and target != b"*":
            authority = _authority(target)
            headers[:] = [(name, value) for name, value in headers if name != b"host"]
            headers.append((b"host", authority))
        super().on_headers_complete()


def _authority(target: bytes) -> bytes:
    """'http://user@Evil.example:81/x' -> b'Evil.example:81' (no userinfo, as Host has none)."""
    url = httptools.parse_url(target)  # raises on a target that is not a URL: a 400 too
    if not url.host:
        raise ValueError("an absolute-form target without a host")
    host = b"[" + url.host + b"]" if b":" in url.host else url.host  # an IPv6 address
    return host if url.port is None else host + b":%d" % url.port
