"""The events LocalGateway sends: REST API payload 1.0 and HTTP API 2.0, checked field by field
and read back by the Lambda side (chalicelike/_doors/_http_events.py, Request) as on AWS."""

from __future__ import annotations

import base64
import re
import uuid
from typing import Any

import pytest

from chalicelike._auth._authorizers import AuthorizerType
from chalicelike._core._request import Request
from chalicelike._core._response import lowered_media_types
from chalicelike._doors._http_events import HttpEventSource, parse_http_event
from chalicelike._tooling._gateway_auth import AuthorizerCall
from chalicelike.local._gateway_events import (
    IncomingRequest,
    authorizer_context,
    authorizer_event,
    http_api_event,
    request_time,
    rest_event,
)

CLF_TIME = re.compile(r"^\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} \+0000$")
BINARY = lowered_media_types(["application/octet-stream", "image/png"])


def incoming(
    method: str = "GET",
    raw_path: str = "/orders/7",
    query: str = "",
    headers: list[tuple[str, str]] | None = None,
    body: bytes = b"",
) -> IncomingRequest:
    scope = {
        "type": "http",
        "method": method,
        "path": re.sub("%20", " ", raw_path),
        "raw_path": raw_path.encode(),
        "query_string": query.encode(),
        "http_version": "1.1",
        "client": ("10.1.2.3", 50000),
        "headers": [
            (name.encode("latin-1"), value.encode("latin-1"))
            for name, value in (headers or [("Host", "localhost:8000"), ("User-Agent", "ua/1")])
        ],
    }
    request = IncomingRequest.from_scope(scope)
    request.body = body
    return request


def rest(request: IncomingRequest, **overrides: Any) -> dict[str, Any]:
    options: dict[str, Any] = {
        "resource": "/orders/{order_id}",
        "resource_id": "abc123",
        "params": {"order_id": "7"},
        "api_stage": "api",
        "binary_types": BINARY,
    }
    options.update(overrides)
    return rest_event(request, **options)


def test_a_rest_event_has_every_documented_field() -> None:
    request = incoming()
    event = rest(request)
    assert set(event) == {
        "resource", "path", "httpMethod", "headers", "multiValueHeaders",
        "queryStringParameters", "multiValueQueryStringParameters", "pathParameters",
        "stageVariables", "requestContext", "body", "isBase64Encoded",
    }  # fmt: skip
    assert (event["resource"], event["path"], event["httpMethod"]) == (
        "/orders/{order_id}",
        "/orders/7",
        "GET",
    )
    assert event["pathParameters"] == {"order_id": "7"}
    assert event["queryStringParameters"] is None
    assert event["multiValueQueryStringParameters"] is None
    assert (event["body"], event["isBase64Encoded"]) == (None, False)
    context = event["requestContext"]
    assert context["path"] == "/orders/7"  # local URLs carry no stage
    assert context["stage"] == "api"
    assert context["resourceId"] == "abc123"
    assert context["resourcePath"] == "/orders/{order_id}"
    assert context["httpMethod"] == "GET"
    assert context["protocol"] == "HTTP/1.1"
    assert context["accountId"] == "123456789012"
    assert context["apiId"] == "local"
    assert context["domainName"] == "localhost:8000"
    assert context["domainPrefix"] == "localhost"
    assert uuid.UUID(context["requestId"]).version == 4
    assert context["requestId"] == request.request_id
    assert context["extendedRequestId"] == request.extended_id
    assert CLF_TIME.match(context["requestTime"])
    assert context["requestTimeEpoch"] == request.epoch_ms
    assert context["identity"]["sourceIp"] == "10.1.2.3"
    assert context["identity"]["userAgent"] == "ua/1"
    assert "authorizer" not in context


def test_repeated_headers_and_parameters_keep_every_value() -> None:
    request = incoming(
        query="tag=a&tag=b%20c&empty=",
        headers=[("Host", "h"), ("X-Tag", "one"), ("x-tag", "two")],
    )
    event = rest(request)
    assert event["multiValueHeaders"]["x-tag"] == ["one", "two"]
    assert event["headers"]["x-tag"] == "two"  # the single-value form: the last one
    assert event["multiValueQueryStringParameters"] == {"tag": ["a", "b c"], "empty": [""]}
    assert event["queryStringParameters"] == {"tag": "b c", "empty": ""}
    http = parse_http_event(event)
    assert http.source is HttpEventSource.REST_API
    assert http.headers["x-tag"] == "one,two"
    assert http.query == {"tag": ["a", "b c"], "empty": [""]}


