"""The events the local websocket gateway builds: AWS's shapes, read back by our runtime's
WebsocketEvent, and how a $connect function's answer is read."""

from __future__ import annotations

import re
from typing import Any

import pytest

from chalicelike._events._websockets import WebsocketEvent, WebsocketEventType
from chalicelike.local._websocket_events import (
    ClientFacts,
    answer_of,
    aws_id,
    connect_event,
    disconnect_event,
    message_event,
)

SCOPE: dict[str, Any] = {
    "type": "websocket",
    "path": "/",
    "query_string": b"room=lobby&tag=a&tag=b",
    "headers": [
        (b"Host", b"127.0.0.1:8000"),
        (b"Upgrade", b"websocket"),
        (b"Connection", b"Upgrade"),
        (b"Sec-WebSocket-Version", b"13"),
        (b"User-Agent", b"Mozilla/5.0"),
        (b"Cookie", b"a=1"),
        (b"Cookie", b"b=2"),
    ],
    "client": ("127.0.0.1", 50123),
}


def facts() -> ClientFacts:
    return ClientFacts.from_scope(SCOPE, "api")


def test_ids_have_api_gateways_shape() -> None:
    ids = {aws_id() for _ in range(100)}
    assert len(ids) == 100
    assert all(re.fullmatch(r"[A-Za-z0-9]{15}=", found) for found in ids)


def test_facts_of_a_scope() -> None:
    found = facts()
    assert found.domain == "127.0.0.1:8000"
    assert (found.source_ip, found.user_agent, found.stage) == ("127.0.0.1", "Mozilla/5.0", "api")
    assert found.query == {"room": ["lobby"], "tag": ["a", "b"]}
    assert found.header("HOST") == "127.0.0.1:8000"
    assert found.connected_at > 1_700_000_000_000  # epoch milliseconds


def test_connect_event() -> None:
    client = facts()
    event = connect_event(client)
    context = event["requestContext"]
    assert context["routeKey"] == "$connect"
    assert context["eventType"] == "CONNECT"
    assert context["connectionId"] == client.connection_id
    assert context["connectedAt"] == client.connected_at
    assert context["identity"] == {"sourceIp": "127.0.0.1", "userAgent": "Mozilla/5.0"}
    assert re.fullmatch(r"\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d \+0000", context["requestTime"])
    assert context["requestId"] == context["extendedRequestId"]
    assert event["queryStringParameters"] == {"room": "lobby", "tag": "b"}
    assert event["multiValueQueryStringParameters"] == {"room": ["lobby"], "tag": ["a", "b"]}
    assert event["multiValueHeaders"]["Cookie"] == ["a=1", "b=2"]
    assert event["headers"]["Cookie"] == "b=2"
    assert "Upgrade" not in event["headers"] and "Connection" not in event["headers"]
    assert event["headers"]["X-Forwarded-Port"] == "8000"
    assert event["headers"]["X-Amzn-Trace-Id"].startswith("Root=1-")
    read = WebsocketEvent(event)
    assert read.event_type is WebsocketEventType.CONNECT
    assert (read.domain_name, read.stage, read.api_id) == ("127.0.0.1:8000", "api", "local")


def test_connect_event_without_a_query() -> None:
    event = connect_event(ClientFacts.from_scope({**SCOPE, "query_string": b""}, "api"))
    assert event["queryStringParameters"] is None
    assert event["multiValueQueryStringParameters"] is None


def test_message_event() -> None:
    client = facts()
    event = message_event(client, '{"action": "hi"}')
    assert event["isBase64Encoded"] is False
    read = WebsocketEvent(event)
    assert read.event_type is WebsocketEventType.MESSAGE
    assert read.route_key == "$default"
    assert read.json_body == {"action": "hi"}
    assert read.connection_id == client.connection_id
    assert re.fullmatch(r"[A-Za-z0-9]{15}=", event["requestContext"]["messageId"])
    # AWS's MESSAGE events name the client's user agent, as CONNECT and DISCONNECT do.
    assert event["requestContext"]["identity"] == {
        "sourceIp": "127.0.0.1",
        "userAgent": "Mozilla/5.0",
    }
    assert (
        message_event(client, "x")["requestContext"]["requestId"]
        != (event["requestContext"]["requestId"])
    )


def test_disconnect_event() -> None:
    client = facts()
    event = disconnect_event(client, 1001, "Going away")
    context = event["requestContext"]
    assert (context["disconnectStatusCode"], context["disconnectReason"]) == (1001, "Going away")
    assert context["identity"] == {"sourceIp": "127.0.0.1", "userAgent": "Mozilla/5.0"}
    assert event["headers"] == {
        "Host": "127.0.0.1:8000",
        "x-api-key": "",
        "X-Forwarded-For": "",
        "x-restapi": "",
    }
    assert WebsocketEvent(event).event_type is WebsocketEventType.DISCONNECT


@pytest.mark.parametrize(
    ("payload", "status", "headers"),
    [
        (None, 200, {}),  # a handler returning nothing: accepted
        ({"statusCode": 200}, 200, {}),
        ({"statusCode": 403, "body": ""}, 403, {}),
        ({"statusCode": "401"}, 401, {}),
        ({"body": "x"}, 200, {}),
        ({"statusCode": 200, "headers": {"Sec-WebSocket-Protocol": "chat"}}, 200,
         {"Sec-WebSocket-Protocol": "chat"}),
        ({"statusCode": 200, "multiValueHeaders": {"X-A": ["1", "2"]}}, 200, {"X-A": "1, 2"}),
        ({"statusCode": "nope"}, 502, {}),
        ({"statusCode": 99}, 502, {}),
        ({"statusCode": True}, 502, {}),
        ("a string", 200, {}),
    ],
)  # fmt: skip
def test_answer_of_a_connect_function(payload: Any, status: int, headers: dict[str, str]) -> None:
    assert answer_of(payload) == (status, headers)
