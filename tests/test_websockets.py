"""Tests for _events/_websockets.py: websocket events and the management API over real HTTP.

Sample events follow what API Gateway sends a Lambda proxy integration for a websocket
API (requestContext with routeKey, eventType, connectionId, domainName, stage, apiId).
The management API is a small stdlib HTTP server on 127.0.0.1 that answers
POST/GET/DELETE /{stage}/@connections/{id} as AWS's service model says: 200 (DELETE 204)
for a live connection, 410 GoneException for a gone one; boto3 talks to it with dummy
credentials, signing and all.
"""

from __future__ import annotations

import base64
import copy
import datetime
import http.server
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import boto3.session
import pytest
from botocore.exceptions import ClientError

from chalicelike._core._errors import (
    BadRequestError,
    ChaliceError,
    InvalidEventError,
    WebsocketDisconnectedError,
)
from chalicelike._events._lambda_events import BaseLambdaEvent
from chalicelike._events._websockets import (
    WebsocketAPI,
    WebsocketEvent,
    WebsocketEventType,
)

API_ID = "a1b2c3d4e5"
REGION = "eu-west-1"
DOMAIN = f"{API_ID}.execute-api.{REGION}.amazonaws.com"
STAGE = "dev"
CONNECTION_ID = "WyHPAfymhcwCENw="  # API Gateway's ids end in "=": quoted in the URL path


# -- sample events ------------------------------------------------------------------------


def _request_context(route_key: str, event_type: str, **extra: Any) -> dict[str, Any]:
    return {
        "routeKey": route_key,
        "messageId": None if event_type == "CONNECT" else "Wz3wIeK9DoECFdQ=",
        "eventType": event_type,
        "extendedRequestId": "Wz3wIH3cDoEFYmw=",
        "requestTime": "01/May/2024:12:00:00 +0000",
        "messageDirection": "IN",
        "stage": STAGE,
        "connectedAt": 1714564800000,
        "requestTimeEpoch": 1714564800123,
        "identity": {"sourceIp": "203.0.113.7", "userAgent": "Mozilla/5.0"},
        "requestId": "Wz3wIH3cDoEFYmw=",
        "domainName": DOMAIN,
        "connectionId": CONNECTION_ID,
        "apiId": API_ID,
        **extra,
    }


CONNECT_EVENT: dict[str, Any] = {
    "headers": {
        "Host": DOMAIN,
        "Sec-WebSocket-Extensions": "permessage-deflate; client_max_window_bits",
        "Sec-WebSocket-Key": "X/MA+DSRXZ8WnITjBpxm3g==",
        "Sec-WebSocket-Version": "13",
        "X-Forwarded-For": "203.0.113.7",
        "X-Forwarded-Port": "443",
        "X-Forwarded-Proto": "https",
    },
    "multiValueHeaders": {"Host": [DOMAIN], "Sec-WebSocket-Version": ["13"]},
    "queryStringParameters": {"room": "lobby"},
    "multiValueQueryStringParameters": {"room": ["lobby"]},
    "requestContext": _request_context("$connect", "CONNECT"),
    "isBase64Encoded": False,
}

MESSAGE_EVENT: dict[str, Any] = {
    "requestContext": _request_context("$default", "MESSAGE"),
    "body": '{"action": "chat", "text": "héllo"}',
    "isBase64Encoded": False,
}

DISCONNECT_EVENT: dict[str, Any] = {
    "headers": {"Host": DOMAIN, "x-api-key": ""},
    "multiValueHeaders": {"Host": [DOMAIN]},
    "requestContext": _request_context(
        "$disconnect", "DISCONNECT", disconnectStatusCode=1001, disconnectReason="Going away"
    ),
    "isBase64Encoded": False,
}


def _message(body: str, *, base64_encoded: bool = False, route: str = "$default") -> dict[str, Any]:
    event = copy.deepcopy(MESSAGE_EVENT)
    event["body"] = body
    event["isBase64Encoded"] = base64_encoded
    event["requestContext"]["routeKey"] = route
    return event


