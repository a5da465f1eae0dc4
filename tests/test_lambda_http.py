"""Tests for chalicelike._lambda_http: `app(event, context)` end to end, for every front door.

Each test runs once per front door: an event is built as that source sends it (API Gateway
REST, HTTP API with and without a named stage, Function URL, ALB with and without
multi-value headers, Lambda@Edge viewer and origin requests), and the answer is read back
as that source reads it. A hypothesis test then feeds mangled events of every source and
checks the handler answers in the source's format or raises InvalidEventError.
"""

from __future__ import annotations

import base64
import copy
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, quote_plus, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelike import Chalice, CORSConfig, Response
from chalicelike._errors import InvalidEventError
from chalicelike._http_events import HttpEventSource, identify_source

TRACE = "Root=1-6561f0a2-1a2b3c4d5e6f708192a3b4c5"


class LambdaContext:
    """What AWS's Python runtime passes as `context`."""

    def __init__(self) -> None:
        self.function_name = "shop-api-prod"
        self.function_version = "$LATEST"
        self.invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:shop-api-prod"
        self.memory_limit_in_mb = "256"
        self.aws_request_id = "3f1c7a52-9b8e-4d21-a6f0-5c2e8d4b1a93"
        self.log_group_name = "/aws/lambda/shop-api-prod"
        self.log_stream_name = "2026/11/23/[$LATEST]7d0c3c5e1b2a4f6e8d9c0b1a2f3e4d5c"
        self.identity = None
        self.client_context = None
        self._deadline_ms = int(time.time() * 1000) + 30_000

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self._deadline_ms - int(time.time() * 1000))


@dataclass
class Req:
    """An HTTP request, before a front door puts it in its event shape."""

    method: str
    path: str
    query: list[tuple[str, str]] = field(default_factory=list)
    headers: dict[str, list[str]] = field(default_factory=dict)  # names as a client writes them
    cookies: list[str] = field(default_factory=list)
    body: bytes = b""
    base64_body: bool = False  # how the front door passes a body it considers binary
    resource: str = "/{proxy+}"  # REST only: the route API Gateway matched
    path_params: dict[str, str] | None = None  # REST only


def _all_headers(req: Req, host: str) -> dict[str, list[str]]:
    headers = {
        "Host": [host],
        "User-Agent": ["curl/8.4.0"],
        "X-Amzn-Trace-Id": [TRACE],
        "X-Forwarded-For": ["203.0.113.7"],
        "X-Forwarded-Port": ["443"],
        "X-Forwarded-Proto": ["https"],
    }
    headers.update(req.headers)
    if req.body:
        headers.setdefault("Content-Length", [str(len(req.body))])
    return headers


def _text_body(req: Req) -> str | None:
    if not req.body:
        return None
    if req.base64_body:
        return base64.b64encode(req.body).decode("ascii")
    return req.body.decode("utf-8")


def _multi(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for name, value in pairs:
        grouped.setdefault(name, []).append(value)
    return grouped


# -- one builder per front door ---------------------------------------------------------


def rest_event(req: Req) -> dict[str, Any]:
    host = "r8k2x1abcd.execute-api.eu-west-1.amazonaws.com"
    headers = _all_headers(req, host)
    if req.cookies:
        headers["Cookie"] = ["; ".join(req.cookies)]
    query = _multi(req.query)
    path_params = req.path_params
    if path_params is None and req.resource == "/{proxy+}":
        path_params = {"proxy": req.path.lstrip("/")}
    return {
        "resource": req.resource,
        "path": req.path,
        "httpMethod": req.method,
        "headers": {name: values[-1] for name, values in headers.items()},
        "multiValueHeaders": headers,
        "queryStringParameters": {k: v[-1] for k, v in query.items()} or None,
        "multiValueQueryStringParameters": query or None,
        "pathParameters": path_params,
        "stageVariables": None,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "r8k2x1abcd",
            "domainName": host,
            "domainPrefix": "r8k2x1abcd",
            "extendedRequestId": "Pq2zKFhcDoEFbKw=",
            "httpMethod": req.method,
            "identity": {"sourceIp": "203.0.113.7", "userAgent": "curl/8.4.0"},
            "path": "/prod" + req.path,
            "protocol": "HTTP/1.1",
            "requestId": "0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b",
            "requestTime": "23/Nov/2026:17:00:00 +0000",
            "requestTimeEpoch": 1795453200000,
            "resourceId": "x1y2z3",
            "resourcePath": req.resource,
            "stage": "prod",
        },
        "body": _text_body(req),
        "isBase64Encoded": req.base64_body and bool(req.body),
    }