def test_api_gateway_adds_forwarding_and_trace_headers() -> None:
    request = incoming(headers=[("Host", "localhost:9000"), ("X-Forwarded-For", "1.1.1.1")])
    headers = rest(request)["headers"]
    assert headers["x-forwarded-for"] == "1.1.1.1, 10.1.2.3"
    assert headers["x-forwarded-port"] == "9000"
    assert headers["x-forwarded-proto"] == "http"
    assert headers["x-amzn-trace-id"] == request.trace_id
    assert re.match(r"^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$", request.trace_id)


def test_every_request_gets_its_own_ids() -> None:
    first, second = incoming(), incoming()
    assert first.request_id != second.request_id
    assert first.extended_id != second.extended_id
    assert len(base64.b64decode(first.extended_id)) == 11


@pytest.mark.parametrize(
    ("content_type", "body", "is_base64"),
    [
        ("application/json", b'{"a": 1}', False),
        ("text/plain; charset=utf-8", "héllo".encode(), False),
        ("application/octet-stream", b"\x00\x01\xff", True),
        ("image/png", b"\x89PNG", True),  # binary even when it happens to be ASCII
        ("text/plain", b"\xff\xfe", True),  # not UTF-8: base64 keeps the bytes
    ],
)
def test_rest_bodies_are_base64_for_the_apps_binary_types(
    content_type: str, body: bytes, is_base64: bool
) -> None:
    request = incoming("POST", headers=[("Host", "h"), ("Content-Type", content_type)], body=body)
    event = rest(request)
    assert event["isBase64Encoded"] is is_base64
    assert parse_http_event(event).body == body


def test_the_request_built_from_a_rest_event_sees_the_request() -> None:
    request = incoming(
        "PUT",
        query="x=1",
        headers=[("Host", "h"), ("Content-Type", "application/json")],
        body=b'{"n": 2}',
    )
    event = rest(request)
    view_request = Request(event)
    assert view_request.method == "PUT"
    assert view_request.json_body == {"n": 2}
    assert view_request.query_params is not None and view_request.query_params["x"] == "1"
    assert view_request.uri_params == {"order_id": "7"}
    assert view_request.context["stage"] == "api"


def http_api(request: IncomingRequest, route_key: str = "GET /orders/{order_id}") -> dict[str, Any]:
    return http_api_event(request, route_key, {"order_id": "7"})


def test_an_http_api_event_has_every_documented_field() -> None:
    request = incoming(
        raw_path="/orders/7%2Fx/",
        query="a=1&a=2&b=x%20y",
        headers=[("Host", "api.local:8000"), ("User-Agent", "ua/2"), ("Cookie", "s=1; t=2")],
    )
    event = http_api(request)
    assert event["version"] == "2.0"
    assert event["routeKey"] == "GET /orders/{order_id}"
    assert event["rawPath"] == "/orders/7%2Fx/"  # as sent, trailing slash kept
    assert event["rawQueryString"] == "a=1&a=2&b=x%20y"
    assert event["cookies"] == ["s=1", "t=2"]
    assert "cookie" not in event["headers"]  # payload 2.0 moves cookies out of headers
    assert event["queryStringParameters"] == {"a": "1,2", "b": "x y"}
    assert event["pathParameters"] == {"order_id": "7"}
    assert event["isBase64Encoded"] is False and "body" not in event
    context = event["requestContext"]
    assert context["http"] == {
        "method": "GET",
        "path": "/orders/7%2Fx/",
        "protocol": "HTTP/1.1",
        "sourceIp": "10.1.2.3",
        "userAgent": "ua/2",
    }
    assert context["routeKey"] == "GET /orders/{order_id}"
    assert context["stage"] == "$default"
    assert context["requestId"] == request.extended_id
    assert context["domainName"] == "api.local:8000"
    assert context["domainPrefix"] == "api"
    assert CLF_TIME.match(context["time"])
    assert context["timeEpoch"] == request.epoch_ms
    assert (context["accountId"], context["apiId"]) == ("123456789012", "local")


def test_the_lambda_side_reads_an_http_api_event_back() -> None:
    request = incoming(
        "POST",
        raw_path="/orders/7/",
        query="a=1&a=2",
        headers=[("Host", "h"), ("X-Tag", "a"), ("X-Tag", "b"), ("Cookie", "s=1; t=2")],
        body=b"hello",
    )
    request.headers["content-type"] = ["text/plain"]
    http = parse_http_event(http_api(request, "POST /orders/{order_id}"))
    assert http.source is HttpEventSource.HTTP_API
    assert (http.method, http.route_path) == ("POST", "/orders/7/")
    assert http.query_string == "a=1&a=2"
    assert http.headers["x-tag"] == "a,b"
    assert http.headers["cookie"] == "s=1; t=2"
    assert http.body == b"hello"


