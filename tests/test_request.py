"""Tests for _core/_request.py: the Request a view sees, from a REST event or through a door."""

from __future__ import annotations

import asyncio
import base64
import copy
import json
from typing import Any

import pytest

from chalicelike import BadRequestError, Chalice, MultiDict, Request


def rest_event(**overrides: Any) -> dict[str, Any]:
    """An API Gateway REST (payload 1.0) proxy event, shaped as AWS documents it."""
    event: dict[str, Any] = {
        "resource": "/orders/{order_id}",
        "path": "/orders/42",
        "httpMethod": "POST",
        "headers": {
            "Accept": "*/*",
            "Content-Type": "application/json",
            "Host": "abc123.execute-api.us-east-1.amazonaws.com",
            "User-Agent": "curl/8.4.0",
            "X-Amzn-Trace-Id": "Root=1-65f0c1a2-3b1c2d3e4f5a6b7c8d9e0f1a",
            "X-Forwarded-For": "203.0.113.7",
            "X-Forwarded-Port": "443",
            "X-Forwarded-Proto": "https",
        },
        "multiValueHeaders": {
            "Accept": ["*/*"],
            "Content-Type": ["application/json"],
            "Host": ["abc123.execute-api.us-east-1.amazonaws.com"],
            "User-Agent": ["curl/8.4.0"],
            "X-Amzn-Trace-Id": ["Root=1-65f0c1a2-3b1c2d3e4f5a6b7c8d9e0f1a"],
            "X-Forwarded-For": ["203.0.113.7"],
            "X-Forwarded-Port": ["443"],
            "X-Forwarded-Proto": ["https"],
        },
        "queryStringParameters": {"tag": "blue", "page": "2"},
        "multiValueQueryStringParameters": {"tag": ["red", "blue"], "page": ["2"]},
        "pathParameters": {"order_id": "42"},
        "stageVariables": {"table": "orders-dev"},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123",
            "domainName": "abc123.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "abc123",
            "extendedRequestId": "UlnNNFUjIAMFXyw=",
            "httpMethod": "POST",
            "identity": {
                "accessKey": None,
                "accountId": None,
                "caller": None,
                "sourceIp": "203.0.113.7",
                "user": None,
                "userAgent": "curl/8.4.0",
                "userArn": None,
            },
            "path": "/dev/orders/42",
            "protocol": "HTTP/1.1",
            "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            "requestTime": "09/Apr/2024:12:34:56 +0000",
            "requestTimeEpoch": 1712666096000,
            "resourceId": "x1y2z3",
            "resourcePath": "/orders/{order_id}",
            "stage": "dev",
        },
        "body": '{"item": "book", "quantity": 2}',
        "isBase64Encoded": False,
    }
    event.update(overrides)
    return event


# -- Request(event_dict, lambda_context) -------------------------------------------------


def test_request_from_rest_event_has_chalice_attributes() -> None:
    event = rest_event()
    context = object()
    request = Request(event, context)
    assert request.method == "POST"
    assert request.path == "/orders/{order_id}"  # the resource pattern, not the URL path
    assert request.uri_params == {"order_id": "42"}
    assert request.stage_vars == {"table": "orders-dev"}
    assert request.context is event["requestContext"]
    assert request.context["requestId"] == "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"
    assert request.lambda_context is context
    assert request.raw_body == b'{"item": "book", "quantity": 2}'
    assert request.json_body == {"item": "book", "quantity": 2}


def test_query_params_are_a_multidict_from_the_multi_value_field() -> None:
    request = Request(rest_event())
    query = request.query_params
    assert isinstance(query, MultiDict)
    assert query["tag"] == "blue"
    assert query.getlist("tag") == ["red", "blue"]
    assert query["page"] == "2"


def test_query_params_fall_back_to_the_single_value_field() -> None:
    event = rest_event(queryStringParameters={"page": "3"}, multiValueQueryStringParameters=None)
    query = Request(event).query_params
    assert query is not None
    assert query.to_lists() == {"page": ["3"]}


def test_query_params_are_none_when_absent() -> None:
    event = rest_event(queryStringParameters=None, multiValueQueryStringParameters=None)
    assert Request(event).query_params is None
    del event["queryStringParameters"], event["multiValueQueryStringParameters"]
    assert Request(event).query_params is None