def rest_versioned_event(req: Req) -> dict[str, Any]:
    # Recent REST events (and HTTP APIs sending payload 1.0) carry "version": "1.0".
    return {"version": "1.0", **rest_event(req)}


def _v2_event(req: Req, domain: str, stage: str) -> dict[str, Any]:
    raw_path = req.path if stage == "$default" else f"/{stage}{req.path}"
    headers = {name.lower(): ",".join(values) for name, values in _all_headers(req, domain).items()}
    query = _multi(req.query)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": raw_path,
        "rawQueryString": urlencode(req.query, quote_via=quote),
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": domain.split(".", 1)[0],
            "domainName": domain,
            "domainPrefix": domain.split(".", 1)[0],
            "http": {
                "method": req.method,
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.7",
                "userAgent": "curl/8.4.0",
            },
            "requestId": "Pq2zKFhcDoEFbKw=",
            "routeKey": "$default",
            "stage": stage,
            "time": "23/Nov/2026:17:00:00 +0000",
            "timeEpoch": 1795453200000,
        },
        "isBase64Encoded": req.base64_body and bool(req.body),
    }
    if req.cookies:
        event["cookies"] = list(req.cookies)
    if query:
        event["queryStringParameters"] = {k: ",".join(v) for k, v in query.items()}
    if req.body:
        event["body"] = _text_body(req)
    return event


def http_api_event(req: Req) -> dict[str, Any]:
    return _v2_event(req, "q7w3e5rt9y.execute-api.eu-west-1.amazonaws.com", "$default")


def http_api_stage_event(req: Req) -> dict[str, Any]:
    return _v2_event(req, "q7w3e5rt9y.execute-api.eu-west-1.amazonaws.com", "prod")


def function_url_event(req: Req) -> dict[str, Any]:
    domain = "n4hxw2l6mtdq7zvbkcpey3suoa0rjgif.lambda-url.eu-west-1.on.aws"
    return _v2_event(req, domain, "$default")


def _alb_event(req: Req, multi_value: bool) -> dict[str, Any]:
    headers = {
        name.lower(): values
        for name, values in _all_headers(req, "shop-1234567890.eu-west-1.elb.amazonaws.com").items()
    }
    if req.cookies:
        headers["cookie"] = ["; ".join(req.cookies)]
    # The load balancer passes the query as the client encoded it.
    query = _multi([(quote_plus(k), quote_plus(v)) for k, v in req.query])
    event: dict[str, Any] = {
        "requestContext": {
            "elb": {
                "targetGroupArn": (
                    "arn:aws:elasticloadbalancing:eu-west-1:123456789012:"
                    "targetgroup/shop-lambda/6d0ecf831eec9f09"
                )
            }
        },
        "httpMethod": req.method,
        "path": req.path,
        "body": _text_body(req) or "",
        "isBase64Encoded": req.base64_body and bool(req.body),
    }
    if multi_value:
        event["multiValueHeaders"] = headers
        event["multiValueQueryStringParameters"] = query
    else:  # the last value of each, as a target group without multi-value support sends
        event["headers"] = {name: values[-1] for name, values in headers.items()}
        event["queryStringParameters"] = {name: values[-1] for name, values in query.items()}
    return event


def alb_event(req: Req) -> dict[str, Any]:
    return _alb_event(req, multi_value=False)


def alb_multi_event(req: Req) -> dict[str, Any]:
    return _alb_event(req, multi_value=True)