# -- WebsocketEvent -------------------------------------------------------------------------


def test_connect_event() -> None:
    context = object()
    event = WebsocketEvent(CONNECT_EVENT, context)
    assert isinstance(event, BaseLambdaEvent)
    assert event.connection_id == CONNECTION_ID
    assert event.route_key == "$connect"
    assert event.event_type is WebsocketEventType.CONNECT
    assert event.event_type == "CONNECT"  # a str enum: compares with AWS's spelling
    assert (event.domain_name, event.stage, event.api_id) == (DOMAIN, STAGE, API_ID)
    assert event.body == ""  # a connect carries no body
    assert event.raw_body == b""
    assert event.context is context
    assert event.to_dict() is CONNECT_EVENT
    assert repr(event) == (
        f"WebsocketEvent(connection_id={CONNECTION_ID!r}, route_key='$connect', "
        "event_type='CONNECT')"
    )


def test_message_event_body_and_json_body() -> None:
    event = WebsocketEvent(MESSAGE_EVENT)
    assert event.event_type is WebsocketEventType.MESSAGE
    assert event.route_key == "$default"
    assert event.body == '{"action": "chat", "text": "héllo"}'
    assert event.raw_body == event.body.encode("utf-8")
    assert event.json_body == {"action": "chat", "text": "héllo"}
    assert event.json_body is event.json_body  # parsed once


def test_disconnect_event() -> None:
    event = WebsocketEvent(DISCONNECT_EVENT)
    assert event.event_type is WebsocketEventType.DISCONNECT
    assert event.route_key == "$disconnect"
    assert event.body == ""


def test_custom_route_is_a_message() -> None:
    event = WebsocketEvent(_message('{"action": "sendmessage"}', route="sendmessage"))
    assert event.route_key == "sendmessage"
    assert event.event_type is WebsocketEventType.MESSAGE


@pytest.mark.parametrize(
    ("route", "expected"),
    [
        ("$connect", WebsocketEventType.CONNECT),
        ("$disconnect", WebsocketEventType.DISCONNECT),
        ("$default", WebsocketEventType.MESSAGE),
        ("join", WebsocketEventType.MESSAGE),
    ],
)
def test_event_type_follows_the_route_when_absent(route: str, expected: WebsocketEventType) -> None:
    event = _message("x", route=route)
    del event["requestContext"]["eventType"]
    assert WebsocketEvent(event).event_type is expected


def test_base64_body_is_decoded() -> None:
    encoded = base64.b64encode("bonjour ☃".encode()).decode("ascii")
    event = WebsocketEvent(_message(encoded, base64_encoded=True))
    assert event.body == "bonjour ☃"
    assert event.raw_body == "bonjour ☃".encode()


def test_binary_body_is_in_raw_body_and_body_says_so() -> None:
    frame = bytes([0x00, 0xFF, 0xFE, 0x10])
    event = WebsocketEvent(_message(base64.b64encode(frame).decode(), base64_encoded=True))
    assert event.raw_body == frame
    with pytest.raises(InvalidEventError, match=r"is binary, not UTF-8 text.*raw_body"):
        _ = event.body


def test_bad_base64_body() -> None:
    event = WebsocketEvent(_message("not base64!", base64_encoded=True))
    with pytest.raises(InvalidEventError, match=r"isBase64Encoded but is not base64"):
        _ = event.body


def test_bad_json_is_chalice_bad_request_naming_the_connection() -> None:
    event = WebsocketEvent(_message("{not json"))
    with pytest.raises(BadRequestError) as caught:  # what Chalice raises
        _ = event.json_body
    message = str(caught.value)
    assert message.startswith("Error Parsing JSON: ")
    assert CONNECTION_ID in message
    assert "'$default'" in message
    assert "is not JSON" in message