def test_a_query_name_sent_with_no_values_is_no_name_at_all() -> None:
    # A hand-made event can say {"tag": []}; listed, the name would raise KeyError when read.
    event = rest_event(multiValueQueryStringParameters={"tag": [], "page": ["2"]})
    for query in (Request(event).query_params, served_query(event)):
        assert query is not None
        assert (list(query), len(query), "tag" in query, query.get("tag")) == (
            ["page"],
            1,
            False,
            None,
        )
    assert event["multiValueQueryStringParameters"] == {"tag": [], "page": ["2"]}


def test_a_query_of_only_names_without_values_is_an_empty_multidict_not_none() -> None:
    event = rest_event(multiValueQueryStringParameters={"tag": []})
    for query in (Request(event).query_params, served_query(event)):
        assert query is not None
        assert (len(query), query.get("tag")) == (0, None)
    empty = rest_event(multiValueQueryStringParameters={}, queryStringParameters={})
    assert (Request(empty).query_params, served_query(empty)) == (None, None)


def test_a_multi_value_header_without_values_takes_the_single_value() -> None:
    # Hand-made: a repeated header beside one with no values; the repeat is joined, the
    # empty one is read from `headers` (or left out), never an empty value.
    headers = {"Content-Type": "text/plain", "B": "y", "C": "z"}
    multi = {"Content-Type": [], "B": ["x", "y"], "C": ["z"]}
    event = rest_event(headers=headers, multiValueHeaders=multi)
    request = served_request(event, content_types=["text/plain"])
    assert (request.headers.get("content-type"), request.headers.get("b")) == ("text/plain", "x,y")
    del headers["Content-Type"]
    request = served_request(
        rest_event(headers=headers, multiValueHeaders=multi), content_types=["application/json"]
    )
    assert "content-type" not in request.headers


def served_request(event: dict[str, Any], content_types: list[str]) -> Request:
    """The request a POST view with these content types was called with."""
    app = Chalice(app_name="headers", configure_logs=False)
    seen: list[Request | None] = []

    @app.route("/orders/{order_id}", methods=["POST"], content_types=content_types)
    def order(order_id: str) -> dict[str, Any]:
        seen.append(app.current_request)
        return {}

    assert app(event, None)["statusCode"] == 200
    assert seen[0] is not None
    return seen[0]


def test_a_view_that_changes_its_query_params_leaves_the_event_as_it_came() -> None:
    app = Chalice(app_name="query", configure_logs=False)

    @app.route("/orders/{order_id}", methods=["POST"])
    def change(order_id: str) -> dict[str, Any]:
        query = app.current_request.query_params
        query["page"] = "3"
        del query["tag"]
        return {"page": query.getlist("page"), "event": app.current_request.to_original_event()}

    answer = app(rest_event(), None)
    body = json.loads(answer["body"])
    assert body["page"] == ["3"]
    assert body["event"]["multiValueQueryStringParameters"] == {
        "tag": ["red", "blue"],
        "page": ["2"],
    }


def served_query(event: dict[str, Any]) -> MultiDict | None:
    """The query_params a view sees for this event through the Lambda door."""
    app = Chalice(app_name="query", configure_logs=False)
    seen: list[MultiDict | None] = []

    @app.route("/orders/{order_id}", methods=["POST"])
    def order(order_id: str) -> dict[str, Any]:
        seen.append(app.current_request.query_params)
        return {}

    assert app(event, None)["statusCode"] == 200
    return seen[0]


def test_headers_are_case_insensitive() -> None:
    request = Request(rest_event())
    assert request.headers["content-type"] == "application/json"
    assert request.headers["CONTENT-TYPE"] == "application/json"
    assert request.headers["x-forwarded-for"] == "203.0.113.7"
    assert "host" in request.headers
    assert request.headers.get("authorization") is None


def test_missing_optional_fields() -> None:
    event = rest_event(headers=None, pathParameters=None, stageVariables=None, body=None)
    request = Request(event)
    assert dict(request.headers) == {}
    assert request.uri_params is None
    assert request.stage_vars is None
    assert request.raw_body == b""
    assert request.json_body is None  # no Content-Type: not JSON
    assert request.lambda_context is None