def _edge_event(req: Req, event_type: str) -> dict[str, Any]:
    headers: dict[str, list[dict[str, str]]] = {}
    for name, values in _all_headers(req, "d1a2b3c4d5e6f7.cloudfront.net").items():
        headers[name.lower()] = [{"key": name, "value": value} for value in values]
    if req.cookies:
        headers["cookie"] = [{"key": "Cookie", "value": cookie} for cookie in req.cookies]
    request: dict[str, Any] = {
        "clientIp": "203.0.113.7",
        "headers": headers,
        "method": req.method,
        "querystring": urlencode(req.query, quote_via=quote),
        "uri": req.path,
    }
    if req.body:
        # With "include body", CloudFront always passes the body base64-encoded.
        request["body"] = {
            "inputTruncated": False,
            "action": "read-only",
            "encoding": "base64",
            "data": base64.b64encode(req.body).decode("ascii"),
        }
    if event_type == "origin-request":
        request["origin"] = {
            "custom": {
                "customHeaders": {},
                "domainName": "origin.example.com",
                "keepaliveTimeout": 5,
                "path": "",
                "port": 443,
                "protocol": "https",
                "readTimeout": 30,
                "sslProtocols": ["TLSv1.2"],
            }
        }
    config = {
        "distributionDomainName": "d1a2b3c4d5e6f7.cloudfront.net",
        "distributionId": "E2QWRUHEXAMPLE",
        "eventType": event_type,
        "requestId": "4TyzHTaYWb1GX1qTfsHhEqV6HUDd_BzoBZnwfnvQc_1oF26ClkoUSEQ==",
    }
    return {"Records": [{"cf": {"config": config, "request": request}}]}


def edge_viewer_event(req: Req) -> dict[str, Any]:
    return _edge_event(req, "viewer-request")


def edge_origin_event(req: Req) -> dict[str, Any]:
    return _edge_event(req, "origin-request")


BUILDERS: dict[str, tuple[Callable[[Req], dict[str, Any]], HttpEventSource]] = {
    "rest": (rest_event, HttpEventSource.REST_API),
    "rest_1.0": (rest_versioned_event, HttpEventSource.REST_API),
    "http_api": (http_api_event, HttpEventSource.HTTP_API),
    "http_api_stage": (http_api_stage_event, HttpEventSource.HTTP_API),
    "function_url": (function_url_event, HttpEventSource.FUNCTION_URL),
    "alb": (alb_event, HttpEventSource.ALB),
    "alb_multi": (alb_multi_event, HttpEventSource.ALB),
    "edge_viewer": (edge_viewer_event, HttpEventSource.LAMBDA_EDGE),
    "edge_origin": (edge_origin_event, HttpEventSource.LAMBDA_EDGE),
}


# -- reading an answer back as its source does --------------------------------------------


@dataclass
class Answer:
    status: int
    headers: dict[str, list[str]]  # lower-case names
    body: bytes

    def header(self, name: str) -> str:
        (value,) = self.headers[name]
        return value

    @property
    def json(self) -> Any:
        return json.loads(self.body)


def read_answer(source: HttpEventSource, answer: dict[str, Any]) -> Answer:
    """Check the answer has exactly its source's keys, then read it."""
    json.dumps(answer)  # Lambda serialises it
    headers: dict[str, list[str]] = {}
    if source is HttpEventSource.LAMBDA_EDGE:
        assert set(answer) == {"status", "statusDescription", "headers", "body", "bodyEncoding"}
        for lower, entries in answer["headers"].items():
            for entry in entries:
                assert entry["key"].lower() == lower
                headers.setdefault(lower, []).append(entry["value"])
        encoded = answer["bodyEncoding"] == "base64"
        status = int(answer["status"])
    else:
        status = answer["statusCode"]
        encoded = answer["isBase64Encoded"]
        if source is HttpEventSource.REST_API:
            assert set(answer) == {
                "statusCode",
                "headers",
                "multiValueHeaders",
                "body",
                "isBase64Encoded",
            }
            for name, value in answer["headers"].items():
                headers.setdefault(name.lower(), []).append(value)
            for name, values in answer["multiValueHeaders"].items():
                headers.setdefault(name.lower(), []).extend(values)
        elif source is HttpEventSource.ALB:
            assert answer["statusDescription"].startswith(f"{status} ")
            keys = set(answer) - {"headers", "multiValueHeaders"}
            assert keys == {"statusCode", "statusDescription", "body", "isBase64Encoded"}
            if "multiValueHeaders" in answer:
                assert "headers" not in answer
                for name, values in answer["multiValueHeaders"].items():
                    headers.setdefault(name.lower(), []).extend(values)
            else:
                for name, value in answer["headers"].items():
                    headers.setdefault(name.lower(), []).append(value)
        else:
            assert set(answer) - {"cookies"} == {
                "statusCode",
                "headers",
                "body",
                "isBase64Encoded",
            }
            for name, value in answer["headers"].items():
                assert name == name.lower()
                headers[name] = [value]
            if "cookies" in answer:
                headers["set-cookie"] = list(answer["cookies"])
    body = base64.b64decode(answer["body"], validate=True) if encoded else answer["body"].encode()
    return Answer(status, headers, body)


