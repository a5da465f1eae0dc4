"""The events API Gateway sends a websocket API's functions, built by the local gateway.

`ClientFacts` is what the gateway learns of one client at its upgrade request (its id,
Host, address, headers, query); `connect_event`, `message_event` and `disconnect_event`
shape the three proxy-integration events AWS documents from it.
"""

from __future__ import annotations

import base64
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from .._core._aws import LOCAL_API_ID
from .._core._types import Scope
from .._doors._api_gateway_events import request_time

__all__ = [
    "ClientFacts",
    "answer_of",
    "aws_id",
    "connect_event",
    "disconnect_event",
    "message_event",
]


# API Gateway ends the upgrade request at itself: the function sees no hop-by-hop headers.
_HOP_BY_HOP = frozenset({"connection", "upgrade"})


def aws_id() -> str:
    """An id in the shape of API Gateway's connection, request and message ids: 16
    characters of base64 ending in '=' ('WyHPAfymhcwCENw='). Letters and digits only: a
    handler may put a connection id in a URL path or a key, and so do tests."""
    return base64.b64encode(os.urandom(11), altchars=b"Aa").decode("ascii")


@dataclass
class ClientFacts:
    """One client as its upgrade request showed it."""

    connection_id: str
    domain: str  # the Host the client used ('127.0.0.1:8000'): the management API's host
    stage: str
    source_ip: str
    user_agent: str | None
    headers: list[tuple[str, str]]  # as sent, names in the client's spelling
    query: dict[str, list[str]]
    connected_at: int = field(default_factory=lambda: int(time.time() * 1000))  # epoch ms

    @classmethod
    def from_scope(cls, scope: Scope, stage: str) -> ClientFacts:
        headers = [
            (name.decode("latin-1"), value.decode("latin-1")) for name, value in scope["headers"]
        ]
        found = {name.lower(): value for name, value in headers}
        query: dict[str, list[str]] = {}
        for name, value in parse_qsl(scope["query_string"].decode("latin-1"), True):
            query.setdefault(name, []).append(value)
        client = scope.get("client")
        return cls(
            aws_id(),
            found.get("host", "localhost"),
            stage,
            client[0] if client else "127.0.0.1",
            found.get("user-agent"),
            headers,
            query,
        )

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)


def _identity(facts: ClientFacts) -> dict[str, str]:
    """requestContext.identity: the client's address and, when it sent one, its user
    agent, in all three events (AWS's samples show both in MESSAGE events too)."""
    identity = {"sourceIp": facts.source_ip}
    if facts.user_agent is not None:
        identity["userAgent"] = facts.user_agent
    return identity


def _context(
    facts: ClientFacts, route_key: str, event_type: str, identity: dict[str, str]
) -> dict[str, Any]:
    now = int(time.time() * 1000)
    request_id = aws_id()
    return {
        "routeKey": route_key,
        "eventType": event_type,
        "extendedRequestId": request_id,
        "requestTime": request_time(now),
        "messageDirection": "IN",
        "stage": facts.stage,
        "connectedAt": facts.connected_at,
        "requestTimeEpoch": now,
        "identity": identity,
        "requestId": request_id,
        "domainName": facts.domain,
        "connectionId": facts.connection_id,
        "apiId": LOCAL_API_ID,
    }


def connect_event(facts: ClientFacts) -> dict[str, Any]:
    """$connect: the upgrade request's headers and query string, plus the forwarding
    headers API Gateway adds (as it does for a REST API's proxy events)."""
    headers: dict[str, list[str]] = {}
    for name, value in facts.headers:
        if name.lower() not in _HOP_BY_HOP:
            headers.setdefault(name, []).append(value)
    forwarded = facts.header("x-forwarded-for")
    headers["X-Forwarded-For"] = [
        f"{forwarded}, {facts.source_ip}" if forwarded else facts.source_ip
    ]
    _, colon, port = facts.domain.rpartition(":")
    headers.setdefault("X-Forwarded-Port", [port if colon and port.isdigit() else "80"])
    headers.setdefault("X-Forwarded-Proto", ["http"])
    headers["X-Amzn-Trace-Id"] = [f"Root=1-{int(time.time()):08x}-{os.urandom(12).hex()}"]
    identity = _identity(facts)
    return {
        "headers": {name: values[-1] for name, values in headers.items()},
        "multiValueHeaders": headers,
        "queryStringParameters": {k: v[-1] for k, v in facts.query.items()} or None,
        "multiValueQueryStringParameters": dict(facts.query) or None,
        "requestContext": _context(facts, "$connect", "CONNECT", identity),
        "isBase64Encoded": False,
    }


def message_event(facts: ClientFacts, body: str) -> dict[str, Any]:
    """$default: one text message. (API Gateway refuses binary frames: never base64 here.)"""
    context = _context(facts, "$default", "MESSAGE", _identity(facts))
    context["messageId"] = aws_id()
    return {"requestContext": context, "body": body, "isBase64Encoded": False}


def disconnect_event(facts: ClientFacts, code: int, reason: str) -> dict[str, Any]:
    """$disconnect: how the connection ended; API Gateway sends only these few headers."""
    headers = {"Host": facts.domain, "x-api-key": "", "X-Forwarded-For": "", "x-restapi": ""}
    context = _context(facts, "$disconnect", "DISCONNECT", _identity(facts))
    context.update(disconnectStatusCode=code, disconnectReason=reason)
    return {
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "requestContext": context,
        "isBase64Encoded": False,
    }


def answer_of(payload: Mapping[str, Any] | Any) -> tuple[int, dict[str, str]]:
    """The status and headers a $connect function answered (200 and none when it says
    nothing: a handler returning None is accepted, as on AWS)."""
    if not isinstance(payload, Mapping):
        return 200, {}
    status = payload.get("statusCode", 200)
    if isinstance(status, str) and status.isdigit():
        status = int(status)
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        return 502, {}  # API Gateway cannot read it: a malformed integration response
    headers: dict[str, str] = {}
    for name, value in (payload.get("headers") or {}).items():
        headers[str(name)] = str(value)
    for name, values in (payload.get("multiValueHeaders") or {}).items():
        if isinstance(values, list) and values:
            headers[str(name)] = ", ".join(str(value) for value in values)
    return status, headers