def test_method_and_path_fall_back_to_the_top_level_fields() -> None:
    event = rest_event(requestContext={}, httpMethod="DELETE", resource="/orders")
    request = Request(event)
    assert (request.method, request.path, request.context) == ("DELETE", "/orders", {})


def test_base64_body_is_decoded() -> None:
    payload = bytes(range(256))
    event = rest_event(body=base64.b64encode(payload).decode("ascii"), isBase64Encoded=True)
    assert Request(event).raw_body == payload


def test_text_body_is_utf8_encoded() -> None:
    event = rest_event(body="héllo ✓", isBase64Encoded=False)
    assert Request(event).raw_body == "héllo ✓".encode()


def test_json_body_parsed_for_application_json_with_parameters() -> None:
    headers = {"content-type": "application/json; charset=utf-8"}
    request = Request(rest_event(headers=headers, body='[1, 2, {"a": null}]'))
    assert request.json_body == [1, 2, {"a": None}]


def test_json_body_parsed_from_a_base64_body() -> None:
    body = base64.b64encode(b'{"a": 1}').decode("ascii")
    assert Request(rest_event(body=body, isBase64Encoded=True)).json_body == {"a": 1}


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
def test_json_body_is_none_for_other_content_types(content_type: str) -> None:
    request = Request(rest_event(headers={"Content-Type": content_type}, body='{"a": 1}'))
    assert request.json_body is None
    assert request.raw_body == b'{"a": 1}'


@pytest.mark.parametrize("body", ["{not json", "", '{"a": 1'])
def test_bad_json_raises_bad_request(body: str) -> None:
    request = Request(rest_event(body=body))
    with pytest.raises(BadRequestError) as info:
        request.json_body  # noqa: B018 - the property access is the test
    assert str(info.value) == "Error Parsing JSON"
    assert info.value.STATUS_CODE == 400


def test_json_body_that_is_not_utf8_raises_bad_request() -> None:
    body = base64.b64encode(b"\xff\xfe{").decode("ascii")
    request = Request(rest_event(body=body, isBase64Encoded=True))
    with pytest.raises(BadRequestError, match=r"^Error Parsing JSON$"):
        request.json_body  # noqa: B018


def test_to_dict_has_exactly_chalices_keys() -> None:
    request = Request(rest_event(), lambda_context=object())
    as_dict = request.to_dict()
    assert sorted(as_dict) == [
        "context",
        "headers",
        "method",
        "path",
        "query_params",
        "stage_vars",
        "uri_params",
    ]
    assert as_dict["query_params"] == {"tag": "blue", "page": "2"}
    assert as_dict["headers"]["content-type"] == "application/json"
    assert type(as_dict["headers"]) is dict
    assert as_dict["uri_params"] == {"order_id": "42"}
    assert as_dict["method"] == "POST"
    assert as_dict["path"] == "/orders/{order_id}"
    assert as_dict["stage_vars"] == {"table": "orders-dev"}
    assert as_dict["context"]["resourcePath"] == "/orders/{order_id}"
    json.dumps(as_dict)  # Chalice's to_dict() is JSON serialisable


def test_to_dict_without_query_params() -> None:
    event = rest_event(multiValueQueryStringParameters=None, queryStringParameters=None)
    assert Request(event).to_dict()["query_params"] is None


def test_to_original_event_is_the_event() -> None:
    event = rest_event()
    original = copy.deepcopy(event)
    request = Request(event)
    assert request.to_original_event() is event
    assert event == original  # building the request changed nothing


# -- the Request the ASGI door makes from a scope ---------------------------------------


def http_scope(
    query: bytes = b"",
    headers: list[tuple[bytes, bytes]] | None = None,
    path: str = "/orders/42",
    **extra: Any,
) -> dict[str, Any]:
    scope: dict[str, Any] = {
        "type": "http",
        "http_version": "1.1",
        "method": "PUT",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "headers": headers if headers is not None else [(b"host", b"localhost:8000")],
        "client": ("192.0.2.5", 53000),
    }
    scope.update(extra)
    return scope


