"""The console's invocation stream at the ASGI level, on a real InvocationLog: each record
once and in order, a slow client cut off and caught up by Last-Event-ID, a departed client
forgotten. (The real server's side, ending streams at Ctrl-C, is in test_console.py.)"""

from __future__ import annotations

import asyncio
import json
from collections.abc import MutableMapping
from typing import Any

import pytest

from chalicelike.local import _console_stream
from chalicelike.local._console_http import ConsoleError
from chalicelike.local._console_stream import QUEUE_SIZE, InvocationStreams
from chalicelike.local._invocation_log import InvocationLog, InvocationRecord

pytestmark = pytest.mark.anyio


def record(function: str = "work") -> InvocationRecord:
    return InvocationRecord(
        function=function,
        request_id="r",
        source="invoke",
        status="ok",
        started_at=0.0,
        duration_ms=1.0,
        billed_ms=1,
        memory_size_mb=128,
        max_memory_used_mb=20,
        init_duration_ms=None,
        event='{"secret": "payload"}',
        answer="null",
        logs="START ...",
    )


class Client:
    """One GET of the stream: what it was sent, and a door to leave by."""

    def __init__(self, last_event_id: str | None = None) -> None:
        headers = [] if last_event_id is None else [(b"last-event-id", last_event_id.encode())]
        self.scope: dict[str, Any] = {"type": "http", "headers": headers}
        self.inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.sent: list[MutableMapping[str, Any]] = []
        self.reading = asyncio.Event()  # cleared: the client reads nothing (a slow page)
        self.reading.set()

    async def receive(self) -> dict[str, Any]:
        return await self.inbox.get()

    async def send(self, message: MutableMapping[str, Any]) -> None:
        await self.reading.wait()
        self.sent.append(message)

    def leave(self) -> None:
        self.inbox.put_nowait({"type": "http.disconnect"})

    def events(self) -> list[dict[str, Any]]:
        text = b"".join(m.get("body", b"") for m in self.sent).decode()
        found = []
        for block in text.split("\n\n"):
            lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
            if lines.get("event") == "invocations":
                batch = json.loads(lines["data"])
                assert lines["id"] == batch[-1]["id"]  # what a reconnect resumes from
                found.extend(batch)
        return found

    def comments(self) -> list[str]:
        text = b"".join(m.get("body", b"") for m in self.sent).decode()
        return [line for line in text.splitlines() if line.startswith(":")]

    def ended(self) -> bool:
        return bool(self.sent) and self.sent[-1].get("more_body") is False


async def until(condition: Any, timeout: float = 5.0) -> None:
    async def poll() -> None:
        while not condition():
            await asyncio.sleep(0.01)

    await asyncio.wait_for(poll(), timeout)


async def test_each_new_invocation_is_sent_once_in_order_without_its_payloads() -> None:
    log = InvocationLog()
    client = Client()
    serving = asyncio.ensure_future(
        InvocationStreams(log).serve(client.scope, client.receive, client.send)
    )
    await until(lambda: client.sent)
    assert client.sent[0]["status"] == 200
    assert (b"content-type", b"text/event-stream; charset=utf-8") in client.sent[0]["headers"]
    for name in ("first", "second", "third"):
        log.add(record(name))
    await until(lambda: len(client.events()) == 3)
    events = client.events()
    assert [e["function"] for e in events] == ["first", "second", "third"]
    assert [e["id"] for e in events] == ["1", "2", "3"]
    assert not any("event" in e or "logs" in e or "answer" in e for e in events)
    client.leave()
    await asyncio.wait_for(serving, 2)
    log.add(record("after"))  # nobody listens any more
    assert len(client.events()) == 3
    assert log._subscribers == []


async def test_a_client_too_slow_is_cut_off_and_catches_up_by_last_event_id() -> None:
    log = InvocationLog(capacity=QUEUE_SIZE * 2)
    streams = InvocationStreams(log)
    slow = Client()
    serving = asyncio.ensure_future(streams.serve(slow.scope, slow.receive, slow.send))
    await until(lambda: len(slow.sent) == 2)  # the answer's start, and `retry:`
    log.add(record())
    await until(lambda: len(slow.events()) == 1)
    slow.reading.clear()  # the page stops reading: its queue fills
    for _ in range(QUEUE_SIZE + 5):
        log.add(record())
    slow.reading.set()
    await asyncio.wait_for(serving, 2)  # ended instead of queueing without end
    assert slow.ended()
    assert log._subscribers == []
    seen = [e["id"] for e in slow.events()]
    assert len(seen) < QUEUE_SIZE + 6

    # EventSource reconnects, saying the last id it got: it gets the rest, once each.
    again = Client(last_event_id=seen[-1])
    serving = asyncio.ensure_future(streams.serve(again.scope, again.receive, again.send))
    log.add(record("new"))
    await until(lambda: again.events() and again.events()[-1]["function"] == "new")
    again.leave()
    await asyncio.wait_for(serving, 2)
    ids = seen + [e["id"] for e in again.events()]
    assert ids == [str(n) for n in range(1, QUEUE_SIZE + 8)]


