"""`GET /_chalicelike/api/stream`: the finished invocations, pushed to the browser as
Server-Sent Events while the page is open (a batch at most ten times a second).

Each client gets a bounded queue; a client too slow to keep up is ended, and its
EventSource reconnects with Last-Event-ID, from which the ring's newer records are sent
again, so nothing the ring still holds is missed and nothing piles up here. A stream ends
when the client goes away and when uvicorn begins a graceful shutdown (it marks each open
exchange not keep-alive), so stopping the server never waits on an open page.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from .._core._types import Receive, Scope, Send
from ._console_http import SECURITY_HEADERS
from ._invocation_log import InvocationLog, InvocationRecord

__all__ = ["InvocationStreams", "summary"]

QUEUE_SIZE = 256  # records waiting for one client; beyond it the client reconnects
# Records go out in batches, one write and one browser event per batch at most this often:
# a stream woken per record (and a page redrawn per record) cost the requests being served
# around 10 % of their keep-alive latency; a tenth of a second is still "live" to a reader.
BATCH_SECONDS = 0.1
KEEPALIVE_SECONDS = 15.0  # a comment line, so proxies and browsers keep an idle stream
RETRY_MS = 1000  # how soon EventSource reconnects
# Kept out of the stream: the page fetches them when an invocation is opened.
_HEAVY_FIELDS = ("event", "answer", "logs")


def summary(record: InvocationRecord) -> dict[str, Any]:
    """A record without its event, answer and logs (up to 64 KiB each)."""
    data = record.to_json()
    for name in _HEAVY_FIELDS:
        data.pop(name, None)
    return data


def event_text(records: list[InvocationRecord]) -> bytes:
    """One `invocations` event: the records, oldest first; its id the newest's."""
    if not records:
        return b""
    data = json.dumps([summary(record) for record in records], separators=(",", ":"))
    return f"id: {records[-1].id}\nevent: invocations\ndata: {data}\n\n".encode()


class InvocationStreams:
    """Serves the stream to every client of the console."""

    def __init__(self, invocations: InvocationLog) -> None:
        self.invocations = invocations

    async def serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        queue: asyncio.Queue[InvocationRecord] = asyncio.Queue(QUEUE_SIZE)
        overflowed = asyncio.Event()

        def on_record(record: InvocationRecord) -> None:
            try:
                queue.put_nowait(record)
            except asyncio.QueueFull:
                overflowed.set()

        unsubscribe = self.invocations.subscribe(on_record)
        disconnected = asyncio.ensure_future(_until_disconnect(receive))
        try:
            await self._stream(scope, send, queue, overflowed, disconnected)
        finally:
            unsubscribe()
            disconnected.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await disconnected

    async def _stream(
        self,
        scope: Scope,
        send: Send,
        queue: asyncio.Queue[InvocationRecord],
        overflowed: asyncio.Event,
        disconnected: asyncio.Future[None],
    ) -> None:
        headers = [
            *SECURITY_HEADERS,
            (b"content-type", b"text/event-stream; charset=utf-8"),
            (b"x-accel-buffering", b"no"),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        missed = self._missed(scope)
        # A record both missed and queued (it came while the answer began) goes out once.
        sent_upto = max((int(record.id) for record in missed), default=0)
        opening = f"retry: {RETRY_MS}\n\n".encode() + event_text(missed)
        await send({"type": "http.response.body", "body": opening, "more_body": True})
        stopping = _uvicorn_stopping(send)
        idle = 0.0
        while not (disconnected.done() or overflowed.is_set() or stopping()):
            await asyncio.sleep(BATCH_SECONDS)
            batch = []
            while not queue.empty():
                record = queue.get_nowait()
                if int(record.id) > sent_upto:
                    batch.append(record)
            if batch:
                idle = 0.0
                await send(_body(event_text(batch)))
            else:
                idle += BATCH_SECONDS
                if idle >= KEEPALIVE_SECONDS:
                    idle = 0.0
                    await send(_body(b": keep-alive\n\n"))
        if not disconnected.done():
            with contextlib.suppress(Exception):  # the client left meanwhile
                await send({"type": "http.response.body", "body": b"", "more_body": False})

    def _missed(self, scope: Scope) -> list[InvocationRecord]:
        """After a reconnect: the records newer than the Last-Event-ID the browser sends,
        oldest first."""
        last = next((v for k, v in scope["headers"] if k == b"last-event-id"), b"")
        if not last.isdigit():
            return []
        newer = [
            record
            for record in self.invocations.newest(limit=len(self.invocations) or 1)
            if int(record.id) > int(last)
        ]
        return newer[::-1]


def _body(data: bytes) -> dict[str, Any]:
    return {"type": "http.response.body", "body": data, "more_body": True}


async def _until_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


def _uvicorn_stopping(send: Send) -> Any:
    """A check that turns true once uvicorn begins its graceful shutdown.

    uvicorn's shutdown asks each open exchange to close after its answer (it sets the
    request cycle's `keep_alive` to False) and then waits for the answers to finish: a
    stream that never finishes would hold the stop for its whole grace period, then be
    cancelled. `send` is that cycle's bound method; any other server: never true.
    """
    cycle = getattr(send, "__self__", None)
    if cycle is None or not getattr(cycle, "keep_alive", False):
        return lambda: False
    return lambda: not cycle.keep_alive
