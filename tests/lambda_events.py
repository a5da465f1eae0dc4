"""Realistic Lambda HTTP events, one builder per front door, shaped as AWS documents them.

Every builder takes the same request: method, path with the '?query' as the client wrote
it, headers (a value, or a list for a repeated header), body, and the keyword-only
`cookies`, `binary`, `resource` and `path_params`; a front door drops what it does not
carry (an ALB has no resource). Door-specific options come after. BUILDERS has one
builder per front door; VARIANTS every shape a door sends, with its HttpEventSource.
`read_answer` reads any door's answer back, and checks its exact keys when told the
source. Shared by every test that invokes an app as Lambda does.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial, wraps
from typing import Any, NamedTuple
from urllib.parse import parse_qsl

from chalicelike._doors._http_events import HttpEventSource

ACCOUNT = "123456789012"
REGION = "eu-west-1"
CLIENT_IP = "203.0.113.7"
USER_AGENT = "curl/8.4.0"
TRACE = "Root=1-6561f0a2-1a2b3c4d5e6f708192a3b4c5"
REST_HOST = f"r8k2x1abcd.execute-api.{REGION}.amazonaws.com"
HTTP_API_HOST = f"q7w3e5rt9y.execute-api.{REGION}.amazonaws.com"
FUNCTION_URL_HOST = f"n4hxw2l6mtdq7zvbkcpey3suoa0rjgif.lambda-url.{REGION}.on.aws"
ALB_HOST = f"shop-alb-1234567890.{REGION}.elb.amazonaws.com"
EDGE_HOST = "d1a2b3c4d5e6f7.cloudfront.net"

Headers = Mapping[str, str | Sequence[str]]
Body = bytes | str | None


class Context:
    """What AWS's Python runtime passes as `context`."""

    def __init__(self) -> None:
        self.function_name = "shop-dev"
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:shop-dev"
        self.memory_limit_in_mb = "256"
        self.aws_request_id = "3f1c7a52-9b8e-4d21-a6f0-5c2e8d4b1a93"
        self.log_group_name = "/aws/lambda/shop-dev"
        self.log_stream_name = "2026/11/23/[$LATEST]7d0c3c5e1b2a4f6e8d9c0b1a2f3e4d5c"
        self.identity = None
        self.client_context = None
        self._deadline_ms = int(time.time() * 1000) + 30_000

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self._deadline_ms - int(time.time() * 1000))


# -- the request, as the client sent it ---------------------------------------------------

# API Gateway, Function URLs and ALBs add these before the request reaches Lambda.
PROXY_HEADERS = {
    "X-Amzn-Trace-Id": TRACE,
    "X-Forwarded-For": CLIENT_IP,
    "X-Forwarded-Port": "443",
    "X-Forwarded-Proto": "https",
}


@dataclass(frozen=True)
class HttpRequest:
    """An HTTP request, before a front door puts it in its event shape."""

    method: str
    path: str  # with the '?query' as the client wrote it
    headers: Headers | None = None  # names as the client writes them
    body: Body = None
    cookies: Sequence[str] = ()
    binary: bool = False  # the front door sees a binary body, and passes it base64-encoded
    resource: str | None = None  # REST only: the route API Gateway matched
    path_params: dict[str, str] | None = None  # REST, and HTTP API routes with parameters

    @property
    def raw_path(self) -> str:
        return self.path.partition("?")[0]

    @property
    def raw_query(self) -> str:
        return self.path.partition("?")[2]

    @property
    def query(self) -> dict[str, list[str]]:
        """The query decoded, each name with all its values."""
        return _multi(parse_qsl(self.raw_query, keep_blank_values=True))

    @property
    def data(self) -> bytes:
        body = self.body or b""
        return body.encode() if isinstance(body, str) else body

    @property
    def is_base64(self) -> bool:
        return self.binary and bool(self.data)

    def text_body(self) -> str | None:
        """The body as API Gateway, Function URLs and ALBs pass it: base64 if they see binary."""
        if not self.data:
            return None
        return base64.b64encode(self.data).decode("ascii") if self.binary else self.data.decode()

    def sent_headers(self, host: str, proxied: Mapping[str, str]) -> dict[str, list[str]]:
        """The client's headers, with those the front door adds; a given header wins."""
        sent = {"Host": [host], "User-Agent": [USER_AGENT]}
        sent.update({name: [value] for name, value in proxied.items()})
        if self.data:
            sent["Content-Length"] = [str(len(self.data))]
        for name, value in (self.headers or {}).items():
            for same in [key for key in sent if key.lower() == name.lower()]:
                del sent[same]
            sent[name] = [value] if isinstance(value, str) else list(value)
        return sent