def test_json_body_of_a_connect_is_an_error() -> None:
    with pytest.raises(BadRequestError, match="is not JSON"):
        _ = WebsocketEvent(CONNECT_EVENT).json_body


@pytest.mark.parametrize(
    ("event_type", "default_route", "route"),
    [
        ("CONNECT", None, "$connect"),
        ("DISCONNECT", None, "$disconnect"),
        ("MESSAGE", None, "$default"),
        (None, None, "$default"),
        ("MESSAGE", "$default", "$default"),
        (None, "$connect", "$connect"),
    ],
)
def test_an_event_without_route_key_is_read_leniently(
    event_type: str | None, default_route: str | None, route: str
) -> None:
    # Chalice never reads routeKey; users' hand-made events leave it out.
    event = _without(("requestContext", "routeKey"))
    if event_type is None:
        del event["requestContext"]["eventType"]
    else:
        event["requestContext"]["eventType"] = event_type
    read = WebsocketEvent(event, default_route=default_route)
    assert read.route_key == route
    assert read.event_type.value == (event_type or {"$connect": "CONNECT"}.get(route, "MESSAGE"))


def test_a_chalice_websocket_handler_serves_an_event_without_route_key() -> None:
    from chalicelike import Chalice

    app = Chalice(app_name="ws", configure_logs=False)
    app.websocket_api.session = boto3.session.Session(region_name=REGION)
    seen: list[tuple[str, str]] = []

    @app.on_ws_connect()
    def connect(event: Any) -> None:
        seen.append((event.route_key, event.connection_id))

    event = _without(("requestContext", "routeKey"))
    del event["requestContext"]["eventType"]
    assert connect(event, context=None) == {"statusCode": 200}
    assert seen == [("$connect", CONNECTION_ID)]


def _without(path: tuple[str, ...]) -> dict[str, Any]:
    event = copy.deepcopy(MESSAGE_EVENT)
    target = event
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return event


@pytest.mark.parametrize(
    ("event", "problem"),
    [
        (["not", "an", "object"], "got a list instead of a JSON object"),
        ({"Records": [{"eventSource": "aws:sqs", "body": "x"}]}, "Records event from 'aws:sqs'"),
        (
            {"resource": "/", "httpMethod": "GET", "requestContext": {"stage": "dev"}},
            "got an HTTP request event",
        ),
        (
            {"version": "2.0", "routeKey": "$default", "requestContext": {"http": {}}},
            "got an HTTP request event",
        ),
        ({"requestContext": {"elb": {}}}, "got an ALB request event"),
        ({"detail-type": "Scheduled Event", "source": "aws.events"}, "EventBridge event"),
        ({"foo": 1}, "without 'requestContext' (its keys: foo)"),
        ({"requestContext": "nope"}, "requestContext is a string, not an object"),
        (_without(("requestContext", "connectionId")), "requestContext has no 'connectionId'"),
        (_without(("requestContext", "domainName")), "requestContext has no 'domainName'"),
        (_without(("requestContext", "stage")), "requestContext has no 'stage'"),
        (_message(body=7), "body is a number, not a string"),  # type: ignore[arg-type]
    ],
)
def test_malformed_events_say_what_was_expected(event: Any, problem: str) -> None:
    with pytest.raises(InvalidEventError) as caught:
        WebsocketEvent(event)
    message = str(caught.value)
    assert message.startswith("Expected an API Gateway websocket event")
    assert problem in message


def test_unknown_event_type() -> None:
    event = copy.deepcopy(MESSAGE_EVENT)
    event["requestContext"]["eventType"] = "PING"
    with pytest.raises(InvalidEventError, match=r"eventType is 'PING', not CONNECT, MESSAGE"):
        WebsocketEvent(event)


# -- a stand-in for the management API ------------------------------------------------------


