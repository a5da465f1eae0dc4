"""Lambda's Runtime API for one local execution environment, over HTTP/1.1 with h11.

AWS gives every execution environment its own endpoint (AWS_LAMBDA_RUNTIME_API); so do we.
The runtime client in the worker (our `_bootstrap` or AWS's awslambdaric) long-polls
`/runtime/invocation/next` here and posts the outcome back; `RuntimeApiServer.invoke`
hands one invocation in and awaits that outcome.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import time
from collections.abc import Sequence
from dataclasses import dataclass

import h11

from ._invocation import MAX_SYNC_PAYLOAD_BYTES, error_payload

_NEXT = b"/2018-06-01/runtime/invocation/next"
_INVOCATION = b"/2018-06-01/runtime/invocation/"
_INIT_ERROR = b"/2018-06-01/runtime/init/error"
_ERROR_TYPE_HEADER = b"lambda-runtime-function-error-type"


@dataclass(frozen=True)
class _Answer:
    """A response h11 has validated once: reusing the event skips that on every request."""

    event: h11.Response
    body: bytes


def _answer(status: int, body: bytes, headers: Sequence[tuple[bytes, bytes]] = ()) -> _Answer:
    fields = [
        (b"content-type", b"application/json"),
        *headers,
        (b"content-length", b"%d" % len(body)),
    ]
    return _Answer(h11.Response(status_code=status, headers=fields), body)


# The runtime API's own answers (Lambda's RAPID answers 202 {"status":"OK"} to a post).
_ACCEPTED = _answer(202, b'{"status":"OK"}')
_INVALID_ID = _answer(400, error_payload("Invalid request ID", "InvalidRequestID"))
_NOT_FOUND = _answer(404, error_payload("Not Found", "NotFound"))
_BAD_REQUEST = _answer(400, error_payload("Bad Request", "BadRequest"))
_TOO_LARGE = _answer(413, error_payload("Payload too large", "RequestEntityTooLarge"))
_END = h11.EndOfMessage()  # events are immutable: one serves every response
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
        self._poller: _RuntimeConnection | None = None  # parked in GET /next
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
        self._current = invocation
        self.delivered = False
        self._outcome = asyncio.get_running_loop().create_future()
        poller = self._poller
        if poller is not None:
            self._deliver(poller)
            poller.resume()  # whatever the runtime sent after its GET
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

    def _deliver(self, connection: _RuntimeConnection) -> None:
        invocation = self._current
        assert invocation is not None
        self._poller = None
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

    def handle(self, connection: _RuntimeConnection, request: h11.Request, body: bytes) -> None:
        """Route one complete request; GET /next may be left parked without an answer."""
        target, method = request.target, request.method
        if target == _NEXT and method == b"GET":
            self._on_next(connection)
        elif target.startswith(_INVOCATION) and method == b"POST":
            request_id, _, action = target[len(_INVOCATION) :].partition(b"/")
            if action == b"response":
                self._on_response(connection, request_id, body)
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
        if self._current is not None and not self.delivered:
            self._poller = connection
            self._deliver(connection)
        else:
            self._poller = connection  # long poll until the pool hands an invocation in

    def _take(self, request_id: bytes) -> bool:
        """Whether the id is the delivered invocation's; it is then no longer pending."""
        current = self._current
        if current is None or not self.delivered or request_id != current.request_id.encode():
            return False
        self._current = None
        return True

    def _on_response(self, connection: _RuntimeConnection, request_id: bytes, body: bytes) -> None:
        if not self._take(request_id):
            connection.respond(_INVALID_ID)
        elif connection.too_large:
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
        request: h11.Request,
        body: bytes,
    ) -> None:
        if not self._take(request_id):
            connection.respond(_INVALID_ID)
            return
        self._resolve(_error_outcome(OutcomeKind.ERROR, request, body, connection.too_large))
        connection.respond(_ACCEPTED, hold=True)

    def _on_init_error(
        self, connection: _RuntimeConnection, request: h11.Request, body: bytes
    ) -> None:
        outcome = _error_outcome(OutcomeKind.INIT_ERROR, request, body, connection.too_large)
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


