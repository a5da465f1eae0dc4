"""API Gateway's management API for the local websocket gateway: `@connections/{id}`.

`app.websocket_api.send/close/info` (boto3's apigatewaymanagementapi) reach it from any
handler: POST sends a message, DELETE closes, GET describes a connection, in the
service's rest-json shapes; a connection that is not open is 410 GoneException.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from collections.abc import Callable, Iterator
from typing import Protocol
from urllib.parse import unquote

from .._core._types import Receive, Scope, Send
from ._asgi_types import send_answer
from ._host_guard import HostGuard
from ._websocket_events import ClientFacts, aws_id

__all__ = [
    "MAX_MESSAGE_BYTES",
    "ConnectionRegistry",
    "LiveClient",
    "ManagementApi",
    "OpenConnection",
    "iso_time",
    "loggable",
]

# API Gateway's quota on a websocket message, in either direction (PostToConnection's
# Data is at most 128 KiB; a larger one is PayloadTooLargeException).
MAX_MESSAGE_BYTES = 128 * 1024
# `/{stage}/@connections/{id}`, or without the stage (the local gateway's URLs carry none).
_PATH = re.compile(r"^(?:/(?P<stage>[^/@][^/]*))?/@connections/(?P<id>[^/]+)/?$")


class LiveClient(Protocol):
    """What the management API needs of one open connection."""

    connection_id: str
    connected_at: int  # epoch ms
    last_active_at: int
    source_ip: str
    user_agent: str | None

    async def deliver(self, data: str | bytes) -> bool:
        """Send one message; False once the client is gone."""
        ...

    async def close(self, code: int, reason: str) -> bool:
        """Close the connection (its $disconnect runs after); False if already closing."""
        ...


class ConnectionRegistry:
    """The open connections by id: a connection is in it from the moment its $connect
    accepted it until it starts closing (API Gateway answers 410 outside that span)."""

    def __init__(self) -> None:
        self._clients: dict[str, LiveClient] = {}

    def add(self, client: LiveClient) -> None:
        self._clients[client.connection_id] = client

    def remove(self, connection_id: str) -> None:
        self._clients.pop(connection_id, None)

    def get(self, connection_id: str) -> LiveClient | None:
        return self._clients.get(connection_id)

    def __len__(self) -> int:
        return len(self._clients)

    def __iter__(self) -> Iterator[LiveClient]:
        return iter(list(self._clients.values()))


class OpenConnection:
    """One accepted client of the ASGI server: the `LiveClient` the gateway registers."""

    def __init__(self, facts: ClientFacts, send: Send) -> None:
        self.facts = facts
        self.connection_id = facts.connection_id
        self.connected_at = self.last_active_at = facts.connected_at
        self.source_ip, self.user_agent = facts.source_ip, facts.user_agent
        self.closing = False
        self._send = send

    async def deliver(self, data: str | bytes) -> bool:
        if self.closing:
            return False
        key = "text" if isinstance(data, str) else "bytes"
        try:
            await self._send({"type": "websocket.send", key: data})
        except (OSError, RuntimeError):  # uvicorn's ClientDisconnected is an OSError
            self.closing = True
            return False
        self.last_active_at = int(time.time() * 1000)
        return True

    async def close(self, code: int, reason: str) -> bool:
        if self.closing:
            return False
        self.closing = True
        with contextlib.suppress(OSError, RuntimeError):
            await self._send({"type": "websocket.close", "code": code, "reason": reason})
        return True


def loggable(text: str) -> str:
    """`text` (a path, an id: what any request may choose) with each character a terminal
    would act on escaped: a page must not write lines, colours or OSC 52 (the clipboard)
    into the developer's console through the log."""
    return "".join(char if char.isprintable() else ascii(char)[1:-1] for char in text)


def iso_time(epoch_ms: int) -> str:
    """'2024-05-01T12:00:00.123Z': GetConnection's timestamps (the model's iso8601)."""
    seconds, millis = divmod(epoch_ms, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}Z"


class _Answer:
    __slots__ = ("body", "error_type", "status")

    def __init__(self, status: int, body: bytes = b"", error_type: str | None = None) -> None:
        self.status, self.body, self.error_type = status, body, error_type