@pytest.mark.parametrize(
    ("content_type", "is_base64"),
    [
        ("application/json", False),
        ("text/csv", False),
        ("application/vnd.api+json", False),
        ("application/xml; charset=utf-8", False),
        ("application/octet-stream", True),
        ("application/x-www-form-urlencoded", True),  # HTTP APIs encode form posts
        (None, True),
    ],
)
def test_http_api_bodies_are_base64_unless_text(content_type: str | None, is_base64: bool) -> None:
    headers = [("Host", "h")] + ([("Content-Type", content_type)] if content_type else [])
    event = http_api(incoming("POST", headers=headers, body=b"a=1&b=2"))
    assert event["isBase64Encoded"] is is_base64
    assert parse_http_event(event).body == b"a=1&b=2"


CALL = AuthorizerCall("auth", AuthorizerType.REQUEST, ("k-1", "acme"), "arn:x", 0)


def test_a_request_authorizer_gets_the_rest_event_without_its_body() -> None:
    request = incoming("POST", headers=[("Host", "h"), ("X-Api-Key", "k-1")], body=b"secret")
    event = rest(request)
    auth = authorizer_event(event, CALL)
    assert (auth["type"], auth["methodArn"]) == ("REQUEST", "arn:x")
    assert "body" not in auth and "isBase64Encoded" not in auth
    assert auth["multiValueHeaders"]["x-api-key"] == ["k-1"]
    assert auth["requestContext"] is event["requestContext"]
    assert event["body"] == "secret"  # the proxy event itself is untouched


def test_a_payload_2_request_authorizer_gets_route_arn_and_identity_source() -> None:
    auth = authorizer_event(http_api(incoming("POST", body=b"x")), CALL)
    assert (auth["version"], auth["type"], auth["routeArn"]) == ("2.0", "REQUEST", "arn:x")
    assert auth["identitySource"] == ["k-1", "acme"]
    assert "body" not in auth and "methodArn" not in auth


@pytest.mark.parametrize(
    ("kind", "context", "version", "latency", "expected"),
    [
        ("ChaliceAuthorizer", {"principalId": "u", "tier": "gold"}, "1.0", 3,
         {"principalId": "u", "tier": "gold", "integrationLatency": 3}),
        ("CognitoUserPoolAuthorizer", {"claims": {"sub": "s"}}, "1.0", None,
         {"claims": {"sub": "s"}}),
        ("IAMAuthorizer", {}, "1.0", None, None),
        ("ChaliceAuthorizer", {"principalId": "u", "tier": "gold"}, "2.0", 3,
         {"lambda": {"tier": "gold"}, "principalId": "u"}),
        ("ChaliceAuthorizer", {"tier": "gold"}, "2.0", 3, {"lambda": {"tier": "gold"}}),
        ("CognitoUserPoolAuthorizer", {"claims": {"sub": "s"}}, "2.0", None,
         {"jwt": {"claims": {"sub": "s"}, "scopes": None}}),
        ("JWTAuthorizer", {"jwt": {"claims": {}, "scopes": None}}, "2.0", None,
         {"jwt": {"claims": {}, "scopes": None}}),
        ("IAMAuthorizer", {}, "2.0", None, {"iam": {}}),
    ],
)  # fmt: skip
def test_the_authorizer_context_takes_each_payloads_shape(
    kind: str, context: dict[str, Any], version: str, latency: int | None, expected: Any
) -> None:
    assert authorizer_context(kind, context, version, latency) == expected


def test_request_time_is_api_gateways_clf_time() -> None:
    assert request_time(1583348638390) == "04/Mar/2020:19:03:58 +0000"
    assert request_time(1583348638999) == "04/Mar/2020:19:03:58 +0000"
    assert request_time(1583348639000) == "04/Mar/2020:19:03:59 +0000"


def test_the_gateway_request_is_what_an_authorizer_may_read() -> None:
    request = incoming(query="t=1&t=2", headers=[("Host", "h"), ("X-A", "1"), ("x-a", "2")])
    gateway_request = request.gateway_request("/orders/{order_id}", {"order_id": "7"}, "api")
    assert gateway_request.headers["x-a"] == "1,2"
    assert gateway_request.query == {"t": ["1", "2"]}
    assert (gateway_request.path, gateway_request.resource) == ("/orders/7", "/orders/{order_id}")
    assert gateway_request.stage == "api"