# -- the app under test ----------------------------------------------------------------


def make_app() -> tuple[Chalice, dict[str, Any]]:
    app = Chalice(app_name="lambda-http-test", configure_logs=False)
    seen: dict[str, Any] = {}

    @app.route("/orders/{order_id}", methods=["GET", "PUT"])
    def get_order(order_id: str) -> dict[str, Any]:
        request = app.current_request
        assert request is not None
        seen["event"] = request.to_original_event()
        seen["context"] = app.lambda_context
        seen["request_context"] = request.lambda_context
        return {"id": order_id, "resource": request.path, "uri_params": request.uri_params}

    @app.route("/search")
    def search() -> dict[str, Any]:
        request = app.current_request
        assert request is not None
        query = request.query_params
        if query is None:
            return {"query": None}
        return {name: query.getlist(name) for name in sorted(query)}

    @app.route("/session", methods=["POST"])
    def session() -> Response:
        request = app.current_request
        assert request is not None
        return Response(
            {"cookie": request.headers.get("cookie")},
            headers={"Set-Cookie": ["sid=xyz; Path=/; HttpOnly", "theme=light; Path=/"]},
            status_code=201,
        )

    @app.route("/orders", methods=["POST"])
    def create_order() -> Response:
        request = app.current_request
        assert request is not None
        return Response({"created": request.json_body}, status_code=201)

    @app.route("/files", methods=["PUT"], content_types=["application/octet-stream"])
    def upload() -> Response:
        request = app.current_request
        assert request is not None
        data = request.raw_body
        return Response(data[::-1], headers={"Content-Type": "application/octet-stream"})

    @app.route("/boom")
    def boom() -> None:
        raise RuntimeError("database password is hunter2")

    @app.route("/shared", cors=CORSConfig(allow_origin="https://shop.example", max_age=600))
    def shared() -> dict[str, bool]:
        return {"shared": True}

    return app, seen


@pytest.fixture
def app_and_seen() -> tuple[Chalice, dict[str, Any]]:
    return make_app()