def _multi(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for name, value in pairs:
        grouped.setdefault(name, []).append(value)
    return grouped


Builder = Callable[..., dict[str, Any]]


def _event_builder(build: Callable[..., dict[str, Any]]) -> Builder:
    """Turn `build(request, **door_options)` into a builder with the signature all share:
    `(method, path, headers=None, body=None, *, cookies=(), binary=False, resource=None,
    path_params=None, **door_options)`.
    """

    @wraps(build)
    def from_request(
        method: str,
        path: str,
        headers: Headers | None = None,
        body: Body = None,
        *,
        cookies: Sequence[str] = (),
        binary: bool = False,
        resource: str | None = None,
        path_params: dict[str, str] | None = None,
        **door_options: Any,
    ) -> dict[str, Any]:
        request = HttpRequest(method, path, headers, body, cookies, binary, resource, path_params)
        return build(request, **door_options)

    return from_request


# -- one builder per front door -----------------------------------------------------------


@_event_builder
def rest(
    request: HttpRequest,
    *,
    stage: str = "dev",
    stage_variables: dict[str, str] | None = None,
    version: str | None = None,
) -> dict[str, Any]:
    """An API Gateway REST API proxy event (payload 1.0); `version="1.0"` as recent ones say.

    Without a `resource`, the request went through a greedy '/{proxy+}' resource ('/' for
    the root), as an API fronting a whole app has it.
    """
    raw_path, resource, path_params = request.raw_path, request.resource, request.path_params
    if resource is None:
        resource = "/{proxy+}" if raw_path != "/" else "/"
        if path_params is None and raw_path != "/":
            path_params = {"proxy": raw_path.lstrip("/")}
    sent = request.sent_headers(REST_HOST, PROXY_HEADERS)
    if request.cookies:
        sent["Cookie"] = ["; ".join(request.cookies)]
    user_agent = next((v[-1] for name, v in sent.items() if name.lower() == "user-agent"), None)
    query = request.query
    event: dict[str, Any] = {
        "resource": resource,
        "path": raw_path,
        "httpMethod": request.method,
        # `headers` holds the last value of a repeated header; multiValueHeaders all of them.
        "headers": {name: values[-1] for name, values in sent.items()},
        "multiValueHeaders": sent,
        "queryStringParameters": {name: values[-1] for name, values in query.items()} or None,
        "multiValueQueryStringParameters": query or None,
        "pathParameters": path_params,
        "stageVariables": stage_variables,
        "requestContext": {
            "accountId": ACCOUNT,
            "apiId": REST_HOST.split(".", 1)[0],
            "domainName": REST_HOST,
            "domainPrefix": REST_HOST.split(".", 1)[0],
            "extendedRequestId": "Pq2zKFhcDoEFbKw=",
            "httpMethod": request.method,
            "identity": {
                "accessKey": None,
                "accountId": None,
                "caller": None,
                "sourceIp": CLIENT_IP,
                "user": None,
                "userAgent": user_agent,
                "userArn": None,
            },
            "path": f"/{stage}{raw_path}",
            "protocol": "HTTP/1.1",
            "requestId": "0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b",
            "requestTime": "23/Nov/2026:17:00:00 +0000",
            "requestTimeEpoch": 1795453200000,
            "resourceId": "x1y2z3",
            "resourcePath": resource,
            "stage": stage,
        },
        "body": request.text_body(),
        "isBase64Encoded": request.is_base64,
    }
    if version is not None:
        event["version"] = version
    return event


def _payload_v2(
    request: HttpRequest,
    domain: str,
    stage: str,
    route_key: str,
    path_params: dict[str, str] | None,
) -> dict[str, Any]:
    raw_path = request.raw_path
    if stage != "$default":  # a named stage shows in the path the client asked for
        raw_path = f"/{stage}{raw_path}"
    sent = request.sent_headers(domain, PROXY_HEADERS)
    prefix = domain.split(".", 1)[0]
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": raw_path,
        "rawQueryString": request.raw_query,
        # Lower-case names; a repeated header's values joined with commas.
        "headers": {name.lower(): ",".join(values) for name, values in sent.items()},
        "requestContext": {
            "accountId": ACCOUNT,
            "apiId": prefix,
            "domainName": domain,
            "domainPrefix": prefix,
            "http": {
                "method": request.method,
                "path": raw_path.rstrip("/") or "/",  # AWS gives it without the trailing '/'
                "protocol": "HTTP/1.1",
                "sourceIp": CLIENT_IP,
                "userAgent": USER_AGENT,
            },
            "requestId": "Pq2zKFhcDoEFbKw=",
            "routeKey": route_key,
            "stage": stage,
            "time": "23/Nov/2026:17:00:00 +0000",
            "timeEpoch": 1795453200000,
        },
        "isBase64Encoded": request.is_base64,
    }
    if request.cookies:  # payload 2.0 moves the Cookie header into this list
        event["cookies"] = list(request.cookies)
    if request.query:
        event["queryStringParameters"] = {k: ",".join(v) for k, v in request.query.items()}
    if path_params is not None:
        event["pathParameters"] = path_params
    if request.data:
        event["body"] = request.text_body()
    return event


