"""`LocalWebsocketApi`: API Gateway's websocket API in front of the local Lambda.

A client's upgrade runs the app's `$connect` function, each text message its `$default`
function (in order, one at a time per connection), the close its `$disconnect` function,
with the events AWS sends (`_websocket_events`). Handlers answer through the management
API (`_connections`), which `app.websocket_api` reaches over http:// on a loopback domain.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import traceback
from collections.abc import Callable, Coroutine
from typing import Any, Protocol
from urllib.parse import urlsplit

from .._core._types import Receive, Scope, Send
from .._tooling._describe import AppLoadError
from .._tooling._manifest import AppManifest
from ._connections import (
    MAX_MESSAGE_BYTES,
    ConnectionRegistry,
    ManagementApi,
    OpenConnection,
    loggable,
)
from ._host_guard import HostGuard
from ._invocation import InvocationResult, InvocationStatus, LocalLambda, Throttled, UnknownFunction
from ._websocket_events import (
    ClientFacts,
    answer_of,
    connect_event,
    disconnect_event,
    message_event,
)

__all__ = ["LocalWebsocketApi", "websocket_routes"]

# API Gateway's integration timeout for websocket routes.
INTEGRATION_TIMEOUT_SECONDS = 29.0
# At shutdown, how long connections get to finish the message in flight and $disconnect.
CLOSE_GRACE_SECONDS = 5.0
# Messages of one connection read ahead of the one in flight. Past this the client is not
# read (TCP pushes back): a client sending faster than its handler runs would otherwise
# fill the server's memory, 128 KiB a message.
MESSAGES_READ_AHEAD = 64
# A page served by this machine may open a websocket, whatever its port.
_LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})
# Handshake headers the server itself writes: a $connect function's copies are dropped.
_OWN_HEADERS = frozenset(
    {
        "connection", "upgrade", "content-length", "date", "transfer-encoding",
        "sec-websocket-accept", "sec-websocket-extensions", "sec-websocket-protocol",
    }
)  # fmt: skip


class AppState(Protocol):
    async def current(self) -> AppManifest: ...


def websocket_routes(manifest: AppManifest) -> dict[str, str]:
    """Route key ('$connect', '$default', '$disconnect') -> the function serving it."""
    return {
        str(entry.settings.get("route_key")): entry.name
        for entry in manifest.functions
        if entry.kind == "websocket"
    }


class _Failure:
    """An invocation API Gateway could not use: the status it answers an upgrade with,
    the message it sends a client instead, and what the log says."""

    __slots__ = ("message", "problem", "status")

    def __init__(self, status: int, message: str, problem: str) -> None:
        self.status, self.message, self.problem = status, message, problem


class LocalWebsocketApi:
    """Websocket scopes (the app's websocket API) and the management API's http scopes.

    `log` takes one line per connect, message and disconnect, and one per refusal.
    """

    def __init__(
        self,
        state: AppState,
        local_lambda: LocalLambda,
        *,
        api_stage: str,
        log: Callable[[str], None],
        guard: HostGuard,
        integration_timeout: float = INTEGRATION_TIMEOUT_SECONDS,
        close_grace: float = CLOSE_GRACE_SECONDS,
    ) -> None:
        self._state = state
        self._lambda = local_lambda
        self.api_stage = api_stage
        self._log = log
        self._guard = guard
        self.integration_timeout = integration_timeout
        self.close_grace = close_grace
        self.registry = ConnectionRegistry()
        self.management = ManagementApi(self.registry, api_stage=api_stage, guard=guard, log=log)
        self._lifecycles: set[asyncio.Task[None]] = set()
        self._closing = False

    def handles(self, scope: Scope) -> bool:
        """Whether an http scope is the management API's (`/{stage}/@connections/{id}`)."""
        return self.management.handles(scope)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self.management(scope, receive, send)
            return
        if scope["type"] != "websocket" or (await receive())["type"] != "websocket.connect":
            return
        # The connection lives in a task of ours: if uvicorn cancels its handler at
        # shutdown, `close()` still sees the message in flight and $disconnect through.
        task = asyncio.ensure_future(self._serve(scope, receive, send))
        self._lifecycles.add(task)
        task.add_done_callback(self._finished)
        try:
            await asyncio.wait({task})  # unlike shield(), never raises the task's error
        except asyncio.CancelledError:
            return  # the server is stopping; close() waits for the connection

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._lifecycles.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            # A bug of ours: its traceback, once, and the server goes on.
            trace = "".join(traceback.format_exception(error)).rstrip()
            self._log(f"websocket: a connection failed\n{trace}")

    async def close(self) -> None:
        """Close every client (1001, going away) and wait for their $disconnect."""
        self._closing = True
        for client in self.registry:
            await client.close(1001, "Going away")
        if not self._lifecycles:
            return
        _, busy = await asyncio.wait(set(self._lifecycles), timeout=self.close_grace)
        if busy:
            self._log(
                f"websocket: {len(busy)} connection(s) still busy {self.close_grace:g} s after"
                " the stop: cancelled, their $disconnect may not have run"
            )
            for task in busy:
                task.cancel()
            await asyncio.gather(*busy, return_exceptions=True)

    # -- one connection -------------------------------------------------------------------

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = loggable(scope["path"])  # decoded: '%1b' is an escape, '%0a' a new line
        refusal = self._refusal(scope)
        if refusal is not None:
            self._log(f"websocket {path}: refused (403), {refusal}")
            await _deny(scope, send, 403, "Forbidden")
            return
        try:
            routes = websocket_routes(await self._state.current())
        except AppLoadError as error:
            self._log(f"websocket {path}: 500, the app cannot be served: {error}")
            await _deny(scope, send, 500, "Internal server error")
            return
        if not routes:
            self._log(
                f"websocket {path}: refused (403), the app has no websocket handlers"
                " (@app.on_ws_connect, on_ws_message, on_ws_disconnect)"
            )
            await _deny(scope, send, 403, "Forbidden")
            return
        facts = ClientFacts.from_scope(scope, self.api_stage)
        headers = await self._connect(scope, facts, routes.get("$connect"), send)
        if headers is None:
            return
        client = OpenConnection(facts, send)
        try:
            await send(_accept(headers))
        except (OSError, RuntimeError):
            client.closing = True  # gone during $connect: its disconnect is next
        self.registry.add(client)
        if self._closing:
            await client.close(1001, "Going away")
        try:
            code, reason = await self._run(client, receive)
        finally:
            self.registry.remove(client.connection_id)
        await self._disconnect(client, code, reason)

    def _refusal(self, scope: Scope) -> str | None:
        """Why an upgrade is refused: a foreign Host (DNS rebinding) or a page of another
        site (browsers send Origin on every upgrade; CORS does not apply to websockets)."""
        headers = [(name.lower(), value) for name, value in scope["headers"]]
        refusal = self._guard.refusal({"headers": [(n, v) for n, v in headers if n == b"host"]})
        if refusal is not None:
            return refusal
        host = next((v.decode("latin-1") for n, v in headers if n == b"host"), "")
        origin = next((v.decode("latin-1") for n, v in headers if n == b"origin"), None)
        if origin is not None and not _own_origin(origin, host):
            return f"Origin {origin!r} is a page of another site"
        path = scope["path"].rstrip("/")
        if path not in ("", f"/{self.api_stage}"):
            return f"no websocket API at {scope['path']!r}: it is at / (or /{self.api_stage})"
        return None

    async def _connect(
        self, scope: Scope, facts: ClientFacts, function: str | None, send: Send
    ) -> dict[str, str] | None:
        """Run $connect: the headers to accept with, or None once the upgrade is refused
        (with the function's status, as API Gateway answers the handshake)."""
        where = f"websocket {facts.connection_id} $connect"
        if function is None:
            self._log(f"{where}: 200 (no $connect handler)")
            return {}
        outcome = await self._invoke(function, connect_event(facts), "websocket $connect")
        if isinstance(outcome, _Failure):
            self._log(f"{where}: {outcome.status}, {outcome.problem}")
            await _deny(scope, send, outcome.status, outcome.message)
            return None
        try:
            payload = json.loads(outcome.payload)
        except ValueError:
            payload = None
        status, headers = answer_of(payload)
        if not 200 <= status < 300:
            self._log(f"{where}: {status}, {function} refused the connection")
            await _deny(scope, send, status, None)
            return None
        self._log(f"{where}: {status}")
        return headers

    async def _run(self, client: OpenConnection, receive: Receive) -> tuple[int, str]:
        """Read the client until it is gone, its text messages invoked in order meanwhile;
        the close code and reason once the message in flight is done."""
        queue: asyncio.Queue[str | None] = asyncio.Queue(MESSAGES_READ_AHEAD)
        worker = asyncio.ensure_future(self._messages(client, queue))
        try:
            ending = await self._read(client, receive, queue, worker)
        except BaseException:
            worker.cancel()
            await asyncio.gather(worker, return_exceptions=True)
            raise
        await _enqueue(queue, None, worker)
        await worker
        return ending

    async def _read(
        self,
        client: OpenConnection,
        receive: Receive,
        queue: asyncio.Queue[str | None],
        worker: asyncio.Future[None],
    ) -> tuple[int, str]:
        while True:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                client.closing = True
                return int(message.get("code") or 1005), str(message.get("reason") or "")
            if message["type"] != "websocket.receive" or client.closing:
                continue
            client.last_active_at = int(time.time() * 1000)
            text = message.get("text")
            if text is None:
                # API Gateway refuses binary frames: it closes the connection with 1003.
                self._log(f"websocket {client.connection_id}: a binary frame, closed (1003)")
                await client.close(1003, "Binary frames are not supported")
            elif len(text) * 4 > MAX_MESSAGE_BYTES and len(text.encode()) > MAX_MESSAGE_BYTES:
                # Above API Gateway's 128 KiB message quota: closed with 1009.
                self._log(f"websocket {client.connection_id}: a message above 128 KiB (1009)")
                await client.close(1009, "Message too big")
            else:
                await _enqueue(queue, text, worker)

    async def _messages(self, client: OpenConnection, queue: asyncio.Queue[str | None]) -> None:
        dropped = 0
        while (text := await queue.get()) is not None:
            if self._closing:
                dropped += 1  # the server is stopping: only the message in flight finishes
            else:
                await self._message(client, text)
        if dropped:
            self._log(f"websocket {client.connection_id}: {dropped} message(s) not run (stopping)")

    async def _message(self, client: OpenConnection, text: str) -> None:
        event = message_event(client.facts, text)
        where = f"websocket {client.connection_id} $default"
        try:
            function = websocket_routes(await self._state.current()).get("$default")
        except AppLoadError as error:
            outcome: InvocationResult | _Failure = _Failure(
                500, "Internal server error", f"the app cannot be served: {error}"
            )
        else:
            if function is None:
                # No route matched and no $default route: API Gateway says Forbidden.
                outcome = _Failure(403, "Forbidden", "the app has no $default handler")
            else:
                outcome = await self._invoke(function, event, "websocket $default")
        if isinstance(outcome, _Failure):
            self._log(f"{where}: {outcome.status}, {outcome.problem}")
            # API Gateway tells the client in a message; the connection stays open.
            request_id = event["requestContext"]["requestId"]
            await client.deliver(
                json.dumps(
                    {
                        "message": outcome.message,
                        "connectionId": client.connection_id,
                        "requestId": request_id,
                    }
                )
            )
        else:
            # Chalice's routes have no route response: what the function returns is dropped.
            self._log(f"{where}: 200")

    async def _disconnect(self, client: OpenConnection, code: int, reason: str) -> None:
        where = f"websocket {client.connection_id} $disconnect ({code})"
        try:
            function = websocket_routes(await self._state.current()).get("$disconnect")
        except AppLoadError as error:
            self._log(f"{where}: not run, the app cannot be served: {error}")
            return
        if function is None:
            self._log(f"{where}: no $disconnect handler")
            return
        outcome = await self._invoke(
            function, disconnect_event(client.facts, code, reason), "websocket $disconnect"
        )
        problem = f", {outcome.problem}" if isinstance(outcome, _Failure) else ""
        self._log(f"{where}: {outcome.status if isinstance(outcome, _Failure) else 200}{problem}")

    async def _invoke(
        self, function: str, event: dict[str, Any], source: str
    ) -> InvocationResult | _Failure:
        """One invocation within API Gateway's integration timeout; `source` names the
        route for the console."""
        result: InvocationResult | None
        try:
            spec = self._lambda.find(function)
            invocation = self._lambda.invoke(function, json.dumps(event).encode(), source=source)
            if spec is not None and spec.timeout < self.integration_timeout:
                result = await invocation  # the function's own timeout ends it first
            else:
                result = await _within(invocation, self.integration_timeout)
        except Throttled:
            return _Failure(429, "Too Many Requests", f"function {function} throttled")
        except UnknownFunction:
            return _Failure(500, "Internal server error", f"no function {function!r}")
        if result is None:
            return _Failure(
                504,
                "Endpoint request timed out",
                f"{function} still running after {self.integration_timeout:g} s",
            )
        if result.status is not InvocationStatus.OK:
            return _Failure(502, "Internal server error", f"{function} failed: {_error(result)}")
        return result


def _own_origin(origin: str, host: str) -> bool:
    """A page of this machine: a loopback origin on any port (a frontend's dev server on
    localhost:3000), or a page of the very host the client connects to."""
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False  # "null" (a sandboxed page, a file://) and anything odd
    if parts.hostname in _LOOPBACK_NAMES:
        return True
    own = urlsplit(f"//{host}").hostname
    return own is not None and parts.hostname == own


async def _enqueue(
    queue: asyncio.Queue[str | None], item: str | None, worker: asyncio.Future[None]
) -> None:
    """Put `item` once there is room; if the worker died (a bug of ours), its error
    instead of waiting for room forever."""
    if not queue.full():
        queue.put_nowait(item)
        return
    room = asyncio.ensure_future(queue.put(item))
    try:
        await asyncio.wait({room, worker}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        if not room.done():
            room.cancel()
    if not room.done() or room.cancelled():
        worker.result()  # raises the worker's error (or its cancellation)
        raise RuntimeError("the messages worker ended before the connection")


def _accept(headers: dict[str, str]) -> dict[str, Any]:
    message: dict[str, Any] = {"type": "websocket.accept", "headers": []}
    for name, value in headers.items():
        lowered = name.lower()
        if lowered == "sec-websocket-protocol":
            message["subprotocol"] = value  # the one the function chose, as on AWS
        elif lowered not in _OWN_HEADERS:
            message["headers"].append((lowered.encode("latin-1"), value.encode("latin-1")))
    return message


async def _deny(scope: Scope, send: Send, status: int, message: str | None) -> None:
    """Answer the upgrade request with an HTTP status instead of switching protocols."""
    body = b"" if message is None else json.dumps({"message": message}).encode()
    with contextlib.suppress(OSError, RuntimeError):
        if "websocket.http.response" not in scope.get("extensions", {}):
            await send({"type": "websocket.close", "code": 1008})  # the server says 403
            return
        headers = [(b"content-type", b"application/json")] if body else []
        await send({"type": "websocket.http.response.start", "status": status, "headers": headers})
        await send({"type": "websocket.http.response.body", "body": body})


def _error(result: InvocationResult) -> str:
    try:
        error = json.loads(result.payload)
        return f"{error.get('errorType', 'Error')}: {error.get('errorMessage', '')}"
    except (ValueError, AttributeError):
        return result.status.value


async def _within(
    invocation: Coroutine[Any, Any, InvocationResult], seconds: float
) -> InvocationResult | None:
    """The result, or None after `seconds` while the function runs on (as on AWS)."""
    task = asyncio.ensure_future(invocation)
    try:
        done, _ = await asyncio.wait({task}, timeout=seconds)
    except asyncio.CancelledError:
        task.cancel()
        raise
    if not done:
        task.add_done_callback(_consume)
        return None
    return task.result()


def _consume(task: asyncio.Future[Any]) -> None:
    if not task.cancelled():
        task.exception()
