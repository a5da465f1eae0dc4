"""Lambda's Runtime API for one local execution environment, over HTTP/1.1 with httptools.

AWS gives every execution environment its own endpoint (AWS_LAMBDA_RUNTIME_API); so do we.
The runtime client in the worker (our `_bootstrap` or AWS's awslambdaric) long-polls
`/runtime/invocation/next` here and posts the outcome back; `RuntimeApiServer.invoke`
hands one invocation in and awaits that outcome. Only the worker's own processes are
served (`admit_group`): any other local process gets 403 (see docs/security.md).
"""

from __future__ import annotations

import asyncio
import enum
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from http import HTTPStatus

import httptools

from ._invocation import MAX_SYNC_PAYLOAD_BYTES, error_payload
from ._peers import can_check_peers, held_by_group

__all__ = ["RESPONSE_TOO_LARGE", "Invocation", "OutcomeKind", "RuntimeApiServer", "RuntimeOutcome"]

_NEXT = b"/2018-06-01/runtime/invocation/next"
_INVOCATION = b"/2018-06-01/runtime/invocation/"
_INIT_ERROR = b"/2018-06-01/runtime/init/error"
_ERROR_TYPE_HEADER = b"lambda-runtime-function-error-type"
# A head (request line and headers) still growing this many bytes past its first read is
# refused, as h11 (this module's parser before httptools) refused one above 16 KiB:
# httptools would hold all of it.
_MAX_HEAD_BYTES = 16 * 1024
_STATUS_LINES = {
    code: b"HTTP/1.1 %d %s" % (code, HTTPStatus(code).phrase.encode())
    for code in (200, 202, 400, 403, 404, 413)
}
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
_KEEP_ALIVE = b"\r\n"  # what ends the head of an answer on a connection kept open
_CLOSE = b"connection: close\r\n\r\n"


@dataclass(frozen=True)
class _Answer:
    """A response as written: `head` is its status line and headers but the last line end."""

    head: bytes
    body: bytes


def _answer(status: int, body: bytes, headers: Sequence[tuple[bytes, bytes]] = ()) -> _Answer:
    lines = [
        _STATUS_LINES[status],
        b"content-type: application/json",
        *[name + b": " + value for name, value in headers],
        b"content-length: %d" % len(body),
    ]
    return _Answer(b"\r\n".join(lines) + b"\r\n", body)


# The runtime API's own answers (Lambda's RAPID answers 202 {"status":"OK"} to a post).
_ACCEPTED = _answer(202, b'{"status":"OK"}')
_INVALID_ID = _answer(400, error_payload("Invalid request ID", "InvalidRequestID"))
_NOT_FOUND = _answer(404, error_payload("Not Found", "NotFound"))
_BAD_REQUEST = _answer(400, error_payload("Bad Request", "BadRequest"))
_FORBIDDEN = _answer(
    403,
    error_payload(
        "This Runtime API serves only the worker process chalicelike local started for it",
        "AccessDenied",
    ),
)
_TOO_LARGE = _answer(413, error_payload("Payload too large", "RequestEntityTooLarge"))
# What the invoker gets when the response is too big: Lambda's Function.ResponseSizeTooLarge.
RESPONSE_TOO_LARGE = error_payload(
    "Response payload size exceeded maximum allowed payload size"
    f" ({MAX_SYNC_PAYLOAD_BYTES} bytes).",
    "Function.ResponseSizeTooLarge",
)


class OutcomeKind(enum.Enum):
    """What the runtime posted for an invocation."""

    RESPONSE = "response"  # POST /runtime/invocation/{id}/response
    ERROR = "error"  # POST /runtime/invocation/{id}/error (or a response over 6 MB)
    INIT_ERROR = "init_error"  # POST /runtime/init/error


@dataclass(frozen=True)
class RuntimeOutcome:
    """One invocation's outcome as the runtime reported it."""

    kind: OutcomeKind
    body: bytes  # the response payload, or Lambda's error document
    error_type: str | None = None  # Lambda-Runtime-Function-Error-Type, when posted