def asgi_request(
    scope: dict[str, Any], body: bytes = b"", resource: str = "/orders/{order_id}"
) -> Request:
    """The Request a view sees when `scope` comes through the app's ASGI door."""
    app = Chalice(app_name="asgi-request", configure_logs=False)
    seen: list[Request] = []

    @app.route(resource, methods=[scope["method"]], content_types=["*/*"])
    def view(**params: str) -> dict[str, Any]:
        assert app.current_request is not None
        seen.append(app.current_request)
        return {}

    inbox = [{"type": "http.request", "body": body, "more_body": False}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return inbox.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    assert sent[0]["status"] == 200, sent
    return seen[0]


def test_asgi_basic_fields() -> None:
    context = object()
    scope = http_scope(headers=[(b"Content-Type", b"application/json")])
    scope["aws.context"] = context  # what Mangum passes under Lambda
    request = asgi_request(scope, b'{"a": 1}')
    assert request.method == "PUT"
    assert request.path == "/orders/{order_id}"
    assert request.uri_params == {"order_id": "42"}
    assert request.raw_body == b'{"a": 1}'
    assert request.json_body == {"a": 1}
    assert request.lambda_context is context
    assert request.headers["content-type"] == "application/json"
    assert request.stage_vars is None


def test_asgi_joins_repeated_headers() -> None:
    headers = [
        (b"accept", b"text/html"),
        (b"Accept", b"application/json"),
        (b"cookie", b"a=1"),
        (b"Cookie", b"b=2"),
        (b"x-latin", "caf\u00e9".encode("latin-1")),
    ]
    request = asgi_request(http_scope(headers=headers))
    assert request.headers["Accept"] == "text/html,application/json"
    assert request.headers["cookie"] == "a=1; b=2"  # RFC 9110: cookies join with "; "
    assert request.headers["x-latin"] == "café"
    assert list(request.headers) == ["accept", "cookie", "x-latin"]


def test_asgi_parses_the_query_string() -> None:
    scope = http_scope(query=b"tag=red&tag=blue&name=caf%C3%A9&q=a+b&flag")
    query = asgi_request(scope).query_params
    assert query is not None
    assert query.to_lists() == {
        "tag": ["red", "blue"],
        "name": ["café"],
        "q": ["a b"],
        "flag": [""],
    }
    assert query["tag"] == "blue"


def test_asgi_query_params_none_without_a_query_string() -> None:
    assert asgi_request(http_scope(path="/"), resource="/").query_params is None


def test_asgi_query_params_can_be_replaced() -> None:
    request = asgi_request(http_scope(query=b"a=1"))
    request.query_params = MultiDict({"b": ["2"]})
    assert request.query_params.to_lists() == {"b": ["2"]}


def test_asgi_synthesizes_a_request_context() -> None:
    headers = [(b"host", b"localhost:8000"), (b"user-agent", b"pytest")]
    request = asgi_request(http_scope(headers=headers))
    context = request.context
    assert context["resourcePath"] == "/orders/{order_id}"
    assert context["httpMethod"] == "PUT"
    assert context["path"] == "/orders/42"
    assert context["stage"] == "api"  # an ASGI server stands for the default stage
    assert context["protocol"] == "HTTP/1.1"
    assert context["domainName"] == "localhost:8000"
    assert context["identity"]["sourceIp"] == "192.0.2.5"
    assert context["identity"]["userAgent"] == "pytest"
    assert isinstance(context["requestId"], str) and len(context["requestId"]) == 36
    assert isinstance(context["requestTimeEpoch"], int)
    assert request.context is context  # built once


def test_asgi_synthesizes_a_rest_original_event() -> None:
    scope = http_scope(query=b"tag=red&tag=blue", headers=[(b"content-type", b"text/plain")])
    request = asgi_request(scope, b"hello")
    event = request.to_original_event()
    assert event["resource"] == "/orders/{order_id}"
    assert event["path"] == "/orders/42"
    assert event["httpMethod"] == "PUT"
    assert event["headers"] == {"content-type": "text/plain"}
    assert event["multiValueHeaders"] == {"content-type": ["text/plain"]}
    assert event["queryStringParameters"] == {"tag": "blue"}
    assert event["multiValueQueryStringParameters"] == {"tag": ["red", "blue"]}
    assert event["pathParameters"] == {"order_id": "42"}
    assert event["stageVariables"] is None
    assert event["requestContext"] is request.context
    assert (event["body"], event["isBase64Encoded"]) == ("hello", False)
    assert request.to_original_event() is event
    # The synthesised event builds an equal Request through Chalice's constructor.
    rebuilt = Request(event)
    assert rebuilt.to_dict() == request.to_dict()
    assert rebuilt.raw_body == b"hello"


def test_asgi_original_event_of_a_binary_body_is_base64() -> None:
    request = asgi_request(http_scope(path="/"), b"\xff\x00\x01", resource="/")
    event = request.to_original_event()
    assert (event["body"], event["isBase64Encoded"]) == ("/wAB", True)
    assert event["queryStringParameters"] is None
    assert event["multiValueQueryStringParameters"] is None
    assert Request(event).raw_body == b"\xff\x00\x01"


def test_asgi_original_event_of_an_empty_body_is_none() -> None:
    event = asgi_request(http_scope(path="/"), resource="/").to_original_event()
    assert (event["body"], event["isBase64Encoded"]) == (None, False)


def test_asgi_prefers_the_lambda_event_it_came_from() -> None:
    event = rest_event()
    scope = http_scope()
    scope["aws.event"] = event
    request = asgi_request(scope)
    assert request.to_original_event() is event
    assert request.context is event["requestContext"]
    assert request.stage_vars == {"table": "orders-dev"}


# -- what a view sees, through both front doors ----------------------------------------


def test_view_sees_the_request(front_door: Any) -> None:
    app = Chalice(app_name="request-view", configure_logs=False)
    seen: dict[str, Any] = {}

    @app.route("/orders/{order_id}", methods=["POST"])
    def update_order(order_id: str) -> dict[str, Any]:
        request = app.current_request
        assert request is not None
        query = request.query_params
        seen.update(
            order_id=order_id,
            method=request.method,
            path=request.path,
            uri_params=request.uri_params,
            tags=None if query is None else query.getlist("tag"),
            page=None if query is None else query["page"],
            header=request.headers["X-Custom-Thing"],
            json_body=request.json_body,
            raw_body=request.raw_body,
            context_path=request.context["resourcePath"],
            context_method=request.context["httpMethod"],
            keys=sorted(request.to_dict()),
        )
        return {"ok": True}

    @app.route("/plain", methods=["POST"], content_types=["text/plain"])
    def plain() -> dict[str, Any]:
        request = app.current_request
        assert request is not None
        return {
            "query": request.query_params,
            "json": request.json_body,
            "raw": request.raw_body.decode(),
        }

    with front_door(app) as http:
        answer = http(
            "POST",
            "/orders/42?tag=red&tag=blue&page=2",
            headers={"Content-Type": "application/json", "x-custom-thing": "yes"},
            body=b'{"item": "book"}',
        )
        assert (answer.status_code, answer.json_body) == (200, {"ok": True})
        assert seen == {
            "order_id": "42",
            "method": "POST",
            "path": "/orders/{order_id}",
            "uri_params": {"order_id": "42"},
            "tags": ["red", "blue"],
            "page": "2",
            "header": "yes",
            "json_body": {"item": "book"},
            "raw_body": b'{"item": "book"}',
            "context_path": "/orders/{order_id}",
            "context_method": "POST",
            "keys": [
                "context",
                "headers",
                "method",
                "path",
                "query_params",
                "stage_vars",
                "uri_params",
            ],
        }
        answer = http("POST", "/plain", headers={"Content-Type": "text/plain"}, body=b"{x}")
        assert answer.json_body == {"query": None, "json": None, "raw": "{x}"}


def test_bad_json_is_a_400_through_both_front_doors(front_door: Any) -> None:
    app = Chalice(app_name="request-bad-json", configure_logs=False)

    @app.route("/items", methods=["POST"])
    def create() -> Any:
        request = app.current_request
        assert request is not None
        return request.json_body

    with front_door(app) as http:
        headers = {"Content-Type": "application/json"}
        answer = http("POST", "/items", headers=headers, body=b"{oops")
        assert answer.status_code == 400
        assert answer.json_body == {"Code": "BadRequestError", "Message": "Error Parsing JSON"}
        answer = http("POST", "/items", headers=headers, body=b'{"fine": [1]}')
        assert (answer.status_code, answer.json_body) == (200, {"fine": [1]})
