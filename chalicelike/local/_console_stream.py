"""`GET /_chalicelike/api/stream`: the finished invocations, pushed to the browser as
Server-Sent Events while the page is open (a batch at most ten times a second; an idle
stream sleeps until a record comes, and at most `MAX_STREAMS` are open at once).

Each client gets a bounded queue; a client too slow to keep up is ended, and its
EventSource reconnects with Last-Event-ID, from which the ring's newer records are sent
again, so nothing the ring still holds is missed and nothing piles up here. A stream ends
when the client goes away and when uvicorn begins a graceful shutdown (it marks each open
exchange not keep-alive), so stopping the server never waits on an open page.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from .._core._types import Receive, Scope, Send
from ._console_http import SECURITY_HEADERS, ConsoleError, json_bytes, whole_number
from ._invocation_log import InvocationLog, InvocationRecord

__all__ = ["InvocationStreams", "summary"]

QUEUE_SIZE = 256  # records waiting for one client; beyond it the client reconnects
# Records go out in batches, one write and one browser event per batch at most this often:
# a stream woken per record (and a page redrawn per record) cost the requests being served
# around 10 % of their keep-alive latency; a tenth of a second is still "live" to a reader.
BATCH_SECONDS = 0.1
KEEPALIVE_SECONDS = 15.0  # a comment line, so proxies and browsers keep an idle stream
RETRY_MS = 1000  # how soon EventSource reconnects
# Each open stream holds a subscriber, a queue and a task: a local process opening a thousand
# would tax every invocation and request. Beyond this many: 503.
MAX_STREAMS = 16
# uvicorn's graceful stop only flips a flag on each open exchange (see `_uvicorn_stopping`):
# one watcher looks at every open stream this often, rather than each stream waking to look.
STOP_CHECK_SECONDS = 0.25
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
    data = json_bytes([summary(record) for record in records])
    return b"id: %s\nevent: invocations\ndata: %s\n\n" % (records[-1].id.encode(), data)


class _Stream:
    """One client's stream: its queue, and the event that wakes it (a record, the client
    leaving, the server stopping)."""

    def __init__(self, stopping: Callable[[], bool]) -> None:
        self.queue: asyncio.Queue[InvocationRecord] = asyncio.Queue(QUEUE_SIZE)
        self.wake = asyncio.Event()
        self.overflowed = False
        self.stopping = stopping

    def on_record(self, record: InvocationRecord) -> None:
        try:
            self.queue.put_nowait(record)
        except asyncio.QueueFull:
            self.overflowed = True
        self.wake.set()


class InvocationStreams:
    """Serves the stream to every client of the console, `max_streams` at once."""

    def __init__(self, invocations: InvocationLog, max_streams: int = MAX_STREAMS) -> None:
        self.invocations = invocations
        self.max_streams = max_streams
        self._open: set[_Stream] = set()
        self._watched: set[_Stream] = set()  # those a server's graceful stop can end
        self._watcher: asyncio.Future[None] | None = None

    @property
    def open_streams(self) -> int:
        return len(self._open)

    async def serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The stream, until the client leaves, falls behind or the server stops;
        ConsoleError (before any answer) for too many streams or an ill Last-Event-ID."""
        if len(self._open) >= self.max_streams:
            raise ConsoleError(
                503,
                f"{self.max_streams} console streams are open, the most the server keeps at"
                " once: close a console tab (the page tries again)",
                [(b"retry-after", b"5")],
            )
        last_id = _last_event_id(scope)
        stream = _Stream(_uvicorn_stopping(send))
        self._open.add(stream)
        unsubscribe = self.invocations.subscribe(stream.on_record)
        disconnected = asyncio.ensure_future(_until_disconnect(receive))
        disconnected.add_done_callback(lambda _: stream.wake.set())
        self._watch(stream)
        try:
            await self._stream(send, stream, last_id, disconnected)
        finally:
            self._open.discard(stream)
            self._unwatch(stream)
            unsubscribe()
            disconnected.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await disconnected

    async def _stream(
        self, send: Send, stream: _Stream, last_id: int | None, disconnected: asyncio.Future[None]
    ) -> None:
        headers = [
            *SECURITY_HEADERS,
            (b"content-type", b"text/event-stream; charset=utf-8"),
            (b"x-accel-buffering", b"no"),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        missed = self._missed(last_id)
        # A record both missed and queued (it came while the answer began) goes out once.
        sent_upto = max((int(record.id) for record in missed), default=0)
        opening = f"retry: {RETRY_MS}\n\n".encode() + event_text(missed)
        await send({"type": "http.response.body", "body": opening, "more_body": True})
        clock = asyncio.get_running_loop().time
        last_write = clock()
        while not (disconnected.done() or stream.overflowed or stream.stopping()):
            if stream.queue.empty():
                # Idle: asleep until woken or the keep-alive comment is due, no timer between.
                await _wait(stream.wake, last_write + KEEPALIVE_SECONDS - clock())
                if stream.queue.empty():
                    stream.wake.clear()
                    if clock() >= last_write + KEEPALIVE_SECONDS:
                        await send(_body(b": keep-alive\n\n"))
                        last_write = clock()
                    continue
            # Busy: let the burst gather, then one write (at most one a BATCH_SECONDS).
            await asyncio.sleep(BATCH_SECONDS)
            stream.wake.clear()
            batch = []
            while not stream.queue.empty():
                record = stream.queue.get_nowait()
                if int(record.id) > sent_upto:
                    batch.append(record)
            if batch:
                await send(_body(event_text(batch)))
                last_write = clock()
        if not disconnected.done():
            with contextlib.suppress(Exception):  # the client left meanwhile
                await send({"type": "http.response.body", "body": b"", "more_body": False})

    def _missed(self, last_id: int | None) -> list[InvocationRecord]:
        """After a reconnect: the records newer than the Last-Event-ID the browser sent,
        oldest first."""
        if last_id is None:
            return []
        newer = [
            record
            for record in self.invocations.newest(limit=len(self.invocations) or 1)
            if int(record.id) > last_id
        ]
        return newer[::-1]

    def _watch(self, stream: _Stream) -> None:
        if stream.stopping is _never:
            return
        self._watched.add(stream)
        if self._watcher is None:
            self._watcher = asyncio.ensure_future(self._watch_stops())

    def _unwatch(self, stream: _Stream) -> None:
        self._watched.discard(stream)
        if not self._watched and self._watcher is not None:
            self._watcher.cancel()  # nothing left to watch: no timer while no page is open
            self._watcher = None

    async def _watch_stops(self) -> None:
        while True:
            await asyncio.sleep(STOP_CHECK_SECONDS)
            for stream in list(self._watched):
                if stream.stopping():
                    stream.wake.set()


def _last_event_id(scope: Scope) -> int | None:
    """The Last-Event-ID a reconnecting EventSource sends (an id this stream gave it), or
    None; ConsoleError 400 for one that is no such id."""
    raw = next((v for k, v in scope["headers"] if k == b"last-event-id"), b"")
    text = raw.decode("latin-1").strip()
    return whole_number(text, "Last-Event-ID") if text else None


async def _wait(event: asyncio.Event, seconds: float) -> None:
    if seconds <= 0:
        return
    with contextlib.suppress(asyncio.TimeoutError):  # TimeoutError itself from 3.11 on
        await asyncio.wait_for(event.wait(), seconds)


def _body(data: bytes) -> dict[str, Any]:
    return {"type": "http.response.body", "body": data, "more_body": True}


async def _until_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


def _never() -> bool:
    return False


def _uvicorn_stopping(send: Send) -> Callable[[], bool]:
    """A check that turns true once uvicorn begins its graceful shutdown.

    uvicorn's shutdown asks each open exchange to close after its answer (it sets the
    request cycle's `keep_alive` to False) and then waits for the answers to finish: a
    stream that never finishes would hold the stop for its whole grace period, then be
    cancelled. `send` is that cycle's bound method; any other server: never true.
    """
    cycle = getattr(send, "__self__", None)
    if cycle is None or not getattr(cycle, "keep_alive", False):
        return _never
    return lambda: not cycle.keep_alive