@dataclass
class Invocation:
    """One event for the runtime, with what GET /next puts in its headers."""

    request_id: str
    payload: bytes
    deadline_ms: int  # epoch milliseconds (Lambda-Runtime-Deadline-Ms), set as it starts
    function_arn: str
    trace_id: str
    client_context: str | None = None  # JSON
    cognito_identity: str | None = None  # JSON


class RuntimeApiServer:
    """The Runtime API of one execution environment, on 127.0.0.1 and a free port."""

    def __init__(self) -> None:
        self._server: asyncio.AbstractServer | None = None
        self._connections: set[_RuntimeConnection] = set()
        # Parked in GET /next, oldest first. A handler's child shares the worker's process
        # group and may poll too: every poll is kept, so one that goes away (with or
        # without an event) never leaves the bootstrap's own poll forgotten.
        self._pollers: list[_RuntimeConnection] = []
        self._holder: _RuntimeConnection | None = None  # took the current invocation
        self._group: int | None = None  # the process group served; None: nobody yet
        self._current: Invocation | None = None  # handed in, outcome not yet posted
        self._ready: asyncio.Future[RuntimeOutcome | None] | None = None  # wait_ready's
        self._outcome: asyncio.Future[RuntimeOutcome] | None = None  # invoke's
        self._init_error: RuntimeOutcome | None = None
        self.address = ""  # "127.0.0.1:PORT", the value of AWS_LAMBDA_RUNTIME_API
        self.first_poll_at: float | None = None  # perf_counter() of the first GET /next
        self.delivered = False  # whether the runtime has taken the current invocation
        self._closed: BaseException | None = None

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: _RuntimeConnection(self), "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.address = f"127.0.0.1:{port}"

    def admit_group(self, group: int) -> None:
        """Serve connections held by process `group` or a member of its process group.

        Until then, and for anyone else, every request gets 403: a local process must not
        take an event (with its Authorization header) or post a forged answer.
        """
        self._group = group

    def admits(self, transport: asyncio.Transport) -> bool:
        if self._group is None:
            return False
        if not can_check_peers():
            return True  # no /proc (not Linux): loopback only, as documented
        sock = transport.get_extra_info("socket")
        return sock is not None and held_by_group(sock, self._group)

    def close(self, reason: BaseException | None = None) -> None:
        """Stop listening and drop every connection (the environment is gone).

        What is awaited now, and any later `wait_ready` or `invoke`, raises `reason`.
        """
        self._closed = reason or ConnectionAbortedError("the Runtime API is closed")
        if self._server is not None:
            self._server.close()
            self._server = None
        for connection in list(self._connections):
            connection.close()
        self.interrupt(self._closed)

    async def wait_ready(self) -> RuntimeOutcome | None:
        """Wait for the end of init: None at the first GET /next, else the init error."""
        if self._init_error is not None or self.first_poll_at is not None:
            return self._init_error
        if self._closed is not None:
            raise self._closed
        self._ready = asyncio.get_running_loop().create_future()
        try:
            return await self._ready
        finally:
            self._ready = None

    async def invoke(self, invocation: Invocation) -> RuntimeOutcome:
        """Hand the invocation to the runtime and wait for what it posts back.

        Cancelling (or `interrupt`) abandons the invocation: a late post for it gets 400.
        """
        if self._init_error is not None:
            return self._init_error
        if self._closed is not None:
            raise self._closed
        _check_headers(invocation)
        self._current = invocation
        self._holder = None
        self.delivered = False
        self._outcome = asyncio.get_running_loop().create_future()
        self._hand_to_a_poller()
        try:
            return await self._outcome
        finally:
            self._current = None
            self._outcome = None

    def interrupt(self, reason: BaseException) -> None:
        """Fail whatever is being awaited (the pool's timeout, memory and exit watchers)."""
        for waiter in (self._ready, self._outcome):
            if waiter is not None and not waiter.done():
                waiter.set_exception(reason)

    def _resolve(self, outcome: RuntimeOutcome) -> None:
        if self._outcome is not None and not self._outcome.done():
            self._outcome.set_result(outcome)

    def _hand_to_a_poller(self) -> None:
        """Deliver the pending invocation to the oldest parked poll still open, if any."""
        while self._pollers:
            poller = self._pollers.pop(0)
            if poller.is_open():
                self._deliver(poller)
                poller.resume()  # whatever the runtime sent after its GET
                return

    def _deliver(self, connection: _RuntimeConnection) -> None:
        invocation = self._current
        assert invocation is not None
        self._holder = connection
        self.delivered = True
        headers = [
            (b"lambda-runtime-aws-request-id", invocation.request_id.encode()),
            (b"lambda-runtime-deadline-ms", str(invocation.deadline_ms).encode()),
            (b"lambda-runtime-invoked-function-arn", invocation.function_arn.encode()),
            (b"lambda-runtime-trace-id", invocation.trace_id.encode()),
        ]
        if invocation.client_context is not None:
            headers.append(
                (b"lambda-runtime-client-context", _header_json(invocation.client_context))
            )
        if invocation.cognito_identity is not None:
            value = _header_json(invocation.cognito_identity)
            headers.append((b"lambda-runtime-cognito-identity", value))
        connection.respond(_answer(200, invocation.payload, headers))

    def handle(self, connection: _RuntimeConnection, request: _Request, body: bytes) -> None:
        """Route one complete request; GET /next may be left parked without an answer."""
        target, method = request.target, request.method
        if target == _NEXT and method == b"GET":
            self._on_next(connection)
        elif target.startswith(_INVOCATION) and method == b"POST":
            request_id, _, action = target[len(_INVOCATION) :].partition(b"/")
            if action == b"response":
                self._on_response(connection, request_id, request, body)
            elif action == b"error":
                self._on_error(connection, request_id, request, body)
            else:
                connection.respond(_NOT_FOUND)
        elif target == _INIT_ERROR and method == b"POST":
            self._on_init_error(connection, request, body)
        else:
            connection.respond(_NOT_FOUND)

    def _on_next(self, connection: _RuntimeConnection) -> None:
        if self.first_poll_at is None:
            self.first_poll_at = time.perf_counter()
            if self._ready is not None and not self._ready.done():
                self._ready.set_result(None)  # init is over
        if self._current is not None and self._holder is None:
            self._deliver(connection)
        else:
            self._pollers.append(connection)  # long poll until an invocation is handed in

    def _take(self, request_id: bytes) -> bool:
        """Whether the id is the delivered invocation's; it is then no longer pending."""
        current = self._current
        if current is None or not self.delivered or request_id != current.request_id.encode():
            return False
        self._current = None
        self._holder = None
        return True

    def _lost(self, connection: _RuntimeConnection) -> None:
        if connection in self._pollers:
            self._pollers.remove(connection)
        if self._holder is connection and self._current is not None:
            # It took the event and went away without an answer: the event goes back to
            # another parked poll, or waits for the next GET /next, instead of vanishing
            # until the timeout.
            self._holder = None
            self._hand_to_a_poller()

    def _on_response(
        self, connection: _RuntimeConnection, request_id: bytes, request: _Request, body: bytes
    ) -> None:
        if not self._take(request_id):
            connection.respond(_INVALID_ID)
        elif request.too_large:
            # Lambda refuses a response above 6 MB and fails the invocation with it.
            self._resolve(RuntimeOutcome(OutcomeKind.ERROR, RESPONSE_TOO_LARGE))
            connection.respond(_TOO_LARGE)
        else:
            self._resolve(RuntimeOutcome(OutcomeKind.RESPONSE, body))
            connection.respond(_ACCEPTED, hold=True)

    def _on_error(
        self,
        connection: _RuntimeConnection,
        request_id: bytes,
        request: _Request,
        body: bytes,
    ) -> None:
        if not self._take(request_id):
            connection.respond(_INVALID_ID)
            return
        self._resolve(_error_outcome(OutcomeKind.ERROR, request, body))
        connection.respond(_ACCEPTED, hold=True)

    def _on_init_error(
        self, connection: _RuntimeConnection, request: _Request, body: bytes
    ) -> None:
        outcome = _error_outcome(OutcomeKind.INIT_ERROR, request, body)
        self._init_error = outcome
        self._current = None
        if self._ready is not None and not self._ready.done():
            self._ready.set_result(outcome)
        self._resolve(outcome)
        connection.respond(_ACCEPTED)


