"""The dev server's X-Ray daemon: a UDP socket on 127.0.0.1 where the workers' X-Ray SDK
sends its segments, which land in the server's `TraceStore` for the console.

Each datagram is what the SDK's emitter sends to the real daemon (UDP port 2000 on
Lambda): the header `{"format":"json","version":1}`, a newline, then one segment or
subsegment document. Workers find it through AWS_XRAY_DAEMON_ADDRESS, as on Lambda.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any, cast

from ._traces import TraceStore

__all__ = ["XrayDaemon"]

HOST = "127.0.0.1"  # local endpoints bind the loopback only
# A UDP datagram holds at most this much; X-Ray's own limit for a document is 64 KB.
MAX_DATAGRAM_BYTES = 65507


class XrayDaemon(asyncio.DatagramProtocol):
    """Receives segment documents over UDP and keeps them in `traces`.

    What is not a segment document is counted in `dropped` and logged once (the first
    time, with why), never raised: a stray sender must not stop the server or flood its
    log.
    """

    def __init__(self, traces: TraceStore, log: Callable[[str], None], port: int = 0) -> None:
        self.traces = traces
        self._log = log
        self._port = port  # 0: the OS chooses
        self._transport: asyncio.DatagramTransport | None = None
        self.received = 0  # segment documents kept
        self.dropped = 0  # datagrams that were no segment document

    @property
    def address(self) -> str:
        """HOST:PORT, as AWS_XRAY_DAEMON_ADDRESS takes it; once started."""
        if self._transport is None:
            raise RuntimeError("the X-Ray daemon has not started")
        port = self._transport.get_extra_info("sockname")[1]
        return f"{HOST}:{port}"

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            await loop.create_datagram_endpoint(lambda: self, local_addr=(HOST, self._port))
        except OSError as error:
            # Tracing is a spectator: the server serves without it rather than not at all.
            self._log(
                f"chalicelike local: no X-Ray daemon on {HOST}:{self._port} ({error.strerror});"
                " traces show only the server's own segments"
            )

    @property
    def started(self) -> bool:
        return self._transport is not None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        document, problem = parse_datagram(data)
        if document is not None:
            try:
                # Charged the datagram's size: what the document costs, known for free.
                problem = self.traces.keep(document, len(data))
            except RecursionError:  # subsegments nested beyond Python's stack
                problem = "subsegments nested too deep"
            if problem is None:
                self.received += 1
                return
        self.dropped += 1
        if self.dropped == 1:  # once: a sender of garbage would otherwise fill the log
            self._log(
                f"chalicelike local: the X-Ray daemon dropped a datagram from {addr[0]}"
                f" ({problem}); further ones are only counted"
            )

    def error_received(self, exc: Exception) -> None:
        pass  # an ICMP error for a datagram we never send: nothing to do

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
            self._transport = None


def parse_datagram(data: bytes) -> tuple[dict[str, Any] | None, str | None]:
    """The segment document a datagram carries, or None and why not."""
    header, newline, body = data.partition(b"\n")
    if not newline:
        return None, "no daemon header line"
    try:
        fields = json.loads(header)
    except (ValueError, RecursionError):
        return None, "its header is not JSON"
    if not isinstance(fields, dict) or fields.get("format") != "json":
        return None, "its header names no JSON format"
    try:
        # JSON has no NaN or Infinity, but Python's json reads them (and the SDK's emitter
        # writes them for a float('nan') in metadata): null, or the console's answer for the
        # trace would be JSON no browser parses.
        document = json.loads(body, parse_constant=_no_constant)
    except (ValueError, RecursionError):  # not UTF-8 and too deep too
        return None, "its document is not JSON"
    if not isinstance(document, dict):
        return None, "its document is not a JSON object"
    return document, None


def _no_constant(name: str) -> None:
    return None