@dataclass
class ManagementApi:
    """What the stand-in knows and what reached it."""

    live: set[str] = field(default_factory=set)
    forbidden: set[str] = field(default_factory=set)
    bare_410: set[str] = field(default_factory=set)  # 410 without an error type
    requests: list[tuple[str, str, str, bytes, dict[str, str]]] = field(default_factory=list)


class _Handler(http.server.BaseHTTPRequestHandler):
    # HTTP/1.0: one request per connection, so no kept-alive socket outlives the server.
    api: ManagementApi
    stage: str

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep the test output clean

    def _answer(self, status: int, body: bytes = b"", error_type: str | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        if error_type is not None:
            self.send_header("x-amzn-ErrorType", error_type)
        self.end_headers()
        self.wfile.write(body)

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        prefix = f"/{self.stage}/@connections/"
        if not self.path.startswith(prefix):
            self._answer(404, b'{"message": "Not Found"}')
            return
        connection_id = unquote(self.path[len(prefix) :])
        headers = {key.lower(): value for key, value in self.headers.items()}
        self.api.requests.append((self.command, self.path, connection_id, body, headers))
        if connection_id in self.api.forbidden:
            self._answer(403, b'{"message": "Forbidden"}', "ForbiddenException")
        elif connection_id in self.api.bare_410:
            self._answer(410)
        elif connection_id not in self.api.live:
            # What API Gateway answers for a connection that has closed (GoneException).
            self._answer(410, b'{"message": null}', "GoneException")
        elif self.command == "POST":
            self._answer(200)
        elif self.command == "DELETE":
            self.api.live.discard(connection_id)
            self._answer(204)  # DeleteConnection's responseCode in AWS's service model
        else:
            info = {
                "connectedAt": "2024-05-01T12:00:00.000Z",
                "identity": {"sourceIp": "203.0.113.7", "userAgent": "Mozilla/5.0"},
                "lastActiveAt": "2024-05-01T12:05:30.000Z",
            }
            self._answer(200, json.dumps(info).encode())

    do_POST = do_GET = do_DELETE = _handle


@dataclass
class Served:
    api: ManagementApi
    endpoint_url: str


@pytest.fixture
def management_api() -> Iterator[Served]:
    api = ManagementApi(live={CONNECTION_ID, "second-connection"})
    handler = type("Handler", (_Handler,), {"api": api, "stage": STAGE})
    server = http.server.HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield Served(api, f"http://127.0.0.1:{server.server_address[1]}/{STAGE}")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
        assert not thread.is_alive()


@pytest.fixture
def websocket_api(management_api: Served) -> Iterator[WebsocketAPI]:
    with WebsocketAPI(env={}) as api:
        api.session = boto3.session.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
        )
        api.configure(DOMAIN, STAGE, endpoint_url=management_api.endpoint_url)
        yield api


# -- WebsocketAPI over HTTP -----------------------------------------------------------------


def test_send_text_posts_utf8_bytes(websocket_api: WebsocketAPI, management_api: Served) -> None:
    websocket_api.send(CONNECTION_ID, "héllo ☃")
    [(method, path, connection_id, body, headers)] = management_api.api.requests
    assert method == "POST"
    assert path == f"/{STAGE}/@connections/WyHPAfymhcwCENw%3D"
    assert connection_id == CONNECTION_ID
    assert body == "héllo ☃".encode()
    # Signed with SigV4 for the execute-api service in the API's region.
    assert headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=testing/")
    assert f"/{REGION}/execute-api/aws4_request" in headers["authorization"]


def test_send_bytes_as_they_are(websocket_api: WebsocketAPI, management_api: Served) -> None:
    frame = bytes(range(256))
    websocket_api.send(CONNECTION_ID, frame)
    websocket_api.send("second-connection", bytearray(b"\x00\x01"))
    posted = [(cid, body) for _, _, cid, body, _ in management_api.api.requests]
    assert posted == [(CONNECTION_ID, frame), ("second-connection", b"\x00\x01")]