def _header_json(document: str) -> bytes:
    # A header value cannot hold a line break; in JSON one can only be whitespace
    # between tokens (inside strings it must be escaped), so a space means the same.
    return document.replace("\r", " ").replace("\n", " ").encode()


def _check_headers(invocation: Invocation) -> None:
    """Refuse what would break GET /next's head (the pool's own values never do)."""
    values = [invocation.request_id, invocation.function_arn, invocation.trace_id]
    joined = "".join(values)
    if "\r" in joined or "\n" in joined:
        raise ValueError(f"an invocation's header value holds a line break: {values!r}")


def _error_outcome(kind: OutcomeKind, request: _Request, body: bytes) -> RuntimeOutcome:
    error_type = request.error_type
    if request.too_large or not body:
        # The document itself is unusable: Lambda still reports the header's type.
        body = error_payload("", error_type or "Unhandled")
    return RuntimeOutcome(kind, body, error_type)


class _Refused(Exception):
    """Raised from a parser callback: httptools then fails the request as malformed."""


@dataclass(slots=True)
class _Request:
    """One request as the parser has read it so far; what the routes look at."""

    target: bytes = b""
    method: bytes = b""
    error_type: str | None = None  # Lambda-Runtime-Function-Error-Type (the last one)
    body: bytes = b""
    too_large: bool = False  # the body was above 6 MB (and dropped)
    keep_alive: bool = True
    expects_continue: bool = False  # Expect: 100-continue, not answered yet
    has_host: bool = False
    head_done: bool = False