def _error(status: int, error_type: str, message: str) -> _Answer:
    # rest-json errors: the type in x-amzn-ErrorType, the message in the body.
    return _Answer(status, json.dumps({"message": message}).encode(), error_type)


def _gone(connection_id: str) -> _Answer:
    return _error(410, "GoneException", f"Connection {connection_id!r} is not open")


class ManagementApi:
    """The `@connections` API as an ASGI app for http scopes; `handles(scope)` says
    which scopes are its. An AWS API: no browser page may call it (`guard`)."""

    def __init__(
        self,
        registry: ConnectionRegistry,
        *,
        api_stage: str,
        guard: HostGuard,
        log: Callable[[str], None],
    ) -> None:
        self.registry = registry
        self.api_stage = api_stage
        self._guard = guard
        self._log = log

    @staticmethod
    def handles(scope: Scope) -> bool:
        return scope["type"] == "http" and _PATH.match(_raw_path(scope)) is not None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        answer = await self._answer(scope, receive)
        headers = [
            (b"content-type", b"application/json"),
            (b"x-amzn-requestid", aws_id().encode()),
        ]
        if answer.error_type is not None:
            headers.append((b"x-amzn-errortype", answer.error_type.encode()))
        await send_answer(send, answer.status, headers, answer.body)

    async def _answer(self, scope: Scope, receive: Receive) -> _Answer:
        match = _PATH.match(_raw_path(scope))
        if match is None:  # not routed here by `handles`
            return _error(404, "NotFoundException", "Not a management API path")
        method, connection_id = scope["method"], unquote(match["id"])
        where = f"@connections {loggable(method)} {loggable(connection_id)}"
        refusal = self._guard.refusal(scope)
        if refusal is not None:
            self._log(f"{where}: refused, {refusal}")
            return _error(403, "ForbiddenException", "Forbidden")
        stage = match["stage"]
        if stage is not None and stage != self.api_stage:
            message = f"No stage {stage!r}: the websocket API's stage is {self.api_stage!r}"
            self._log(f"{where}: 403, {loggable(message)}")
            return _error(403, "ForbiddenException", message)
        if method == "POST":
            return await self._post(connection_id, receive)
        client = self.registry.get(connection_id)
        if method == "GET":
            return _gone(connection_id) if client is None else _info(client)
        if method == "DELETE":
            # DeleteConnection: a normal closure, then the $disconnect route runs.
            if client is None or not await client.close(1000, ""):
                return _gone(connection_id)
            return _Answer(204)
        return _error(403, "ForbiddenException", f"{method} is not a management API method")

    async def _post(self, connection_id: str, receive: Receive) -> _Answer:
        data = await _read_body(receive)
        if data is None:
            return _error(
                413, "PayloadTooLargeException", f"Message above {MAX_MESSAGE_BYTES} bytes"
            )
        client = self.registry.get(connection_id)
        if client is None:
            self._log(
                f"@connections POST {loggable(connection_id)}: 410, the connection is not open"
            )
            return _gone(connection_id)
        message: str | bytes
        try:
            # API Gateway passes text on as a text frame. Bytes that are not UTF-8 cannot
            # be one (the client would close with 1007): they go as a binary frame.
            message = data.decode("utf-8")
        except UnicodeDecodeError:
            message = data
        if not await client.deliver(message):
            return _gone(connection_id)
        return _Answer(200)


def _info(client: LiveClient) -> _Answer:
    identity = {"sourceIp": client.source_ip, "userAgent": client.user_agent or ""}
    body = {
        "connectedAt": iso_time(client.connected_at),
        "identity": identity,
        "lastActiveAt": iso_time(client.last_active_at),
    }
    return _Answer(200, json.dumps(body).encode())


def _raw_path(scope: Scope) -> str:
    raw = scope.get("raw_path")
    return raw.decode("latin-1") if raw else str(scope["path"])


async def _read_body(receive: Receive) -> bytes | None:
    """The request body; None once it is above API Gateway's message quota."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks)  # the caller went away; nobody reads the answer
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_MESSAGE_BYTES:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)