def test_send_refuses_other_types(websocket_api: WebsocketAPI, management_api: Served) -> None:
    with pytest.raises(TypeError, match=r"str or bytes, not dict; use json.dumps"):
        websocket_api.send(CONNECTION_ID, {"a": 1})  # type: ignore[arg-type]
    assert management_api.api.requests == []


def test_gone_connection_raises_disconnected(
    websocket_api: WebsocketAPI, management_api: Served
) -> None:
    with pytest.raises(WebsocketDisconnectedError) as caught:
        websocket_api.send("closed-one", "hi")
    assert caught.value.connection_id == "closed-one"
    assert isinstance(caught.value, ChaliceError)
    cause = caught.value.__cause__
    assert isinstance(cause, ClientError)
    assert cause.response["Error"]["Code"] == "GoneException"
    assert cause.response["ResponseMetadata"]["HTTPStatusCode"] == 410
    assert len(management_api.api.requests) == 1  # a 410 is not retried


def test_bare_410_is_also_gone(websocket_api: WebsocketAPI, management_api: Served) -> None:
    management_api.api.bare_410.add("odd")
    with pytest.raises(WebsocketDisconnectedError):
        websocket_api.send("odd", "hi")


def test_other_client_errors_propagate(websocket_api: WebsocketAPI, management_api: Served) -> None:
    management_api.api.forbidden.add("locked")
    with pytest.raises(ClientError) as caught:
        websocket_api.send("locked", "hi")
    assert caught.value.response["Error"]["Code"] == "ForbiddenException"


def test_info(websocket_api: WebsocketAPI, management_api: Served) -> None:
    info = websocket_api.info(CONNECTION_ID)
    utc = datetime.timezone.utc
    assert info["ConnectedAt"] == datetime.datetime(2024, 5, 1, 12, 0, tzinfo=utc)
    assert info["LastActiveAt"] == datetime.datetime(2024, 5, 1, 12, 5, 30, tzinfo=utc)
    assert info["Identity"] == {"SourceIp": "203.0.113.7", "UserAgent": "Mozilla/5.0"}
    assert management_api.api.requests[0][0] == "GET"
    with pytest.raises(WebsocketDisconnectedError):
        websocket_api.info("closed-one")


def test_close_then_send_is_gone(websocket_api: WebsocketAPI, management_api: Served) -> None:
    websocket_api.close(CONNECTION_ID)
    assert management_api.api.requests[0][:3] == (
        "DELETE",
        f"/{STAGE}/@connections/WyHPAfymhcwCENw%3D",
        CONNECTION_ID,
    )
    assert CONNECTION_ID not in management_api.api.live
    with pytest.raises(WebsocketDisconnectedError):
        websocket_api.send(CONNECTION_ID, "still there?")
    with pytest.raises(WebsocketDisconnectedError):
        websocket_api.close(CONNECTION_ID)


def test_client_is_kept_until_the_endpoint_changes(
    websocket_api: WebsocketAPI, management_api: Served
) -> None:
    websocket_api.send(CONNECTION_ID, "one")
    client = websocket_api._client
    # Every event configures again; the same endpoint (trailing slash or not) keeps the client.
    websocket_api.configure(DOMAIN, STAGE, endpoint_url=management_api.endpoint_url + "/")
    websocket_api.send(CONNECTION_ID, "two")
    assert websocket_api._client is client
    # Another API (here: in another region) gets a client of its own.
    websocket_api.configure(
        f"{API_ID}.execute-api.us-east-2.amazonaws.com",
        STAGE,
        endpoint_url=management_api.endpoint_url,
    )
    websocket_api.send(CONNECTION_ID, "three")
    assert websocket_api._client is not client
    requests = management_api.api.requests
    assert [body for *_, body, _ in requests] == [b"one", b"two", b"three"]
    assert "/us-east-2/execute-api/aws4_request" in requests[2][4]["authorization"]


