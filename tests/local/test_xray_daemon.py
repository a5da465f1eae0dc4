"""The dev server's X-Ray daemon over real UDP: the SDK's own emitter sends, the store
keeps; garbage is counted and logged once, never raised."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from chalicelike.local._console_http import json_bytes
from chalicelike.local._traces import TraceStore
from chalicelike.local._xray_daemon import XrayDaemon, parse_datagram

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

ROOT = "1-5759e988-bd862e3fe1be46a994272793"
HEADER = b'{"format":"json","version":1}\n'


@pytest.fixture
async def daemon() -> AsyncIterator[tuple[XrayDaemon, list[str]]]:
    lines: list[str] = []
    started = XrayDaemon(TraceStore(), lines.append)
    await started.start()
    yield started, lines
    started.close()


def send(address: str, *datagrams: bytes) -> None:
    host, _, port = address.rpartition(":")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for datagram in datagrams:
            sock.sendto(datagram, (host, int(port)))


async def until(check: Callable[[], bool], seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.01)):
        if check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the daemon did not receive in time")


async def test_the_sdks_emitter_reaches_the_store(daemon: tuple[XrayDaemon, list[str]]) -> None:
    from aws_xray_sdk.core.emitters.udp_emitter import UDPEmitter
    from aws_xray_sdk.core.models.segment import Segment
    from aws_xray_sdk.core.models.subsegment import Subsegment

    server, lines = daemon
    assert server.address.startswith("127.0.0.1:")
    parent = Segment("facade", entityid="53995c3f42cd8ad8", traceid=ROOT, sampled=True)
    subsegment = Subsegment("SQS", "aws", parent)
    parent.add_subsegment(subsegment)
    subsegment.put_annotation("queue", "orders")
    subsegment.close()
    emitter = UDPEmitter(server.address)
    try:
        emitter.send_entity(subsegment)
    finally:
        emitter._socket.close()  # the SDK never closes its own
    await until(lambda: server.received == 1)
    [kept] = server.traces.trace(ROOT) or []
    assert kept["id"] == subsegment.id and kept["name"] == "SQS"
    assert kept["parent_id"] == "53995c3f42cd8ad8" and kept["type"] == "subsegment"
    assert kept["annotations"] == {"queue": "orders"}
    assert server.dropped == 0 and lines == []


async def test_garbage_is_counted_and_logged_once(daemon: tuple[XrayDaemon, list[str]]) -> None:
    server, lines = daemon
    document = json.dumps({"trace_id": ROOT, "id": "70de5b6f19ff9a0a", "name": "n"}).encode()
    send(
        server.address,
        b"no header at all",
        HEADER + b"{not json",
        HEADER + b"[1, 2]",
        b'{"format":"xml"}\n' + document,
        HEADER + b'{"id": "no trace"}',
        HEADER + b"[" * 100_00 + b"]" * 100_00,  # deeper than json may go
        HEADER + document,
    )
    await until(lambda: server.received + server.dropped == 7)
    assert (server.received, server.dropped) == (1, 6)
    assert len(lines) == 1 and "no daemon header line" in lines[0]
    assert server.traces.trace(ROOT) is not None


def test_a_datagram_is_read_as_the_sdk_writes_it() -> None:
    document: Any = {"trace_id": ROOT, "id": "70de5b6f19ff9a0a"}
    assert parse_datagram(HEADER + json.dumps(document).encode()) == (document, None)
    # The daemon's README writes the header with spaces: the same to JSON.
    spaced = b'{"format": "json", "version": 1}\n' + json.dumps(document).encode()
    assert parse_datagram(spaced) == (document, None)
    assert parse_datagram(HEADER + b"\xff") == (None, "its document is not JSON")


async def test_a_taken_port_leaves_the_server_without_a_daemon_and_says_so() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        lines: list[str] = []
        daemon = XrayDaemon(TraceStore(), lines.append, port=taken.getsockname()[1])
        await daemon.start()
    assert not daemon.started and "no X-Ray daemon" in lines[0]
    with pytest.raises(RuntimeError, match="has not started"):
        _ = daemon.address


async def test_nan_and_infinity_are_kept_as_null(daemon: tuple[XrayDaemon, list[str]]) -> None:
    # The SDK's emitter writes float('nan') in metadata as NaN: JSON to Python, not to a browser.
    server, _ = daemon
    document = b'{"trace_id": "%s", "id": "70de5b6f19ff9a0a", "start_time": Infinity,'
    document += b' "metadata": {"default": {"ratio": NaN, "low": -Infinity}}}'
    send(server.address, HEADER + document % ROOT.encode())
    await until(lambda: server.received == 1)
    [kept] = server.traces.trace(ROOT) or []
    assert kept["start_time"] is None
    assert kept["metadata"] == {"default": {"ratio": None, "low": None}}
    json.loads(json_bytes(kept), parse_constant=_refuse)  # what the console sends


def arrived(server: XrayDaemon, count: int) -> Callable[[], bool]:
    return lambda: server.received + server.dropped == count


def _refuse(name: str) -> None:
    raise AssertionError(f"{name} in the console's JSON")


async def test_a_flood_of_large_datagrams_stays_within_the_byte_budgets() -> None:
    lines: list[str] = []
    server = XrayDaemon(TraceStore(max_trace_bytes=150_000, max_total_bytes=400_000), lines.append)
    await server.start()
    padding = "x" * 60_000
    try:
        for n in range(12):  # one at a time: a burst of 60 KB datagrams outruns the socket
            root = f"1-00000000-{n // 4:024x}"  # four to a trace
            document = {"trace_id": root, "id": f"{n:016x}", "annotations": {"p": padding}}
            send(server.address, HEADER + json.dumps(document).encode())
            await until(arrived(server, n + 1))
    finally:
        server.close()
    assert (server.received, server.dropped) == (6, 6)  # two of each trace's four
    assert server.traces.total_bytes <= 400_000
    assert len(server.traces) == 3
    assert len(lines) == 1 and "over its 150000-byte budget" in lines[0]