class UvicornCycle:
    """What `send` is bound to under uvicorn: its `keep_alive` turns false when the server
    begins a graceful stop."""

    def __init__(self, client: Client) -> None:
        self.keep_alive = True
        self.client = client

    async def send(self, message: MutableMapping[str, Any]) -> None:
        await self.client.send(message)


async def test_an_idle_stream_sleeps_until_a_record_comes(monkeypatch: pytest.MonkeyPatch) -> None:
    log = InvocationLog()
    client = Client()
    serving = asyncio.ensure_future(
        InvocationStreams(log).serve(client.scope, client.receive, client.send)
    )
    await until(lambda: len(client.sent) == 2)  # the answer's start, and `retry:`
    loop = asyncio.get_running_loop()
    timers: list[float] = []
    schedule = loop.call_at

    def counting(when: float, *args: Any, **kwargs: Any) -> Any:
        timers.append(when)
        return schedule(when, *args, **kwargs)

    monkeypatch.setattr(loop, "call_at", counting)
    await asyncio.sleep(1.0)  # this test's own timer: the only one while the stream idles
    assert len(timers) == 1, f"an idle stream set {len(timers) - 1} timers in a second"
    log.add(record("woken"))
    await until(lambda: len(client.events()) == 1)
    client.leave()
    await asyncio.wait_for(serving, 2)


async def test_an_idle_stream_still_sends_its_keep_alive(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_console_stream, "KEEPALIVE_SECONDS", 0.2)
    client = Client()
    serving = asyncio.ensure_future(
        InvocationStreams(InvocationLog()).serve(client.scope, client.receive, client.send)
    )
    await until(lambda: len(client.comments()) >= 2)
    client.leave()
    await asyncio.wait_for(serving, 2)
    assert set(client.comments()) == {": keep-alive"}


async def test_a_graceful_stop_ends_an_idle_stream_at_once() -> None:
    client = Client()
    cycle = UvicornCycle(client)
    streams = InvocationStreams(InvocationLog())
    serving = asyncio.ensure_future(streams.serve(client.scope, client.receive, cycle.send))
    await until(lambda: len(client.sent) == 2)
    cycle.keep_alive = False  # uvicorn's Server.shutdown, on each open exchange
    await asyncio.wait_for(serving, 1.0)
    assert client.ended()
    assert streams._watcher is None  # no stream left to watch: no timer either


async def test_streams_beyond_the_limit_are_503_naming_it() -> None:
    streams = InvocationStreams(InvocationLog(), max_streams=2)
    clients = [Client(), Client()]
    serving = [asyncio.ensure_future(streams.serve(c.scope, c.receive, c.send)) for c in clients]
    await until(lambda: all(c.sent for c in clients))
    third = Client()
    with pytest.raises(ConsoleError) as refused:
        await asyncio.wait_for(streams.serve(third.scope, third.receive, third.send), 2)
    assert refused.value.status == 503
    assert "2 console streams are open" in refused.value.message
    assert third.sent == []
    clients[0].leave()
    await asyncio.wait_for(serving[0], 2)
    again = asyncio.ensure_future(streams.serve(third.scope, third.receive, third.send))
    await until(lambda: third.sent)  # a place was free again
    for client in (clients[1], third):
        client.leave()
    await asyncio.wait_for(asyncio.gather(serving[1], again), 2)
    assert streams.open_streams == 0


@pytest.mark.parametrize("last_event_id", ["9" * 5_000, "\u00b2", "abc", "-1"])
async def test_an_ill_last_event_id_is_400_before_the_stream_begins(last_event_id: str) -> None:
    client = Client()
    client.scope["headers"] = [(b"last-event-id", last_event_id.encode())]
    with pytest.raises(ConsoleError) as refused:
        streams = InvocationStreams(InvocationLog())
        await asyncio.wait_for(streams.serve(client.scope, client.receive, client.send), 2)
    assert refused.value.status == 400 and "Last-Event-ID must be a whole number" in str(
        refused.value
    )
    assert client.sent == []


async def test_nan_in_a_record_goes_out_as_null() -> None:
    log = InvocationLog()
    client = Client()
    serving = asyncio.ensure_future(
        InvocationStreams(log).serve(client.scope, client.receive, client.send)
    )
    await until(lambda: client.sent)
    odd = record()
    odd.duration_ms = float("nan")
    log.add(odd)
    await until(lambda: b"invocations" in b"".join(m.get("body", b"") for m in client.sent))
    client.leave()
    await asyncio.wait_for(serving, 2)
    data = b"".join(m.get("body", b"") for m in client.sent).split(b"data: ")[1]
    [sent] = json.loads(data, parse_constant=_refuse)
    assert sent["duration_ms"] is None


def _refuse(name: str) -> None:
    raise AssertionError(f"{name} in the stream")