def test_session_is_created_on_first_use(
    management_api: Served, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    # boto3 reads credentials from the process environment; keep real profiles out.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    with WebsocketAPI(env={}) as api:
        assert api.session is None
        api.configure(DOMAIN, STAGE, endpoint_url=management_api.endpoint_url)
        assert api.session is None  # configuring imports and creates nothing
        api.send(CONNECTION_ID, "hi")
        assert isinstance(api.session, boto3.session.Session)
    [(*_, headers)] = management_api.api.requests
    # The region came from the execute-api domain name, not from the environment.
    assert f"/{REGION}/execute-api/aws4_request" in headers["authorization"]


# -- configuration ----------------------------------------------------------------------------


def test_configure_builds_the_endpoint() -> None:
    api = WebsocketAPI(env={})
    assert api.endpoint is None
    api.configure(DOMAIN, STAGE)
    assert api.endpoint == f"https://{DOMAIN}/{STAGE}"
    api.configure("ws.example.com", "v1")  # a custom domain and its base path
    assert api.endpoint == "https://ws.example.com/v1"
    api.configure("ws.example.com", "")  # mapped at the domain's root
    assert api.endpoint == "https://ws.example.com"


@pytest.mark.parametrize(
    ("env", "region"),
    [
        ({"AWS_REGION": "ap-south-1", "AWS_DEFAULT_REGION": "us-east-1"}, "ap-south-1"),
        ({"AWS_DEFAULT_REGION": "us-east-1"}, "us-east-1"),
    ],
)
def test_configure_from_api_id(env: dict[str, str], region: str) -> None:
    api = WebsocketAPI(env=env)
    api.configure_from_api_id(API_ID, "prod")
    assert api.endpoint == f"https://{API_ID}.execute-api.{region}.amazonaws.com/prod"


def test_configure_from_api_id_uses_a_given_sessions_region() -> None:
    api = WebsocketAPI(env={})
    api.session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="sa-east-1"
    )
    api.configure_from_api_id(API_ID, "prod")
    assert api.endpoint == f"https://{API_ID}.execute-api.sa-east-1.amazonaws.com/prod"


def test_configure_from_api_id_without_a_region() -> None:
    api = WebsocketAPI(env={"HOME": "/root"})
    with pytest.raises(ChaliceError) as caught:
        api.configure_from_api_id(API_ID, "prod")
    message = str(caught.value)
    assert API_ID in message
    assert "AWS_REGION" in message
    assert "AWS_DEFAULT_REGION" in message
    assert api.endpoint is None


def test_configure_from_event() -> None:
    api = WebsocketAPI(env={"AWS_REGION": REGION})
    api.configure_from_event(WebsocketEvent(MESSAGE_EVENT))
    assert api.endpoint == f"https://{DOMAIN}/{STAGE}"
    # Through a custom domain the stage need not be the base path: use the API's own domain.
    custom = copy.deepcopy(MESSAGE_EVENT)
    custom["requestContext"]["domainName"] = "ws.example.com"
    api.configure_from_event(WebsocketEvent(custom))
    assert api.endpoint == f"https://{DOMAIN}/{STAGE}"
    # Without a region to build that domain, the event's domain and stage it is.
    other = WebsocketAPI(env={})
    other.configure_from_event(WebsocketEvent(custom))
    assert other.endpoint == f"https://ws.example.com/{STAGE}"


