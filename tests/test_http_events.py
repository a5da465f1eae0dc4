"""Tests for _doors/_http_events.py: which front door sent an event, and the request in it.

The sample events come from tests/lambda_events.py, in the shape AWS documents for each
source (API Gateway REST and HTTP API payloads, Function URLs, ALB target groups,
Lambda@Edge request events); a test about one field's exact shape sets that field here.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest

from chalicelike._core._errors import InvalidEventError
from chalicelike._doors._http_events import (
    HttpEventSource,
    HttpRequest,
    identify_source,
    parse_http_event,
)
from tests.lambda_events import (
    ALB_HOST,
    CLIENT_IP,
    EDGE_HOST,
    FUNCTION_URL_HOST,
    HTTP_API_HOST,
    REST_HOST,
    TRACE,
    USER_AGENT,
    alb,
    edge,
    function_url,
    http_api,
    rest,
)

# -- sample events: GET /orders/42 with a repeated query key, a repeated Accept header and
# two cookies, through each front door ----------------------------------------------------

COOKIES = ["session=abc123", "theme=dark"]
ACCEPT = ["text/html", "application/json"]
V2_QUERY = "tag=a&tag=b&q=caf%C3%A9+au+lait"
V2_HEADERS = {"Accept": ACCEPT, "Content-Length": "0"}


def rest_event(version: str | None = None) -> dict[str, Any]:
    """A REST API proxy event: GET /prod/orders/42?tag=a&tag=b&expand=items with two cookies."""
    headers = {
        "Accept": "application/json",
        "Cookie": COOKIES,  # two Cookie headers: `headers` keeps the last
        "X-Forwarded-For": "198.51.100.23, 203.0.113.7",
    }
    return rest(
        "GET",
        "/orders/42?tag=a&tag=b&expand=items",
        headers,
        resource="/orders/{order_id}",
        path_params={"order_id": "42"},
        stage="prod",
        stage_variables={"table": "orders-prod"},
        version=version,
    )


def v2_event(
    route_key: str = "GET /orders/{order_id}", path: str = "/orders/42/", stage: str = "$default"
) -> dict[str, Any]:
    """An HTTP API payload 2.0 event."""
    path_params = {"order_id": "42"} if "{order_id}" in route_key else None
    return http_api(
        "GET",
        f"{path}?{V2_QUERY}",
        V2_HEADERS,
        cookies=COOKIES,
        path_params=path_params,
        stage=stage,
        route_key=route_key,
    )


def function_url_event() -> dict[str, Any]:
    return function_url("GET", f"/orders/42?{V2_QUERY}", V2_HEADERS, cookies=COOKIES)


def alb_event(multi_value: bool) -> dict[str, Any]:
    """An ALB target group event; the query arrives as the client sent it (not decoded)."""
    return alb(
        "GET",
        "/orders/42?tag=a%2Fb&tag=c&q=caf%C3%A9+au+lait&page%20size=10",
        {"Accept": ACCEPT, "Cookie": COOKIES},
        multi_value=multi_value,
    )


def edge_event(event_type: str = "viewer-request") -> dict[str, Any]:
    """A Lambda@Edge viewer-request or origin-request event."""
    return edge(
        "GET", "/orders/42?tag=a&tag=b", {"Accept": ACCEPT}, cookies=COOKIES, event_type=event_type
    )


def _edge_with(event_type: str = "viewer-request", **changes: Any) -> dict[str, Any]:
    """A sample Lambda@Edge event whose request has these fields changed."""
    event = edge_event(event_type)
    event["Records"][0]["cf"]["request"].update(changes)
    return event


def proxied(host: str, sent: dict[str, str]) -> dict[str, str]:
    """The headers to read from a sample behind API Gateway or an ALB: the client's, the door's."""
    return {
        "host": host,
        "user-agent": USER_AGENT,
        "x-amzn-trace-id": TRACE,
        "x-forwarded-for": CLIENT_IP,
        "x-forwarded-port": "443",
        "x-forwarded-proto": "https",
        **sent,
    }


def fields(http: HttpRequest) -> dict[str, Any]:
    """Everything parse_http_event read, as one dict to compare exactly."""
    return {
        "source": http.source,
        "method": http.method,
        "route_path": http.route_path,
        "root_path": http.root_path,
        "headers": http.headers,
        "body": http.body,
        "query": http.query,
        "query_string": http.query_string,
        "resource": http.resource,
        "path_params": http.path_params,
        "multi_value": http.multi_value,
    }


def expected_fields(
    source: HttpEventSource, headers: dict[str, str], **differing: Any
) -> dict[str, Any]:
    """What `fields` should give for a sample GET /orders/42, but for what `differing` says."""
    return {
        "source": source,
        "method": "GET",
        "route_path": "/orders/42",
        "root_path": "",
        "headers": headers,
        "body": b"",
        "query": None,
        "query_string": "",
        "resource": None,
        "path_params": None,
        "multi_value": False,
        **differing,
    }


# -- API Gateway REST (payload 1.0) -----------------------------------------------------


@pytest.mark.parametrize("version", [None, "1.0"])
def test_rest_event_is_read_in_full(version: str | None) -> None:
    headers = {
        "accept": "application/json",
        "cookie": "session=abc123; theme=dark",
        "x-forwarded-for": "198.51.100.23, 203.0.113.7",
    }
    # route_path: `path` has no stage; requestContext.path has it.
    assert fields(parse_http_event(rest_event(version))) == expected_fields(
        HttpEventSource.REST_API,
        proxied(REST_HOST, headers),
        query={"tag": ["a", "b"], "expand": ["items"]},
        resource="/orders/{order_id}",
        path_params={"order_id": "42"},
    )


def test_rest_headers_without_repeats_are_lower_cased_on_first_read() -> None:
    event = rest_event()
    event["multiValueHeaders"]["Cookie"] = ["session=abc123"]
    event["headers"]["Cookie"] = "session=abc123"
    http = parse_http_event(event)
    assert http.headers["cookie"] == "session=abc123"
    assert sorted(http.headers) == sorted(name.lower() for name in event["headers"])


def test_rest_repeated_headers_are_comma_joined() -> None:
    event = rest_event()
    event["multiValueHeaders"]["Accept"] = ["text/html", "application/json"]
    assert parse_http_event(event).headers["accept"] == "text/html,application/json"


def test_rest_event_without_multi_value_fields_uses_the_single_ones() -> None:
    # What test tools (and `chalice local`) send: no multiValueHeaders or multi-value query.
    event = rest_event()
    del event["multiValueHeaders"], event["multiValueQueryStringParameters"]
    http = parse_http_event(event)
    assert http.headers["cookie"] == "theme=dark"
    assert http.query == {"tag": ["b"], "expand": ["items"]}


def test_rest_event_without_query_has_none() -> None:
    event = rest_event()
    event["queryStringParameters"] = None
    event["multiValueQueryStringParameters"] = None
    assert parse_http_event(event).query is None


def test_rest_base64_body_is_decoded() -> None:
    event = rest_event()
    event.update(
        httpMethod="POST", body=base64.b64encode(b"\x89PNG\r\n\x00").decode(), isBase64Encoded=True
    )
    http = parse_http_event(event)
    assert (http.method, http.body) == ("POST", b"\x89PNG\r\n\x00")


def test_rest_text_body_is_utf8() -> None:
    event = rest_event()
    event.update(httpMethod="post", body='{"name": "café"}')
    http = parse_http_event(event)
    assert (http.method, http.body) == ("POST", '{"name": "café"}'.encode())


# -- HTTP API (payload 2.0) and Function URLs ---------------------------------------


V2_READ_HEADERS = {
    "accept": "text/html,application/json",
    "content-length": "0",
    "cookie": "session=abc123; theme=dark",  # from the `cookies` list
}


def test_http_api_event_with_a_named_route() -> None:
    assert fields(parse_http_event(v2_event())) == expected_fields(
        HttpEventSource.HTTP_API,
        proxied(HTTP_API_HOST, V2_READ_HEADERS),
        route_path="/orders/42/",  # rawPath keeps the trailing slash
        query_string="tag=a&tag=b&q=caf%C3%A9+au+lait",  # raw: Request decodes it
    )


def test_http_api_default_route() -> None:
    http = parse_http_event(v2_event(route_key="$default", path="/any/where"))
    assert (http.source, http.route_path, http.root_path) == (
        HttpEventSource.HTTP_API,
        "/any/where",
        "",
    )


@pytest.mark.parametrize(
    ("raw_path", "route_path", "root_path"),
    [
        ("/dev/orders/42", "/orders/42", "/dev"),
        ("/dev/orders/42/", "/orders/42/", "/dev"),
        ("/dev", "/", "/dev"),
        ("/dev/", "/", "/dev"),
        ("/devices/7", "/devices/7", ""),  # the stage name only as a whole segment
    ],
)
def test_http_api_named_stage_prefixes_raw_path(
    raw_path: str, route_path: str, root_path: str
) -> None:
    event = v2_event(stage="dev")
    event["rawPath"] = raw_path
    http = parse_http_event(event)
    assert (http.route_path, http.root_path) == (route_path, root_path)


def test_http_api_without_cookies_or_query() -> None:
    event = v2_event()
    del event["cookies"], event["queryStringParameters"]
    event["rawQueryString"] = ""
    http = parse_http_event(event)
    assert "cookie" not in http.headers
    assert (http.query, http.query_string) == (None, "")


def test_http_api_base64_body() -> None:
    event = v2_event()
    event["requestContext"]["http"]["method"] = "PUT"
    event.update(body=base64.b64encode(b'{"qty": 3}').decode(), isBase64Encoded=True)
    http = parse_http_event(event)
    assert (http.method, http.body) == ("PUT", b'{"qty": 3}')


def test_function_url_event() -> None:
    http = parse_http_event(function_url_event())
    assert fields(http) == expected_fields(
        HttpEventSource.FUNCTION_URL,
        proxied(FUNCTION_URL_HOST, V2_READ_HEADERS),
        root_path="",  # stage is "$default": nothing to strip
        query_string="tag=a&tag=b&q=caf%C3%A9+au+lait",
    )


# -- ALB ------------------------------------------------------------------------------


def test_alb_event_with_multi_value_fields() -> None:
    headers = {"accept": "text/html,application/json", "cookie": "session=abc123; theme=dark"}
    assert fields(parse_http_event(alb_event(multi_value=True))) == expected_fields(
        HttpEventSource.ALB,
        proxied(ALB_HOST, headers),
        # The load balancer does not decode the query: the parser does, names too.
        query={"tag": ["a/b", "c"], "q": ["café au lait"], "page size": ["10"]},
        multi_value=True,
    )


def test_alb_event_without_multi_value_fields() -> None:
    headers = {"accept": "application/json", "cookie": "theme=dark"}  # the last of each
    assert fields(parse_http_event(alb_event(multi_value=False))) == expected_fields(
        HttpEventSource.ALB,
        proxied(ALB_HOST, headers),
        query={"tag": ["c"], "q": ["café au lait"], "page size": ["10"]},
    )


def test_alb_event_with_mixed_case_header_names_and_base64_body() -> None:
    event = alb_event(multi_value=False)
    event["headers"] = {"Content-Type": "application/octet-stream", "X-Custom": "1"}
    event.update(
        httpMethod="POST", body=base64.b64encode(b"\x00\xff").decode(), isBase64Encoded=True
    )
    http = parse_http_event(event)
    assert http.headers == {"content-type": "application/octet-stream", "x-custom": "1"}
    assert (http.method, http.body) == ("POST", b"\x00\xff")


# -- Lambda@Edge ---------------------------------------------------------------------


@pytest.mark.parametrize("event_type", ["viewer-request", "origin-request"])
def test_edge_request_event(event_type: str) -> None:
    http = parse_http_event(edge_event(event_type))
    expected_headers = {
        "host": EDGE_HOST,
        "user-agent": USER_AGENT,
        "accept": "text/html,application/json",
        "cookie": "session=abc123; theme=dark",
    }
    if event_type == "origin-request":  # CloudFront adds it on the way to the origin
        expected_headers["x-forwarded-for"] = CLIENT_IP
    assert fields(http) == expected_fields(
        HttpEventSource.LAMBDA_EDGE, expected_headers, query_string="tag=a&tag=b"
    )


def test_edge_body_base64() -> None:
    # With "include body" on, CloudFront sends the body base64-encoded.
    body = {
        "inputTruncated": False,
        "action": "read-only",
        "encoding": "base64",
        "data": base64.b64encode(b'{"qty": 3}').decode(),
    }
    assert parse_http_event(_edge_with("origin-request", body=body)).body == b'{"qty": 3}'


def test_edge_body_text() -> None:
    body = {"inputTruncated": False, "action": "replace", "encoding": "text", "data": "qty=3 ✓"}
    assert parse_http_event(_edge_with(body=body)).body == "qty=3 ✓".encode()


def test_edge_body_without_data_is_empty() -> None:
    body = {"inputTruncated": False, "action": "read-only", "encoding": "base64", "data": ""}
    assert parse_http_event(_edge_with(body=body)).body == b""


# -- what is not an HTTP event --------------------------------------------------------


def s3_event() -> dict[str, Any]:
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": "eu-west-1",
                "eventTime": "2026-11-23T17:00:00.000Z",
                "eventName": "ObjectCreated:Put",
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "bucket": {"name": "uploads", "arn": "arn:aws:s3:::uploads"},
                    "object": {"key": "photos/cat.jpg", "size": 1024, "eTag": "0123abcd"},
                },
            }
        ]
    }


def sqs_event() -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": "059f36b4-87a3-44ab-83d2-661975830a7d",
                "receiptHandle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a",
                "body": "hello",
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": "5d41402abc4b2a76b9719d911017c592",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:eu-west-1:123456789012:orders",
                "awsRegion": "eu-west-1",
            }
        ]
    }


def sns_event() -> dict[str, Any]:
    return {
        "Records": [
            {
                "EventVersion": "1.0",
                "EventSubscriptionArn": "arn:aws:sns:eu-west-1:123456789012:alerts:1a2b",
                "EventSource": "aws:sns",
                "Sns": {
                    "Type": "Notification",
                    "MessageId": "95df01b4-ee98-5cb9-9903-4c221d41eb5e",
                    "TopicArn": "arn:aws:sns:eu-west-1:123456789012:alerts",
                    "Subject": "disk",
                    "Message": "disk full",
                    "Timestamp": "2026-11-23T17:00:00.000Z",
                    "MessageAttributes": {},
                },
            }
        ]
    }


def dynamodb_event() -> dict[str, Any]:
    return {
        "Records": [
            {
                "eventID": "c4ca4238a0b923820dcc509a6f75849b",
                "eventName": "INSERT",
                "eventVersion": "1.1",
                "eventSource": "aws:dynamodb",
                "awsRegion": "eu-west-1",
                "dynamodb": {
                    "Keys": {"Id": {"N": "101"}},
                    "NewImage": {"Id": {"N": "101"}, "Message": {"S": "New item!"}},
                    "SequenceNumber": "111",
                    "SizeBytes": 26,
                    "StreamViewType": "NEW_AND_OLD_IMAGES",
                },
                "eventSourceARN": (
                    "arn:aws:dynamodb:eu-west-1:123456789012:table/orders/stream/2026-11-23"
                ),
            }
        ]
    }


def eventbridge_event(detail_type: str = "Order Placed") -> dict[str, Any]:
    return {
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": detail_type,
        "source": "shop.orders" if detail_type != "Scheduled Event" else "aws.events",
        "account": "123456789012",
        "time": "2026-11-23T17:00:00Z",
        "region": "eu-west-1",
        "resources": ["arn:aws:events:eu-west-1:123456789012:rule/every-hour"],
        "detail": {},
    }


def websocket_event() -> dict[str, Any]:
    return {
        "requestContext": {
            "routeKey": "$default",
            "messageId": "GXLKJfX4FiACG1w=",
            "eventType": "MESSAGE",
            "extendedRequestId": "GXLKJHfX4FiACG1w=",
            "requestTime": "23/Nov/2026:17:00:00 +0000",
            "messageDirection": "IN",
            "stage": "prod",
            "connectedAt": 1795453190000,
            "requestTimeEpoch": 1795453200000,
            "requestId": "GXLKJHfX4FiACG1w=",
            "domainName": "w1s2x3c4v5.execute-api.eu-west-1.amazonaws.com",
            "connectionId": "GXLKAfX1FiACG1w=",
            "apiId": "w1s2x3c4v5",
        },
        "body": '{"action": "chat"}',
        "isBase64Encoded": False,
    }


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (s3_event(), "This is an event from 'aws:s3', not an HTTP request"),
        (sqs_event(), "This is an event from 'aws:sqs', not an HTTP request"),
        (sns_event(), "This is an event from 'aws:sns', not an HTTP request"),
        (dynamodb_event(), "This is an event from 'aws:dynamodb', not an HTTP request"),
        (
            eventbridge_event(),
            "its top-level keys are account, detail, detail-type, id, region, resources, "
            "source, time",
        ),
        (eventbridge_event("Scheduled Event"), "its top-level keys are account, detail,"),
        (websocket_event(), "This is an API Gateway websocket event"),
        ([rest_event()], "An HTTP handler takes a JSON object event, not list"),
        ("GET /orders", "An HTTP handler takes a JSON object event, not str"),
        (None, "An HTTP handler takes a JSON object event, not NoneType"),
        ({}, "its top-level keys are no keys"),
        ({"Records": []}, "its top-level keys are Records"),
    ],
    ids=[
        "s3",
        "sqs",
        "sns",
        "dynamodb",
        "eventbridge",
        "scheduled",
        "websocket",
        "list",
        "string",
        "none",
        "empty",
        "no-records",
    ],
)
def test_non_http_events_are_refused_saying_what_they_are(event: Any, expected: str) -> None:
    with pytest.raises(InvalidEventError) as caught:
        parse_http_event(event)
    assert expected in str(caught.value)
    with pytest.raises(InvalidEventError):
        identify_source(event)


# -- malformed HTTP events ---------------------------------------------------------


def _without(event: dict[str, Any], key: str) -> dict[str, Any]:
    del event[key]
    return event


def _without_in_context(event: dict[str, Any], *keys: str) -> dict[str, Any]:
    for key in keys:
        event["requestContext"].pop(key, None)
        event.pop(key, None)
    return event


def _with(event: dict[str, Any], **changes: Any) -> dict[str, Any]:
    event.update(changes)
    return event


def _v2_with_http(**changes: Any) -> dict[str, Any]:
    event = v2_event()
    event["requestContext"]["http"].update(changes)
    return event


REST = "Malformed API Gateway REST API (payload 1.0) event: "
HTTP_API = "Malformed API Gateway HTTP API (payload 2.0) event: "
ALB = "Malformed Application Load Balancer event: "
EDGE = "Malformed Lambda@Edge event: "

MALFORMED = {
    # Without the top-level fields, requestContext's are read (test_rest_fields_from_context).
    "rest-no-method": (
        _without_in_context(_without(rest_event(), "httpMethod"), "httpMethod"),
        REST + "missing field 'httpMethod'",
    ),
    "rest-no-path": (
        _without_in_context(_without(rest_event(), "path"), "path", "pathParameters"),
        REST + "missing field 'path'",
    ),
    "rest-method-not-str": (
        _with(rest_event(), httpMethod=["GET"]),
        REST + "fields 'httpMethod' and 'path' must be strings",
    ),
    "rest-body-not-str": (_with(rest_event(), body=123), REST + "body must be a string, not int"),
    "rest-body-dict": (
        _with(rest_event(), body={"a": 1}),
        REST + "body must be a string, not dict",
    ),
    "rest-bad-base64": (
        _with(rest_event(), body="not base64!", isBase64Encoded=True),
        REST + "body is not base64, though isBase64Encoded says it is",
    ),
    "rest-non-ascii-base64": (
        _with(rest_event(), body="é", isBase64Encoded=True),
        REST + "body is not base64, though isBase64Encoded says it is",
    ),
    "rest-header-not-str": (
        _with(_without(rest_event(), "multiValueHeaders"), headers={"Host": 5}),
        REST + "header 'Host' must be a string",
    ),
    "rest-header-not-str-both-fields": (
        _with(rest_event(), headers={"Host": None}, multiValueHeaders={"Host": [None]}),
        REST + "header names and values must be strings",
    ),
    "rest-headers-not-object": (
        _with(_without(rest_event(), "multiValueHeaders"), headers=["Host"]),
        REST + "headers must be an object",
    ),
    "rest-multi-header-not-list": (
        _with(rest_event(), multiValueHeaders={"Host": "abc"}),
        REST + "multiValueHeaders must map names to lists of strings",
    ),
    "rest-multi-header-not-list-same-count": (
        _with(rest_event(), headers={"Host": "a"}, multiValueHeaders={"Host": 5}),
        REST + "multiValueHeaders must map names to lists of strings",
    ),
    "rest-multi-query-not-lists": (
        _with(rest_event(), multiValueQueryStringParameters={"tag": "a"}),
        REST + "multiValueQueryStringParameters must map names to lists of strings",
    ),
    "rest-multi-query-item": (
        _with(rest_event(), multiValueQueryStringParameters={"tag": [1]}),
        REST + "multiValueQueryStringParameters['tag'] holds a int",
    ),
    "rest-query-not-object": (
        _with(rest_event(), multiValueQueryStringParameters=None, queryStringParameters="a=1"),
        REST + "field 'queryStringParameters' must be an object, not str",
    ),
    "rest-path-params-not-object": (
        _with(rest_event(), pathParameters=["42"]),
        REST + "field 'pathParameters' must be an object, not list",
    ),
    "v2-no-http": (
        _v2_with_http() | {"requestContext": {"stage": "$default"}},
        HTTP_API + "missing field 'http'",
    ),
    "v2-no-method": (
        _v2_with_http(method=None),
        HTTP_API + "field 'method' must be a string, not NoneType",
    ),
    "v2-raw-path-not-str": (
        _with(v2_event(), rawPath=7),
        HTTP_API + "field 'rawPath' must be a string, not int",
    ),
    "v2-cookies-not-list": (
        _with(v2_event(), cookies="a=1"),
        HTTP_API + "cookies must be a list of strings",
    ),
    "v2-query-not-str": (
        _with(v2_event(), rawQueryString=["a=1"]),
        HTTP_API + "rawQueryString must be a string",
    ),
    "v2-headers-not-str": (
        _with(v2_event(), headers={"accept": 1}),
        HTTP_API + "header 'accept' must be a string",
    ),
    "v2-body-not-str": (
        _with(v2_event(), body=[1]),
        HTTP_API + "body must be a string, not list",
    ),
    "alb-no-method": (
        _without(alb_event(False), "httpMethod"),
        ALB + "missing field 'httpMethod'",
    ),
    "alb-path-not-str": (
        _with(alb_event(False), path=None),
        ALB + "field 'path' must be a string, not NoneType",
    ),
    "alb-multi-header-not-list": (
        _with(alb_event(True), multiValueHeaders={"accept": "text/html"}),
        ALB + "multiValueHeaders must map names to lists of strings",
    ),
    "alb-query-not-object": (
        _with(alb_event(False), queryStringParameters=["a"]),
        ALB + "field 'queryStringParameters' must be an object, not list",
    ),
    "alb-query-value-not-str": (
        _with(alb_event(False), queryStringParameters={"a": 1}),
        ALB + "query string['a'] holds a int",
    ),
    "alb-bad-base64": (
        _with(alb_event(False), body="%%%", isBase64Encoded=True),
        ALB + "body is not base64, though isBase64Encoded says it is",
    ),
    "edge-no-method": (
        _edge_with(method=None),
        EDGE + "field 'method' must be a string, not NoneType",
    ),
    "edge-header-not-list": (
        _edge_with(headers={"host": {"key": "Host", "value": "x"}}),
        EDGE + "header 'host' must be a list of key/value objects",
    ),
    "edge-header-value-not-str": (
        _edge_with(headers={"host": [{"key": "Host", "value": 1}]}),
        EDGE + "field 'value' must be a string, not int",
    ),
    "edge-headers-not-object": (
        _edge_with(headers=[]),
        EDGE + "field 'headers' must be an object, not list",
    ),
    "edge-querystring-not-str": (
        _edge_with(querystring=5),
        EDGE + "field 'querystring' must be a string, not int",
    ),
    "edge-body-data-not-str": (
        _edge_with(body={"encoding": "text", "data": 5}),
        EDGE + "body must be a string, not int",
    ),
    "edge-body-bad-base64": (
        _edge_with(body={"encoding": "base64", "data": "a"}),
        EDGE + "body is not base64, though body.encoding says it is",
    ),
}
# A body that is not base64 fails when it is read, not when the event is parsed: a view
# that never reads it is still served (its request body is a 400 for views that do).
BAD_BASE64 = {
    name: MALFORMED.pop(name)
    for name in (
        "rest-bad-base64",
        "rest-non-ascii-base64",
        "alb-bad-base64",
        "edge-body-bad-base64",
    )
}
_edge_no_uri = edge_event()
del _edge_no_uri["Records"][0]["cf"]["request"]["uri"]
MALFORMED["edge-no-uri"] = (_edge_no_uri, EDGE + "missing field 'uri'")


@pytest.mark.parametrize(("event", "message"), MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_http_events_name_the_field(event: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidEventError) as caught:
        parse_http_event(event)
    assert str(caught.value) == message


def test_rest_fields_from_context() -> None:
    event = rest_event()
    expected = fields(parse_http_event(event))
    for key in ("httpMethod", "path", "resource"):
        del event[key]
    assert fields(parse_http_event(event)) == expected


@pytest.mark.parametrize(("event", "message"), BAD_BASE64.values(), ids=BAD_BASE64.keys())
def test_bad_base64_body_fails_when_read(event: dict[str, Any], message: str) -> None:
    http = parse_http_event(event)
    with pytest.raises(InvalidEventError) as caught:
        http.body  # noqa: B018
    assert str(caught.value) == message.split(" event: ", 1)[1]


def test_identify_source_for_each_front_door() -> None:
    assert [
        identify_source(event)
        for event in (
            rest_event(),
            rest_event("1.0"),
            v2_event(),
            function_url_event(),
            alb_event(True),
            alb_event(False),
            edge_event(),
        )
    ] == [
        HttpEventSource.REST_API,
        HttpEventSource.REST_API,
        HttpEventSource.HTTP_API,
        HttpEventSource.FUNCTION_URL,
        HttpEventSource.ALB,
        HttpEventSource.ALB,
        HttpEventSource.LAMBDA_EDGE,
    ]