@_event_builder
def http_api(
    request: HttpRequest, *, stage: str = "$default", route_key: str = "$default"
) -> dict[str, Any]:
    """An API Gateway HTTP API event (payload 2.0); a named `stage` prefixes rawPath."""
    return _payload_v2(request, HTTP_API_HOST, stage, route_key, request.path_params)


@_event_builder
def function_url(request: HttpRequest) -> dict[str, Any]:
    """A Function URL event: payload 2.0 on a lambda-url domain, with no routes to match."""
    event = _payload_v2(request, FUNCTION_URL_HOST, "$default", "$default", None)
    event["requestContext"]["authorizer"] = None  # auth type NONE
    return event


@_event_builder
def alb(request: HttpRequest, *, multi_value: bool = False) -> dict[str, Any]:
    """An ALB target group event, with or without multi-value headers turned on."""
    sent = request.sent_headers(ALB_HOST, PROXY_HEADERS)
    headers = {name.lower(): values for name, values in sent.items()}
    if request.cookies:
        headers["cookie"] = ["; ".join(request.cookies)]
    # The load balancer passes the query as the client encoded it.
    raw_pairs = (pair.partition("=") for pair in request.raw_query.split("&") if pair)
    query = _multi([(name, value) for name, _, value in raw_pairs])
    event: dict[str, Any] = {
        "requestContext": {
            "elb": {
                "targetGroupArn": (
                    f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:"
                    "targetgroup/shop-lambda/6d0ecf831eec9f09"
                )
            }
        },
        "httpMethod": request.method,
        "path": request.raw_path,
        "body": request.text_body() or "",
        "isBase64Encoded": request.is_base64,
    }
    if multi_value:
        event["multiValueHeaders"] = headers
        event["multiValueQueryStringParameters"] = query
    else:  # the last value of each, as a target group without multi-value support sends
        event["headers"] = {name: values[-1] for name, values in headers.items()}
        event["queryStringParameters"] = {name: values[-1] for name, values in query.items()}
    return event


@_event_builder
def edge(request: HttpRequest, *, event_type: str = "origin-request") -> dict[str, Any]:
    """A Lambda@Edge viewer-request or origin-request event.

    A viewer request holds the viewer's headers; CloudFront adds X-Forwarded-For on the
    way to the origin. With "include body" on, the body always arrives base64-encoded.
    """
    proxied = {"X-Forwarded-For": CLIENT_IP} if event_type == "origin-request" else {}
    headers: dict[str, list[dict[str, str]]] = {}
    for name, values in request.sent_headers(EDGE_HOST, proxied).items():
        headers[name.lower()] = [{"key": name, "value": value} for value in values]
    if request.cookies:
        headers["cookie"] = [{"key": "Cookie", "value": cookie} for cookie in request.cookies]
    cf_request: dict[str, Any] = {
        "clientIp": CLIENT_IP,
        "headers": headers,
        "method": request.method,
        "querystring": request.raw_query,
        "uri": request.raw_path,
    }
    if request.data:
        cf_request["body"] = {
            "inputTruncated": False,
            "action": "read-only",
            "encoding": "base64",
            "data": base64.b64encode(request.data).decode("ascii"),
        }
    if event_type == "origin-request":
        cf_request["origin"] = {
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
        "distributionDomainName": EDGE_HOST,
        "distributionId": "E2QWRUHEXAMPLE",
        "eventType": event_type,
        "requestId": "4TyzHTaYWb1GX1qTfsHhEqV6HUDd_BzoBZnwfnvQc_1oF26ClkoUSEQ==",
    }
    return {"Records": [{"cf": {"config": config, "request": cf_request}}]}


# One builder per front door, in the shape it sends by default.
BUILDERS: dict[str, Builder] = {
    "rest": rest,
    "http_api": http_api,
    "function_url": function_url,
    "alb": alb,
    "edge": edge,
}


@dataclass(frozen=True)
class Variant:
    """One shape a front door sends, and the source the handler should see in it."""

    build: Builder
    source: HttpEventSource