@pytest.mark.parametrize(
    ("domain", "endpoint"),
    [
        ("127.0.0.1:8000", "http://127.0.0.1:8000/dev"),
        ("localhost:8000", "http://localhost:8000/dev"),
        ("LocalHost", "http://LocalHost/dev"),
        ("[::1]:8000", "http://[::1]:8000/dev"),
        ("127.0.0.2:8000", "https://127.0.0.2:8000/dev"),  # not `chalicelike local`'s
        ("localhost.example.com", "https://localhost.example.com/dev"),
    ],
)
def test_a_loopback_domain_is_the_local_gateway_over_http(domain: str, endpoint: str) -> None:
    # The local gateway's events carry an apiId and workers have AWS_REGION: still its own
    # URL, never the execute-api one, so handlers' sends reach it with no code change.
    event = copy.deepcopy(MESSAGE_EVENT)
    event["requestContext"]["domainName"] = domain
    event["requestContext"]["stage"] = "dev"
    api = WebsocketAPI(env={"AWS_REGION": REGION})
    api.configure_from_event(WebsocketEvent(event))
    if endpoint.startswith("http:"):
        assert api.endpoint == endpoint
    else:  # another domain through which the API is reached: its execute-api URL
        assert api.endpoint == f"https://{DOMAIN}/dev"
    api.configure(domain, "dev")
    assert api.endpoint == endpoint


@pytest.mark.parametrize("domain", ["192.168.1.20:8000", "laptop.lan:8000", "example.com"])
def test_the_local_gateways_events_answer_over_http_whatever_address_the_client_used(
    domain: str,
) -> None:
    # apiId "local" is chalicelike local's gateway (no AWS API has that id): a client on the
    # LAN (--host 0.0.0.0) must not make its handler send to AWS's execute-api URL.
    event = copy.deepcopy(MESSAGE_EVENT)
    event["requestContext"].update(domainName=domain, stage="api", apiId="local")
    api = WebsocketAPI(env={"AWS_REGION": REGION})
    api.configure_from_event(WebsocketEvent(event))
    assert api.endpoint == f"http://{domain}/api"


def test_the_endpoint_wins_over_aws_endpoint_url(
    management_api: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `chalicelike local`'s workers have AWS_ENDPOINT_URL (the moto endpoint) set; boto3's
    # explicit endpoint_url must still send to the gateway. The environment's points nowhere.
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    port = management_api.endpoint_url.split(":")[2].split("/")[0]
    event = copy.deepcopy(MESSAGE_EVENT)
    event["requestContext"]["domainName"] = f"127.0.0.1:{port}"
    with WebsocketAPI(env={"AWS_REGION": REGION}) as api:
        api.session = boto3.session.Session(region_name=REGION)
        api.configure_from_event(WebsocketEvent(event))
        api.send(CONNECTION_ID, "through the gateway")
    [(method, path, connection_id, body, _)] = management_api.api.requests
    assert (method, connection_id, body) == ("POST", CONNECTION_ID, b"through the gateway")
    assert path.startswith(f"/{STAGE}/@connections/")


@pytest.mark.parametrize("call", ["send", "close", "info"])
def test_use_before_configure_says_what_to_do(call: str) -> None:
    api = WebsocketAPI(env={})
    with pytest.raises(ChaliceError) as caught:
        if call == "send":
            api.send(CONNECTION_ID, "hi")
        elif call == "close":
            api.close(CONNECTION_ID)
        else:
            api.info(CONNECTION_ID)
    message = str(caught.value)
    assert "configure(domain_name, stage)" in message
    assert "configured automatically" in message
    assert api.session is None  # nothing was created on the way to the error


def test_custom_domain_without_any_region_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))  # no region in a profile
    with WebsocketAPI(env={}) as api:
        api.session = boto3.session.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing"
        )
        api.configure("ws.example.com", "v1")
        with pytest.raises(
            ChaliceError, match=r"Cannot sign requests to https://ws.example.com/v1"
        ):
            api.send(CONNECTION_ID, "hi")


def test_close_client_without_a_client() -> None:
    api = WebsocketAPI(env={})
    api.close_client()  # nothing to close: no error