class _RuntimeConnection(asyncio.Protocol):
    """One TCP connection of the runtime client: keep-alive, requests answered in order.

    httptools parses whatever arrives at once, calling the `on_*` methods below; complete
    requests queue up behind one still awaiting its answer (a parked GET /next), and
    reading pauses while they wait. Malformed HTTP gets 400 in its turn, then the
    connection closes.
    """

    def __init__(self, server: RuntimeApiServer) -> None:
        self._server = server
        self._parser = httptools.HttpRequestParser(self)
        self._transport: asyncio.Transport | None = None
        self._request: _Request | None = None  # being read
        self._body: list[bytes] = []
        self._size = 0
        self._head_size = 0  # bytes received while the head stayed incomplete
        self._messages = 0  # requests begun, to tell the current head from the last
        self._queue: deque[_Request | None] = deque()  # read, not handled; None: malformed
        self._answering: _Request | None = None  # handled, not answered yet
        self._held: list[bytes] = []  # answers not written yet
        self._broken = False  # the parser failed: what follows is ignored
        self._admitted = False  # held by the worker's own processes
        self._paused = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._server._connections.add(self)
        self._admitted = self._server.admits(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        self._server._connections.discard(self)
        self._server._lost(self)
        self._transport = None
        self._queue.clear()

    def data_received(self, data: bytes) -> None:
        if self._broken:
            return
        request = self._request
        head_of = self._messages if request is not None and not request.head_done else -1
        try:
            self._parser.feed_data(data)
        except (httptools.HttpParserError, httptools.HttpParserUpgrade):
            self._fail()
        else:
            request = self._request
            if request is not None and not request.head_done and self._messages == head_of:
                self._head_size += len(data)  # all of it was head
                if self._head_size > _MAX_HEAD_BYTES:
                    self._fail()
        self.resume()

    def eof_received(self) -> bool | None:
        if self._request is not None and not self._broken:
            self._fail()  # the client stopped mid-request
        self.resume()
        return None  # asyncio closes the transport

    def is_open(self) -> bool:
        return self._transport is not None and not self._transport.is_closing()

    def close(self) -> None:
        self._broken = True
        self._queue.clear()
        if self._transport is not None:
            self._transport.close()

    # -- httptools callbacks -----------------------------------------------------------

    def on_message_begin(self) -> None:
        self._request = _Request()
        self._messages += 1
        self._head_size = 0
        self._body = []
        self._size = 0

    def on_url(self, url: bytes) -> None:
        assert self._request is not None
        self._request.target += url

    def on_header(self, name: bytes, value: bytes) -> None:
        assert self._request is not None
        name = name.lower()
        if name == _ERROR_TYPE_HEADER:
            self._request.error_type = value.strip().decode("latin-1")
        elif name == b"host":
            self._request.has_host = True
        elif name == b"expect" and value.strip().lower() == b"100-continue":
            self._request.expects_continue = True

    def on_headers_complete(self) -> None:
        request, parser = self._request, self._parser
        assert request is not None
        if parser.should_upgrade():
            # Lambda's Runtime API speaks plain HTTP/1.1: no runtime client asks to switch.
            raise _Refused("upgrade")
        version = parser.get_http_version()
        if version == "1.1":
            if not request.has_host:
                # RFC 9112 3.2 makes it a 400, as Lambda's RAPID (Go's net/http) answers.
                raise _Refused("HTTP/1.1 without Host")
        else:
            request.expects_continue = False  # an HTTP/1.0 client does not wait for it
        request.method = parser.get_method()
        request.keep_alive = parser.should_keep_alive()
        request.head_done = True

    def on_body(self, data: bytes) -> None:
        request = self._request
        assert request is not None
        request.expects_continue = False  # it sent the body without waiting
        self._size += len(data)
        if self._size > MAX_SYNC_PAYLOAD_BYTES:
            request.too_large = True
            self._body = []  # keep reading to the end, but stop holding it
        else:
            self._body.append(data)

    def on_message_complete(self) -> None:
        request, self._request = self._request, None
        assert request is not None
        parts, self._body = self._body, []
        request.body = parts[0] if len(parts) == 1 else b"".join(parts)
        self._queue.append(request)

    # -- answering ---------------------------------------------------------------------

    def _fail(self) -> None:
        """The rest of the stream is not HTTP: answer 400 after what came before."""
        self._broken = True
        self._request = None
        self._queue.append(None)

    def resume(self) -> None:
        """Handle the requests read so far, in order; stops at one awaiting its answer."""
        queue = self._queue
        while queue and self._answering is None and self._transport is not None:
            request = queue.popleft()
            if request is None or not self._admitted:
                self._answering = _Request(keep_alive=False)
                self.respond(_BAD_REQUEST if request is None else _FORBIDDEN)
                return
            self._answering = request
            self._server.handle(self, request, request.body)
        transport = self._transport
        if transport is None or (self._broken and not queue):
            return
        if queue:
            # Requests wait behind a parked one: stop reading until it is answered.
            if not self._paused:
                self._paused = True
                transport.pause_reading()
            return
        if self._paused:
            self._paused = False
            transport.resume_reading()
        request = self._request
        if self._answering is None and request is not None and request.expects_continue:
            # curl (awslambdaric's native client) sends Expect: 100-continue for big
            # bodies; it is asked to go on only once the requests before are answered.
            request.expects_continue = False
            self._held.append(_CONTINUE)
            self._write()

    def respond(self, answer: _Answer, *, hold: bool = False) -> None:
        """Answer the current request; `hold` may keep the bytes for the next write.

        A runtime that pipelines its next GET behind an outcome's POST (our bootstrap)
        is woken once, by the 202 and the next invocation together, not twice.
        """
        request, self._answering = self._answering, None
        keep_alive = request is None or request.keep_alive
        held = self._held
        held.append(answer.head)
        held.append(_KEEP_ALIVE if keep_alive else _CLOSE)
        held.append(answer.body)
        if not keep_alive:
            self._write()
            self.close()
        elif not hold or not self._next_is_waiting():
            self._write()
        # else a whole request head is waiting behind this one: answer both at once

    def _next_is_waiting(self) -> bool:
        request = self._request
        return bool(self._queue) or (request is not None and request.head_done)

    def _write(self) -> None:
        chunks, self._held = self._held, []
        if self._transport is not None:
            self._transport.write(b"".join(chunks))