# Every shape of every front door.
VARIANTS: dict[str, Variant] = {
    "rest": Variant(rest, HttpEventSource.REST_API),
    # Recent REST events (and HTTP APIs sending payload 1.0) carry "version": "1.0".
    "rest_1.0": Variant(partial(rest, version="1.0"), HttpEventSource.REST_API),
    "http_api": Variant(http_api, HttpEventSource.HTTP_API),
    "http_api_stage": Variant(partial(http_api, stage="prod"), HttpEventSource.HTTP_API),
    "function_url": Variant(function_url, HttpEventSource.FUNCTION_URL),
    "alb": Variant(alb, HttpEventSource.ALB),
    "alb_multi": Variant(partial(alb, multi_value=True), HttpEventSource.ALB),
    "edge_viewer": Variant(partial(edge, event_type="viewer-request"), HttpEventSource.LAMBDA_EDGE),
    "edge_origin": Variant(partial(edge, event_type="origin-request"), HttpEventSource.LAMBDA_EDGE),
}


# -- reading an answer back as its source does --------------------------------------------


class Answer(NamedTuple):
    status: int
    headers: dict[str, list[str]]  # lower-case names
    body: bytes

    def header(self, name: str) -> str:
        (value,) = self.headers[name]
        return value

    @property
    def json(self) -> Any:
        return json.loads(self.body)


_V2_KEYS = {"statusCode", "headers", "body", "isBase64Encoded"}  # and `cookies`, if any
_ANSWER_KEYS = {
    # isBase64Encoded only when true, as Chalice writes it (API Gateway reads false then).
    HttpEventSource.REST_API: {"statusCode", "headers", "multiValueHeaders", "body"},
    HttpEventSource.HTTP_API: _V2_KEYS,
    HttpEventSource.FUNCTION_URL: _V2_KEYS,
    HttpEventSource.LAMBDA_EDGE: {"status", "statusDescription", "headers", "body", "bodyEncoding"},
}


def _check_keys(source: HttpEventSource, answer: dict[str, Any]) -> None:
    """The answer has exactly the keys its source reads, in the types it reads them."""
    keys = set(answer)
    if source is HttpEventSource.ALB:
        assert answer["statusDescription"].startswith(f"{answer['statusCode']} ")
        # One of headers / multiValueHeaders, as the target group is set up.
        assert ("headers" in answer) != ("multiValueHeaders" in answer)
        keys -= {"headers", "multiValueHeaders"}
        assert keys == {"statusCode", "statusDescription", "body", "isBase64Encoded"}
    elif source in (HttpEventSource.HTTP_API, HttpEventSource.FUNCTION_URL):
        assert keys - {"cookies"} == _ANSWER_KEYS[source]
        assert all(name == name.lower() for name in answer["headers"])
    elif source is HttpEventSource.REST_API:
        assert keys - {"isBase64Encoded"} == _ANSWER_KEYS[source]
        assert answer.get("isBase64Encoded", True) is True
    else:
        assert keys == _ANSWER_KEYS[source]
    if source is HttpEventSource.LAMBDA_EDGE:
        for lower, entries in answer["headers"].items():
            assert all(entry["key"].lower() == lower for entry in entries)
    assert isinstance(answer["body"], str)


def read_answer(answer: dict[str, Any], source: HttpEventSource | None = None) -> Answer:
    """(status, headers by lower-case name, body bytes) as the client gets them, from any
    front door's answer.

    Given its source, first check the answer has exactly that source's keys.
    """
    json.dumps(answer)  # Lambda serialises it
    if source is not None:
        _check_keys(source, answer)
    headers: dict[str, list[str]] = {}
    if "status" in answer:  # Lambda@Edge
        for name, entries in answer.get("headers", {}).items():
            headers.setdefault(name, []).extend(entry["value"] for entry in entries)
        encoded = answer.get("bodyEncoding") == "base64"
        status = int(answer["status"])
    else:
        for name, value in (answer.get("headers") or {}).items():
            headers.setdefault(name.lower(), []).append(value)
        for name, values in (answer.get("multiValueHeaders") or {}).items():
            headers.setdefault(name.lower(), []).extend(values)
        if answer.get("cookies"):  # payload 2.0 carries every Set-Cookie here
            headers.setdefault("set-cookie", []).extend(answer["cookies"])
        encoded = bool(answer.get("isBase64Encoded"))
        status = answer["statusCode"]
        if "multiValueHeaders" in answer and "statusDescription" not in answer:
            # A REST answer: API Gateway labels one without a Content-Type as JSON.
            headers.setdefault("content-type", ["application/json"])
    body = answer.get("body") or ""
    return Answer(
        status, headers, base64.b64decode(body, validate=True) if encoded else body.encode()
    )