def test_importing_the_module_imports_no_boto3() -> None:
    code = (
        "import sys, chalicelike._events._websockets; "
        "print(sorted(m for m in ('boto3', 'botocore') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"


# -- a session stand-in, as Chalice's own websocket tests use -----------------------------


class _GoneException(Exception):
    pass


class _RecordingClient:
    """What Chalice's tests hand WebsocketAPI: a client that records calls."""

    class exceptions:  # boto3 clients spell it so
        GoneException = _GoneException

    def __init__(self, gone: bool = False) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.gone = gone

    def _record(self, name: str, params: dict[str, Any]) -> dict[str, Any]:
        self.calls.append((name, params))
        if self.gone:
            raise _GoneException()
        return {}

    def post_to_connection(self, **params: Any) -> dict[str, Any]:
        return self._record("post_to_connection", params)

    def delete_connection(self, **params: Any) -> dict[str, Any]:
        return self._record("delete_connection", params)


class _RecordingSession:
    def __init__(self, client: _RecordingClient, region_name: str = "us-west-2") -> None:
        self.calls: list[tuple[str, str | None]] = []
        self.region_name = region_name
        self._client = client

    def client(self, name: str, endpoint_url: str | None = None) -> _RecordingClient:
        self.calls.append((name, endpoint_url))
        return self._client


def _chalice_style_event(route: str, body: str | None = None) -> dict[str, Any]:
    event = copy.deepcopy(MESSAGE_EVENT)
    event["requestContext"].update(
        routeKey=route, apiId="abcd1234", stage="api", connectionId="ABCD1234=",
        domainName="api.custom-domain-name.com",
    )  # fmt: skip
    event["body"] = body
    return event


def test_chalice_style_session_and_client_work_unchanged() -> None:
    # Chalice's websocket unit tests: session.client(name, endpoint_url=...) only, a str
    # message passed as it is, the client's own GoneException, the API id over a custom
    # domain with the region the session names.
    from chalicelike import Chalice

    app = Chalice(app_name="ws", configure_logs=False)
    app.websocket_api = WebsocketAPI(env={})
    client = _RecordingClient()
    app.websocket_api.session = session = _RecordingSession(client, region_name="us-east-2")

    @app.on_ws_message()
    def message(event: Any) -> None:
        app.websocket_api.send(event.connection_id, event.body)

    assert message(_chalice_style_event("$default", "foo bar"), context=None) == {"statusCode": 200}
    assert session.calls == [
        ("apigatewaymanagementapi", "https://abcd1234.execute-api.us-east-2.amazonaws.com/api")
    ]
    assert client.calls == [
        ("post_to_connection", {"ConnectionId": "ABCD1234=", "Data": "foo bar"})
    ]
    client.gone = True
    with pytest.raises(WebsocketDisconnectedError) as error:
        app.websocket_api.close("ABCD1234=")
    assert error.value.connection_id == "ABCD1234="


def test_chalice_echo_server_tutorial_runs_unchanged() -> None:
    # Chalice's websocket tutorial app, import changed; the session is a stand-in that
    # records what boto3 would be asked.
    from chalicelike import Chalice
    from chalicelike import WebsocketDisconnectedError as Disconnected

    app = Chalice(app_name="echo-server")
    client = _RecordingClient()
    app.websocket_api.session = _RecordingSession(client)
    app.experimental_feature_flags.update(["WEBSOCKETS"])

    @app.on_ws_message()
    def message(event: Any) -> None:
        try:  # noqa: SIM105 - the tutorial's code, unchanged
            app.websocket_api.send(connection_id=event.connection_id, message=event.body)
        except Disconnected:
            pass  # Disconnected so we can't send the message back.

    event = _chalice_style_event("$default", "hello")
    event["requestContext"]["domainName"] = "abcd1234.execute-api.us-west-2.amazonaws.com"
    assert message(event, None) == {"statusCode": 200}
    client.gone = True
    assert message(event, None) == {"statusCode": 200}
    assert client.calls == [
        ("post_to_connection", {"ConnectionId": "ABCD1234=", "Data": "hello"}),
        ("post_to_connection", {"ConnectionId": "ABCD1234=", "Data": "hello"}),
    ]