def _error_outcome(
    kind: OutcomeKind, request: h11.Request, body: bytes, too_large: bool
) -> RuntimeOutcome:
    error_type = None
    for name, value in request.headers:
        if name == _ERROR_TYPE_HEADER:
            error_type = value.decode("latin-1")
    if too_large or not body:
        # The document itself is unusable: Lambda still reports the header's type.
        body = error_payload("", error_type or "Unhandled")
    return RuntimeOutcome(kind, body, error_type)


class _RuntimeConnection(asyncio.Protocol):
    """One TCP connection of the runtime client: one h11 state machine, keep-alive."""

    def __init__(self, server: RuntimeApiServer) -> None:
        self._server = server
        self._h11 = h11.Connection(h11.SERVER)
        self._transport: asyncio.Transport | None = None
        self._request: h11.Request | None = None
        self._body: list[bytes] = []
        self._size = 0
        self._held: list[bytes | None] = []  # answers not written yet
        self.too_large = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._server._connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self._server._connections.discard(self)
        if self._server._poller is self:
            self._server._poller = None
        self._transport = None

    def data_received(self, data: bytes) -> None:
        self._h11.receive_data(data)
        self.resume()

    def eof_received(self) -> bool | None:
        self._h11.receive_data(b"")
        self.resume()
        return None

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()

    def resume(self) -> None:
        """Process whatever events h11 has; stops while a request awaits its answer."""
        conn = self._h11
        while self._transport is not None:
            try:
                event = conn.next_event()
            except h11.RemoteProtocolError:
                self._reject()
                return
            if event is h11.NEED_DATA or event is h11.PAUSED:
                return
            if isinstance(event, h11.Data):
                self._add_body(event.data)
            elif isinstance(event, h11.Request):
                self._start(event)
            elif isinstance(event, h11.EndOfMessage):
                self._end()
            elif isinstance(event, h11.ConnectionClosed):
                self.close()
                return

    def _start(self, request: h11.Request) -> None:
        self._request = request
        self._body = []
        self._size = 0
        self.too_large = False
        if self._h11.they_are_waiting_for_100_continue:
            # curl (awslambdaric's native client) sends Expect: 100-continue for big bodies.
            interim = h11.InformationalResponse(status_code=100, headers=[])
            self._held.append(self._h11.send(interim))
            self._write()

    def _add_body(self, data: bytes) -> None:
        self._size += len(data)
        if self._size > MAX_SYNC_PAYLOAD_BYTES:
            self.too_large = True
            self._body = []  # keep reading to the end, but stop holding it
        else:
            self._body.append(data)

    def _end(self) -> None:
        request, self._request = self._request, None
        assert request is not None
        parts, self._body = self._body, []
        body = bytes(parts[0]) if len(parts) == 1 else b"".join(parts)
        self._server.handle(self, request, body)

    def respond(self, answer: _Answer, *, hold: bool = False) -> None:
        """Answer the current request; `hold` may keep the bytes for the next write.

        A runtime that pipelines its next GET behind an outcome's POST (our bootstrap)
        is woken once, by the 202 and the next invocation together, not twice.
        """
        conn = self._h11
        chunks = self._held
        chunks.append(conn.send(answer.event))
        if answer.body:
            chunks.extend(conn.send_with_data_passthrough(h11.Data(data=answer.body)) or ())
        chunks.append(conn.send(_END))
        if conn.our_state is h11.DONE and conn.their_state is h11.DONE:
            if hold and b"\r\n\r\n" in conn.trailing_data[0]:
                conn.start_next_cycle()
                return  # a whole request is waiting behind this one: answer both at once
            conn.start_next_cycle()
            self._write()
        else:
            self._write()
            self.close()

    def _write(self) -> None:
        chunks, self._held = self._held, []
        if self._transport is not None:
            self._transport.writelines([chunk for chunk in chunks if chunk])

    def _reject(self) -> None:
        if self._h11.our_state in (h11.IDLE, h11.SEND_RESPONSE):
            with contextlib.suppress(h11.LocalProtocolError):
                self.respond(_BAD_REQUEST)
        self.close()