@pytest.fixture(params=list(BUILDERS))
def door(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


def invoke(app: Chalice, door: str, req: Req, context: Any = None) -> Answer:
    build, source = BUILDERS[door]
    event = build(req)
    answer = app(event, context if context is not None else LambdaContext())
    return read_answer(source, answer)


# -- end to end, once per front door ------------------------------------------------------


def test_path_parameters(app_and_seen: tuple[Chalice, dict[str, Any]], door: str) -> None:
    app, _ = app_and_seen
    req = Req("GET", "/orders/42", resource="/orders/{order_id}", path_params={"order_id": "42"})
    answer = invoke(app, door, req)
    assert answer.status == 200
    assert answer.json == {
        "id": "42",
        "resource": "/orders/{order_id}",
        "uri_params": {"order_id": "42"},
    }
    assert answer.header("content-type") == "application/json"


def test_multi_value_query(app_and_seen: tuple[Chalice, dict[str, Any]], door: str) -> None:
    app, _ = app_and_seen
    query = [("tag", "a"), ("tag", "b"), ("q", "café au lait"), ("sym", "a&b=c/d+e")]
    answer = invoke(app, door, Req("GET", "/search", query=query, resource="/search"))
    # An ALB target group without multi-value support passes only the last value.
    tags = ["b"] if door == "alb" else ["a", "b"]
    assert (answer.status, answer.json) == (
        200,
        {"q": ["café au lait"], "sym": ["a&b=c/d+e"], "tag": tags},
    )


def test_no_query_is_none(app_and_seen: tuple[Chalice, dict[str, Any]], door: str) -> None:
    app, _ = app_and_seen
    answer = invoke(app, door, Req("GET", "/search", resource="/search"))
    assert (answer.status, answer.json) == (200, {"query": None})


def test_cookies_in_and_out(app_and_seen: tuple[Chalice, dict[str, Any]], door: str) -> None:
    app, _ = app_and_seen
    req = Req("POST", "/session", cookies=["session=abc123", "theme=dark"], resource="/session")
    answer = invoke(app, door, req)
    assert (answer.status, answer.json) == (201, {"cookie": "session=abc123; theme=dark"})
    assert answer.headers["set-cookie"] == ["sid=xyz; Path=/; HttpOnly", "theme=light; Path=/"]


@pytest.mark.parametrize("base64_body", [False, True], ids=["text", "base64"])
def test_json_body(
    app_and_seen: tuple[Chalice, dict[str, Any]], door: str, base64_body: bool
) -> None:
    app, _ = app_and_seen
    req = Req(
        "POST",
        "/orders",
        headers={"Content-Type": ["application/json"]},
        body=json.dumps({"item": "café", "qty": 3}).encode(),
        base64_body=base64_body,
        resource="/orders",
    )
    answer = invoke(app, door, req)
    assert (answer.status, answer.json) == (201, {"created": {"item": "café", "qty": 3}})


def test_bad_json_body_is_400(app_and_seen: tuple[Chalice, dict[str, Any]], door: str) -> None:
    app, _ = app_and_seen
    req = Req(
        "POST",
        "/orders",
        headers={"Content-Type": ["application/json"]},
        body=b"{not json",
        resource="/orders",
    )
    answer = invoke(app, door, req)
    assert (answer.status, answer.json) == (
        400,
        {"Code": "BadRequestError", "Message": "Error Parsing JSON"},
    )


def test_binary_upload_and_download(
    app_and_seen: tuple[Chalice, dict[str, Any]], door: str
) -> None:
    app, _ = app_and_seen
    data = bytes(range(256)) * 4
    req = Req(
        "PUT",
        "/files",
        headers={"Content-Type": ["application/octet-stream"]},
        body=data,
        base64_body=True,
        resource="/files",
    )
    build, source = BUILDERS[door]
    raw = app(build(req), LambdaContext())
    answer = read_answer(source, raw)
    assert (answer.status, answer.body) == (200, data[::-1])
    assert answer.header("content-type") == "application/octet-stream"
    # The bytes travel base64-encoded, however the source flags it.
    encoded = raw.get("isBase64Encoded", raw.get("bodyEncoding") == "base64")
    assert encoded is True
    assert raw["body"] == base64.b64encode(data[::-1]).decode()


def test_unknown_path(app_and_seen: tuple[Chalice, dict[str, Any]], door: str) -> None:
    app, _ = app_and_seen
    answer = invoke(app, door, Req("GET", "/nowhere/at/all"))
    if door.startswith("rest"):
        # What API Gateway answers for a path with no resource.
        assert (answer.status, answer.json) == (403, {"message": "Missing Authentication Token"})
    else:
        assert (answer.status, answer.json) == (404, {"message": "Not Found"})


def test_unrouted_method_is_405_with_allow(
    app_and_seen: tuple[Chalice, dict[str, Any]], door: str
) -> None:
    app, _ = app_and_seen
    req = Req("DELETE", "/orders/42", resource="/orders/{order_id}", path_params={"order_id": "42"})
    answer = invoke(app, door, req)
    assert (answer.status, answer.json) == (
        405,
        {"Code": "MethodNotAllowedError", "Message": "Unsupported method: DELETE"},
    )
    assert answer.header("allow") == "GET, PUT"


def test_view_exception_is_a_500_that_leaks_nothing(
    app_and_seen: tuple[Chalice, dict[str, Any]], door: str, caplog: pytest.LogCaptureFixture
) -> None:
    app, _ = app_and_seen
    answer = invoke(app, door, Req("GET", "/boom", resource="/boom"))
    assert (answer.status, answer.json) == (
        500,
        {"Code": "InternalServerError", "Message": "An internal server error occurred."},
    )
    assert b"hunter2" not in answer.body and b"Traceback" not in answer.body
    assert "database password is hunter2" in caplog.text  # logged, not answered


def test_view_sees_the_event_and_the_context(
    app_and_seen: tuple[Chalice, dict[str, Any]], door: str
) -> None:
    app, seen = app_and_seen
    build, source = BUILDERS[door]
    event = build(
        Req("GET", "/orders/7", resource="/orders/{order_id}", path_params={"order_id": "7"})
    )
    context = LambdaContext()
    read_answer(source, app(event, context))
    assert seen["event"] is event
    assert seen["context"] is context
    assert seen["request_context"] is context
    assert app.current_request is None  # nothing is left behind after the invoke


def test_middleware_runs(app_and_seen: tuple[Chalice, dict[str, Any]], door: str) -> None:
    app, _ = app_and_seen
    calls: list[tuple[str, str]] = []

    @app.middleware("http")
    def stamp(event: Any, get_response: Callable[[Any], Response]) -> Response:
        calls.append((event.method, event.path))
        response = get_response(event)
        response.headers["X-Served-By"] = "middleware"
        return response

    answer = invoke(app, door, Req("GET", "/search", resource="/search"))
    assert calls == [("GET", "/search")]
    assert answer.header("x-served-by") == "middleware"


def test_cors_headers_on_answers(app_and_seen: tuple[Chalice, dict[str, Any]], door: str) -> None:
    app, _ = app_and_seen
    req = Req("GET", "/shared", headers={"Origin": ["https://shop.example"]}, resource="/shared")
    answer = invoke(app, door, req)
    assert (answer.status, answer.json) == (200, {"shared": True})
    assert answer.header("access-control-allow-origin") == "https://shop.example"
    assert answer.header("access-control-max-age") == "600"
    assert answer.header("access-control-allow-headers") == (
        "Authorization,Content-Type,X-Amz-Date,X-Amz-Security-Token,X-Api-Key"
    )


def test_cors_preflight(app_and_seen: tuple[Chalice, dict[str, Any]], door: str) -> None:
    app, _ = app_and_seen
    req = Req(
        "OPTIONS",
        "/shared",
        headers={"Origin": ["https://shop.example"], "Access-Control-Request-Method": ["GET"]},
        resource="/shared",
    )
    answer = invoke(app, door, req)
    assert answer.status == 200
    assert answer.header("access-control-allow-origin") == "https://shop.example"
    assert "GET" in answer.header("access-control-allow-methods").split(",")


# -- REST specifics: API Gateway has already matched the route ---------------------------


def test_rest_routing_trusts_the_events_resource(
    app_and_seen: tuple[Chalice, dict[str, Any]],
) -> None:
    app, _ = app_and_seen
    # A custom domain's base path mapping, say: `path` is not what the route matched.
    event = rest_event(
        Req("GET", "/v1/orders/42", resource="/orders/{order_id}", path_params={"order_id": "42"})
    )
    answer = read_answer(HttpEventSource.REST_API, app(event, LambdaContext()))
    assert (answer.status, answer.json["id"], answer.json["resource"]) == (
        200,
        "42",
        "/orders/{order_id}",
    )


def test_rest_catch_all_resource_falls_back_to_the_path(
    app_and_seen: tuple[Chalice, dict[str, Any]],
) -> None:
    app, _ = app_and_seen
    event = rest_event(Req("GET", "/orders/9"))  # resource '/{proxy+}', proxy 'orders/9'
    assert event["resource"] == "/{proxy+}"
    answer = read_answer(HttpEventSource.REST_API, app(event, LambdaContext()))
    assert (answer.status, answer.json) == (
        200,
        {"id": "9", "resource": "/orders/{order_id}", "uri_params": {"order_id": "9"}},
    )


def test_non_http_event_raises_invalid_event_error(
    app_and_seen: tuple[Chalice, dict[str, Any]],
) -> None:
    app, _ = app_and_seen
    sqs = {"Records": [{"messageId": "1", "body": "x", "eventSource": "aws:sqs"}]}
    with pytest.raises(InvalidEventError, match="aws:sqs"):
        app(sqs, LambdaContext())


# -- property: any event-shaped dict gets a valid answer or InvalidEventError -------------

settings.register_profile(
    "lambda-http-fuzz",
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

SAMPLE_REQUESTS = [
    Req("GET", "/orders/42", resource="/orders/{order_id}", path_params={"order_id": "42"}),
    Req("GET", "/search", query=[("tag", "a"), ("tag", "b")], resource="/search"),
    Req(
        "POST",
        "/orders",
        headers={"Content-Type": ["application/json"]},
        body=b'{"qty": 1}',
        cookies=["a=1"],
        resource="/orders",
    ),
    Req(
        "PUT",
        "/files",
        headers={"Content-Type": ["application/octet-stream"]},
        body=b"\x00\xff",
        base64_body=True,
        resource="/files",
    ),
    Req("GET", "/boom", resource="/boom"),
    Req("OPTIONS", "/shared", headers={"Origin": ["https://shop.example"]}, resource="/shared"),
]

json_leaves = (
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from(["GET", "2.0", "1.0", "/", "/orders/1", "$default", "base64", "text", ""])
)
json_values = st.recursive(
    json_leaves,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)
header_maps = st.dictionaries(st.text(max_size=10), st.text(max_size=20), max_size=4)
multi_maps = st.dictionaries(
    st.text(max_size=10), st.lists(st.text(max_size=20), max_size=3), max_size=4
)
edge_header_maps = st.dictionaries(
    st.text(max_size=10),
    st.lists(
        st.fixed_dictionaries({"key": st.text(max_size=10), "value": st.text(max_size=20)}),
        max_size=2,
    ),
    max_size=3,
)
replacement_values = (
    json_values
    | header_maps
    | multi_maps
    | edge_header_maps
    | st.binary(max_size=30).map(lambda b: base64.b64encode(b).decode())
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path inside a JSON-like value (dict keys and list indexes)."""
    found: list[tuple[Any, ...]] = []
    items: Any = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else ()
    )
    for key, child in items:
        found.append((*prefix, key))
        found.extend(_paths(child, (*prefix, key)))
    return found


def _parent(event: Any, path: tuple[Any, ...]) -> Any:
    for key in path[:-1]:
        event = event[key]
    return event


@st.composite
def mangled_events(draw: st.DrawFn) -> dict[str, Any]:
    build, _ = BUILDERS[draw(st.sampled_from(sorted(BUILDERS)))]
    event = copy.deepcopy(build(draw(st.sampled_from(SAMPLE_REQUESTS))))
    for _ in range(draw(st.integers(0, 4))):
        paths = _paths(event)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = _parent(event, path)
        action = draw(st.sampled_from(["drop", "replace", "flag"]))
        if action == "drop" and isinstance(parent, dict):
            del parent[path[-1]]
        elif action == "flag":
            event["isBase64Encoded"] = draw(st.booleans() | json_leaves)
        else:
            parent[path[-1]] = draw(replacement_values)
    return event


def assert_valid_answer(source: HttpEventSource, answer: Any) -> None:
    assert isinstance(answer, dict)
    json.dumps(answer)
    if source is HttpEventSource.LAMBDA_EDGE:
        assert isinstance(answer["status"], str) and 100 <= int(answer["status"]) <= 599
        assert isinstance(answer["statusDescription"], str)
        assert answer["bodyEncoding"] in ("text", "base64")
        for lower, entries in answer["headers"].items():
            assert lower == lower.lower()
            for entry in entries:
                assert set(entry) == {"key", "value"}
                assert entry["key"].lower() == lower and isinstance(entry["value"], str)
    else:
        status = answer["statusCode"]
        assert type(status) is int and 100 <= status <= 599
        assert type(answer["isBase64Encoded"]) is bool
        single = answer.get("headers", {})
        assert all(type(k) is str and type(v) is str for k, v in single.items())
        multi = answer.get("multiValueHeaders", {})
        assert all(type(v) is list and all(type(i) is str for i in v) for v in multi.values())
        if source is HttpEventSource.ALB:
            assert answer["statusDescription"].split(" ", 1)[0] == str(status)
            assert ("headers" in answer) != ("multiValueHeaders" in answer)
        if source in (HttpEventSource.HTTP_API, HttpEventSource.FUNCTION_URL):
            assert all(type(c) is str for c in answer.get("cookies", []))
    assert isinstance(answer["body"], str)
    read_answer(source, answer)  # checks each source's exact keys and decodes the body


FUZZ_APP, _ = make_app()


@settings(settings.get_profile("lambda-http-fuzz"))
@given(mangled_events())
def test_any_event_gets_a_valid_answer_or_invalid_event_error(event: dict[str, Any]) -> None:
    original = copy.deepcopy(event)
    try:
        source: HttpEventSource | None = identify_source(event)
    except InvalidEventError:
        source = None
    try:
        answer = FUZZ_APP(event, LambdaContext())
    except InvalidEventError:
        return
    assert source is not None, "a non-HTTP event was answered"
    assert_valid_answer(source, answer)
    assert event == original  # the handler does not change the event it was given
